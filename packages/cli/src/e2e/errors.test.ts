import * as fs from 'fs';
import * as path from 'path';
import { cli, CliResult, errLines, tempDir } from './cli';

/** A user mistake: one line on stderr, nothing on stdout, exit 2, never a stack. */
function expectUsage(r: CliResult, message: RegExp): void {
  expect(errLines(r)).toEqual([expect.stringMatching(/^restorelab: /)]);
  expect(errLines(r)[0]).toMatch(message);
  expect(r.stdout).toBe('');
  expect(r.code).toBe(2);
}

const SMALL = 'zipf:pages=256,accesses=500';

describe('restorelab user mistakes (e2e)', () => {
  afterAll(() => expect(fs.existsSync('/dev/shm/restorelab-e2e-no-room')).toBe(false));
  it.concurrent.each([
    ['unknown strategy', ['run', '--workload', SMALL, '--strategy', 'no-such'], /unknown strategy 'no-such' \(known: demand-only, eager, .*\); a plugin's strategy needs --plugin PATH$/],
    ['a misspelt strategy', ['run', '--workload', SMALL, '--strategy', 'neighbour-prefetch'], /unknown strategy 'neighbour-prefetch' \(known: .*\); did you mean 'neighbor-prefetch'\?$/],
    ['a trailing comma in a stack', ['run', '--workload', SMALL, '--strategy', 'eager,'], /^restorelab: strategy stack 'eager,' has an empty element \(a comma too many\?\)$/],
    ['a seed that is not a number', ['run', '--workload', SMALL, '--seed', 'abc'], /^restorelab: --seed must be a non-negative integer, got 'abc'$/],
    ['unknown strategy in a stack', ['run', '--workload', SMALL, '--strategy', 'eager,nope'], /unknown strategy 'nope'/],
    ['unknown strategy parameter', ['run', '--workload', SMALL, '--strategy', 'neighbor-prefetch:wnidow=4'], /strategy neighbor-prefetch: unknown parameter 'wnidow'/],
    ['bad parameter value', ['run', '--workload', SMALL, '--strategy', 'neighbor-prefetch:window=-1'], /neighbor-prefetch: parameter 'window' must be >= /],
    ['unknown workload', ['run', '--workload', 'zipff'], /unknown workload 'zipff' \(known: .*zipf.*\); did you mean 'zipf'\?$/],
    ['bad workload parameter', ['run', '--workload', 'zipf:pages=many'], /workload zipf: parameter 'pages' must be an integer, got 'many'/],
    ['unknown backend', ['run', '--workload', SMALL, '--backend', 'qemu'], /unknown backend 'qemu' \(known: sim, linux\)/],
    ['unknown flag', ['run', '--strategyy', 'eager'], /Unknown argument: strategyy/],
    ['fidelity with two cost models', ['fidelity', '--calibrate', '--cost-model', 'x.json'], /give --cost-model FILE or --calibrate, not both/],
    ['fidelity --out without --calibrate', ['fidelity', '--out', 'x.json'], /--out writes the cost model --calibrate measures: add --calibrate/],
    ['an unknown copy engine', ['run', '--workload', SMALL, '--copy-engine', 'zero-copy'], /^restorelab: --copy-engine must be one of copy, continue, move, got 'zero-copy'$/],
    ['a choice that is not one', ['run', '--placement', 'pinned'], /Invalid values: Argument: placement, Given: "pinned", Choices: "shared", "spread", "none"$/],
    ['unknown command', ['rnu'], /^restorelab: unknown command 'rnu' \(commands: run, replay, .*\); did you mean 'run'\?$/],
    ['no command', [], /no command given \(try restorelab --help\)/],
    ['flag without its value', ['run', '--workload'], /Not enough arguments following: workload/],
    ['bad seed', ['run', '--seed', '-3'], /--seed must be a non-negative integer/],
    ['the same stack twice', ['run', '--workload', SMALL, '--strategy', 'eager', '--strategy', 'eager'], /strategy stack 'eager' given twice/],
    ['replay without a log', ['replay'], /Not enough non-option arguments/],
    ['image without a mode', ['image', 'zipf'], /image needs WORKLOAD --out DIR, or --check DIR/],
    ['new without a kind', ['new'], /say what to create: restorelab new strategy NAME/],
    ['a bad strategy name', ['new', 'strategy', 'Has_Caps'], /bad strategy name 'Has_Caps'/],
    ['a built-in name', ['new', 'strategy', 'eager', '--dir', 'x'], /a built-in strategy is already named 'eager'/],
    ['replay of a device', ['replay', '/dev/zero'], /^restorelab: cannot read log \/dev\/zero: not a regular file \(a character device\)$/],
    ['compare with a device', ['compare', '/dev/zero', '/dev/null'], /^restorelab: cannot read log \/dev\/zero: not a regular file \(a character device\)$/],
    ['a cost model that is a device', ['run', '--workload', SMALL, '--cost-model', '/dev/zero'], /cannot read cost model \/dev\/zero: not a regular file \(a character device\)$/],
    ['an experiment that is a directory', ['matrix', '/tmp'], /cannot read experiment \/tmp: EISDIR$/],
    ['a profile that is a device', ['run', '--workload', SMALL, '--strategy', 'hot-first-precopy:profile=/dev/zero'], /parameter 'profile': cannot read log \/dev\/zero: not a regular file/],
    ['a 256 TiB fork tree', ['run', '--workload', 'forktree:pages=67108864,procs=1024'], /workload forktree:.*: 68719476736 pages \(256\.0 TiB\) in all, more than an image may have \(67108864 pages, 256\.0 GiB\)$/],
    ['a workload past the memory there is', ['run', '--backend', 'linux', '--workload', 'seq:pages=67108864'], /workload seq:.*: needs about 31\.8 GiB of memory \(67108864 pages, 100663296 accesses\), [\d.]+ GiB is available$/],
    ['--record-trace of two runs', ['run', '--workload', SMALL, '--strategy', 'eager', '--strategy', 'demand-only', '--record-trace', '/tmp/x.rltrace'], /--record-trace records one run: give one --strategy and no --repeat \(here 2 runs\)$/],
    ['a trace that is a device', ['trace', 'stats', '/dev/zero'], /^restorelab: cannot read trace \/dev\/zero: not a regular file \(a character device\)$/],
    ['a trace workload without its file', ['run', '--workload', 'trace:/nonexistent/t.rltrace'], /cannot read trace \/nonexistent\/t\.rltrace: ENOENT$/],
    ['an image workload of a missing directory', ['run', '--workload', 'image:/nonexistent/img'], /image manifest \/nonexistent\/img\/manifest\.json: cannot read it \(ENOENT\)$/],
    ['a lackey import of a device', ['trace', 'import', '--format', 'lackey', '/dev/zero', '/tmp/x.rltrace'], /cannot read lackey trace \/dev\/zero: not a regular file or a FIFO$/],
    ['a bad --migrate-at', ['trace', 'import', '--format', 'csv', '/dev/null', '/tmp/x.rltrace', '--migrate-at', '1.5'], /--migrate-at must be an access index .* got '1\.5'$/],
    ['an image past the free disk (nothing is written)', ['image', 'seq:pages=67108864,accesses=0,sourceAccesses=0', '--out', '/dev/shm/restorelab-e2e-no-room'], /the image of workload seq:.* needs about 256\.0 GiB in \/dev\/shm\/restorelab-e2e-no-room, which has [\d.]+ \w+ free/],
  ])('%s', async (_what, args, message) => {
    expectUsage(await cli(args), message);
  });

  it('replay of a file that is not a log, or missing', async () => {
    const dir = tempDir('e2e-errors');
    try {
      const bogus = path.join(dir, 'bogus.rlog');
      fs.writeFileSync(bogus, 'hello world');
      expectUsage(await cli(['replay', bogus]), /is not a restorelab log/);
      expectUsage(await cli(['replay', path.join(dir, 'missing.rlog')]), /cannot read log .*missing\.rlog/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matrix refuses an experiment past --max-runs before expanding it, and writes nothing', async () => {
    const dir = tempDir('e2e-errors');
    try {
      const values = Array.from({ length: 1000 }, (_, i) => i + 1);
      const file = path.join(dir, 'huge.json');
      fs.writeFileSync(file, JSON.stringify({
        backends: ['sim'],
        workloads: [{ name: 'zipf', params: { pages: values, accesses: values } }],
        strategies: [{ stack: 'neighbor-prefetch', params: { 'neighbor-prefetch': { window: values } } }],
        repetitions: 10000,
      }));
      const out = path.join(dir, 'out');
      expectUsage(await cli(['matrix', file, '--out', out]), /expands to 10000000000000 runs, more than the limit of 100000 \(raise it with --max-runs\)$/);
      expectUsage(await cli(['matrix', file, '--out', out, '--max-runs', '0']), /--max-runs must be a positive integer, got 0/);
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints help on --help, exit 0', async () => {
    const r = await cli(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--strategy');
    expect(r.stdout).toContain('--log-dir');
  });
});
