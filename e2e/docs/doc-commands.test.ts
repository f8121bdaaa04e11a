import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { linuxUnavailableReason } from '@restorelab/backend-linux';

/**
 * Every restorelab command the README and docs/ print in their shell blocks, run as printed (in
 * order, in one scratch directory with examples/ beside it), except templates that name files
 * the reader brings (listed below, so that a new command cannot be left out unnoticed).
 */
const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'packages', 'cli', 'dist', 'bin.js');
const DOCS = ['README.md', 'docs/notebook.md', 'docs/experiments.md', 'docs/writing-a-strategy.md', 'docs/precopy.md'];

/** Commands that are templates: a placeholder, a file of the reader's, or a cluster's variables. */
const TEMPLATES = [
  /<[^>]+>/, // <sim run>
  /\bsweep\.yaml\b/,
  /\$[A-Z_]/,
  /\ba\.rlog b\.arrow\b/,
  /\bgzip[.-](lackey|rltrace|img|rec)\b/, // the README's valgrind example: the lackey output is the reader's
];

interface DocCommand {
  readonly doc: string;
  readonly line: number;
  readonly args: string[];
}

function docCommands(): { run: DocCommand[]; templates: string[] } {
  const run: DocCommand[] = [];
  const templates: string[] = [];
  for (const doc of DOCS) {
    const lines = fs.readFileSync(path.join(ROOT, doc), 'utf8').split('\n');
    let fence: string | null = null; // the language of the code block we are in
    lines.forEach((text, i) => {
      const f = /^```(\w*)\s*$/.exec(text);
      if (f) {
        fence = fence === null ? f[1] || 'sh' : null;
        return;
      }
      if (fence !== 'sh' && fence !== 'bash') return;
      const cmd = text.replace(/\s+#.*$/, '').trim();
      if (/^#/.test(cmd)) return;
      if (!/^(npm run restorelab -- |npx restorelab |restorelab )/.test(cmd)) return;
      if (TEMPLATES.some((t) => t.test(cmd))) {
        templates.push(`${doc}:${i + 1}`);
        return;
      }
      for (const part of cmd.split(' && ')) {
        const args = part.replace(/^(npm run restorelab -- |npx restorelab |restorelab )/, '').split(/\s+/);
        run.push({ doc, line: i + 1, args });
      }
    });
  }
  return { run, templates };
}

const needsLinux = (args: readonly string[]) =>
  args.join(' ').includes('--backend linux') || ['doctor', 'bench', 'calibrate', 'fidelity'].includes(args[0]) || (args[0] === 'matrix' && args[1] === 'examples/experiment.yaml' && !args.includes('--skip-unavailable'));

describe('the commands the docs print', () => {
  const { run, templates } = docCommands();
  const linux = linuxUnavailableReason() === undefined;
  let cwd: string;
  beforeAll(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-doc-commands-'));
    fs.symlinkSync(path.join(ROOT, 'examples'), path.join(cwd, 'examples'));
  });
  afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('leaves out only templates', () => {
    expect(templates).toEqual([
      'README.md:93',
      'README.md:94',
      'README.md:95',
      'README.md:96',
      'docs/experiments.md:144',
      'docs/experiments.md:321',
      'docs/experiments.md:322',
      'docs/experiments.md:337',
    ]);
    expect(run.length).toBeGreaterThan(25);
  });

  it('runs each, in order, as printed: exit 0, no error line', () => {
    expect(run.map((c) => `${c.doc}:${c.line}`)).toContain('docs/notebook.md:11');
    for (const c of run) {
      if (needsLinux(c.args) && !linux) continue; // no userfaultfd here: these say so and exit 1 (commands.test.ts checks that)
      const r = spawnSync(process.execPath, [BIN, ...c.args], { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, RESTORELAB_DEBUG: '' } });
      const where = `${c.doc}:${c.line}: restorelab ${c.args.join(' ')}`;
      expect({ where, code: r.status, error: r.stderr.split('\n').filter((l) => l.startsWith('restorelab:')) }).toEqual({ where, code: 0, error: [] });
    }
  });
});
