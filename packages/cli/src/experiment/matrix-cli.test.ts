import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// Runs the compiled matrix command in a child process (build first: npx tsc -b), as a user would,
// to send it a real SIGINT.
const DIST = path.resolve(__dirname, '../../dist');
const CLI = `
const path = require('path');
const dist = process.env.RL_DIST;
const yargs = require(require.resolve('yargs', { paths: [dist] }));
const { reportError } = require(path.join(dist, 'errors.js'));
const commands = ['matrix', 'merge', 'report'].map((n) => require(path.join(dist, 'commands', n + '-command.js')).default);
yargs(process.argv.slice(1)).command(commands).strict()
  .fail((msg, err) => { throw err || Object.assign(new Error(msg), { name: 'UsageError' }); })
  .parseAsync()
  .then(() => process.exit(process.exitCode || 0), (e) => {
    const r = reportError(e);
    if (r.text) process.stderr.write(r.text + '\\n');
    process.exit(r.exitCode);
  });
`;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], onStderr?: (all: string, child: ChildProcess) => void, env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CLI, ...args], { env: { ...process.env, RL_DIST: DIST, CI: 'true', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-matrix-cli-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('restorelab matrix (command line)', () => {
  it('stops on Ctrl-C keeping the finished runs (exit 130); the same command resumes', async () => {
    const exp = path.join(tmp, 'sweep.yaml');
    fs.writeFileSync(
      exp,
      [
        'name: sweep',
        'backends: [sim]',
        'repetitions: 4',
        'workloads:',
        '  - name: zipf',
        '    params: { pages: 8192, accesses: 30000 }',
        'strategies:',
        '  - demand-only',
        '  - stack: neighbor-prefetch',
        '    params: { neighbor-prefetch: { window: [2, 4, 8, 16, 32] } }',
      ].join('\n'),
    );
    const out = path.join(tmp, 'out');
    let sent = false;
    const stopped = await cli(['matrix', exp, '--out', out, '--jobs', '2'], (err, child) => {
      if (!sent && /^\[3\/24\] /m.test(err)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('restorelab: stopping; finished runs are kept');
    expect(stopped.stderr).toMatch(/^restorelab: interrupted: \d+ of 24 runs are done; run the same command again to resume$/m);
    const done = fs.readdirSync(path.join(out, 'runs')).filter((f) => f.endsWith('.json'));
    expect(done.length).toBeGreaterThanOrEqual(3);
    expect(done.length).toBeLessThan(24);
    expect(fs.readdirSync(path.join(out, 'logs')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(fs.readFileSync(path.join(out, 'results.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(done.length + 1);

    const resumed = await cli(['matrix', exp, '--out', out, '--jobs', '2', '--no-report']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`matrix: 24 runs, ${done.length} already done (resuming)`);
    expect(resumed.stdout).toContain(`matrix sweep: 24/24 runs done, ${done.length} from before`);
    expect(fs.readFileSync(path.join(out, 'results.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(25);
  });

  it('leaves the runs of an unavailable backend for later with --skip-unavailable (exit 0), and refuses without it', async () => {
    // the plugin's backend lab is the simulator, unavailable while this variable says why
    const exp = path.resolve(__dirname, '__fixtures__/lab.yaml');
    const reason = 'no lab bench attached (test fixture)';
    const offline = { RESTORELAB_FIXTURE_LAB_UNAVAILABLE: reason };
    const out = path.join(tmp, 'lab');
    const args = ['matrix', exp, '--out', out, '--jobs', '2', '--no-report', '--plugin', path.resolve(__dirname, '__fixtures__/lab-backend.js')];
    const rows = () => fs.readFileSync(path.join(out, 'results.csv'), 'utf8').trimEnd().split('\n').slice(1);

    const refused = await cli(args, undefined, offline);
    expect([refused.code, refused.stderr]).toEqual([
      1,
      `restorelab: backend lab is not available here: ${reason} (the experiment needs it; --skip-unavailable runs the rest)\n`,
    ]);
    expect(fs.existsSync(out)).toBe(false);

    const skipping = await cli([...args, '--skip-unavailable'], undefined, offline);
    expect(skipping.code).toBe(0);
    expect(skipping.stderr.split('\n').filter((l) => l.startsWith('restorelab:'))).toEqual([`restorelab: skipping 4 runs on backend lab: ${reason}`]);
    expect(skipping.stderr).toContain('matrix: 4 runs\n');
    expect(skipping.stdout).toContain('matrix lab: 4/8 runs done, 4 skipped (backend lab unavailable)\n');
    expect(rows().map((r) => r.split(',')[2])).toEqual(['sim', 'sim', 'sim', 'sim']);

    const later = await cli([...args, '--skip-unavailable']);
    expect(later.code).toBe(0);
    expect(later.stderr).not.toContain('skipping');
    expect(later.stderr.match(/^\[\d+\/8\] done lab /gm)).toHaveLength(4);
    expect(later.stderr).not.toMatch(/^\[\d+\/8\] done sim /m);
    expect(later.stdout).toContain('matrix lab: 8/8 runs done, 4 from before\n');
    expect(rows().map((r) => r.split(',')[2])).toEqual(['sim', 'sim', 'lab', 'lab', 'sim', 'sim', 'lab', 'lab']);
  });

  it('reports a bad experiment file in one line, exit 2', async () => {
    const exp = path.join(tmp, 'bad.json');
    fs.writeFileSync(exp, JSON.stringify({ backends: ['sim'], workloads: ['seq'], strategies: [{ stack: 'neighbor-prefetch', params: { 'neighbor-prefetch': { window: { x: 1 } } } }] }));
    const r = await cli(['matrix', exp, '--out', path.join(tmp, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `restorelab: experiment ${exp}: strategies[0].params.neighbor-prefetch.window: expected a number, a string, true/false or a list of them, got an object\n`,
    );
    const shard = await cli(['matrix', exp, '--shard', '3/2']);
    expect([shard.code, shard.stderr]).toEqual([2, 'restorelab: --shard 3/2: expected 1 <= I <= N\n']);
  });
});
