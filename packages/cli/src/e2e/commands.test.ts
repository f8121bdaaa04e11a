import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cli, errLines, tempDir } from './cli';

interface Listed {
  name: string;
  description: string;
  deterministic?: boolean;
  params: { name: string; type: string; default: unknown; minimum?: number; maximum?: number; enum?: string[] }[];
}

describe('listing, image and doctor commands (e2e)', () => {
  it('lists strategies with their parameters', async () => {
    const [json, text] = await Promise.all([cli(['strategies', '--json']), cli(['strategies'])]);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as Listed[];
    const names = list.map((s) => s.name);
    expect(names.slice(0, 2)).toEqual(['demand-only', 'eager']);
    expect(names).toEqual(expect.arrayContaining(['neighbor-prefetch', 'thp-guard', 'cow-aware', 'hot-first-precopy']));
    for (const s of list) {
      expect(typeof s.description).toBe('string');
      expect(typeof s.deterministic).toBe('boolean');
    }
    const window = list.find((s) => s.name === 'neighbor-prefetch')!.params.find((p) => p.name === 'window')!;
    expect(window).toMatchObject({ type: 'integer' });
    expect(typeof window.default).toBe('number');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^neighbor-prefetch {2}\((deterministic|timing-dependent)\)$/m);
    expect(text.stdout).toMatch(/^ {2}window\s+integer\s+\d+/m);
  });

  it('lists workloads with their parameters', async () => {
    const r = await cli(['workloads', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Listed[];
    expect(list.map((w) => w.name)).toEqual(expect.arrayContaining(['seq', 'zipf', 'forktree', 'thp-predump']));
    const zipf = list.find((w) => w.name === 'zipf')!;
    expect(zipf.params.map((p) => p.name)).toEqual(expect.arrayContaining(['pages', 'accesses', 'seed']));
    expect(zipf.params.find((p) => p.name === 'pages')).toMatchObject({ type: 'integer', default: 16384, minimum: 1 });
  });

  it('writes an image and checks it; a damaged blob fails the check', async () => {
    const dir = tempDir('e2e-image');
    try {
      const out = path.join(dir, 'img');
      const w = await cli(['image', 'forktree:pages=512', '--out', out]);
      expect(w.code).toBe(0);
      expect(fs.readdirSync(out).sort()).toEqual(['manifest.json', 'pages.bin', 'trace.rltrace']);
      const check = await cli(['image', '--check', out]);
      expect(check.code).toBe(0);
      expect(check.stdout).toMatch(/^image forktree:pages=512,.*seed=1: 4 processes, 2048 pages of 4096 bytes/);
      expect(check.stdout).toContain('checksums ok');
      expect(check.stdout).toContain("trace trace.rltrace: 3072 accesses of 4 processes, every one inside the image's VMAs");
      // the summary is the same written and read back
      expect(check.stdout.split('\n').slice(0, -3)).toEqual(w.stdout.split('\n').slice(0, -4));

      const blob = path.join(out, 'pages.bin');
      const bytes = fs.readFileSync(blob);
      const at = bytes.findIndex((b) => b !== 0);
      bytes[at] ^= 0xff;
      fs.writeFileSync(blob, bytes);
      const bad = await cli(['image', '--check', out]);
      expect(bad.code).toBe(2);
      expect(errLines(bad)).toEqual([expect.stringMatching(/^restorelab: image blob .*pages\.bin: checksum mismatch/)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('doctor reports and exits 0 whatever the machine offers', async () => {
    const [text, json] = await Promise.all([cli(['doctor']), cli(['doctor', '--json'])]);
    expect(text.code).toBe(0);
    expect(text.stdout.length).toBeGreaterThan(0);
    expect(json.code).toBe(0);
    expect(typeof JSON.parse(json.stdout)).toBe('object');
  });
});

describe('the restorelab command on the PATH of npm scripts and npx (e2e)', () => {
  it('is linked by the install: npx restorelab runs the built CLI without the registry', () => {
    const root = path.resolve(__dirname, '..', '..', '..', '..');
    expect(fs.realpathSync(path.join(root, 'node_modules', '.bin', 'restorelab'))).toBe(path.join(root, 'packages', 'cli', 'dist', 'bin.js'));
    const r = spawnSync('npx', ['--no-install', 'restorelab', 'workloads', '--json'], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { name: string }[]).map((w) => w.name)).toContain('zipf');
  });
});

describe('matrix --shard auto on job arrays (e2e)', () => {
  const experiment = JSON.stringify({
    name: 'array',
    backends: ['sim'],
    repetitions: 2,
    seed: 1,
    workloads: [{ name: 'zipf', params: { pages: 512, accesses: 2000 } }],
    strategies: ['demand-only', 'eager', 'neighbor-prefetch'],
  });

  it.each([
    ['a Slurm job array', (i: number) => ({ SLURM_ARRAY_TASK_ID: String(i + 1), SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' }), 'auto'],
    ['a Kubernetes Indexed Job', (i: number) => ({ JOB_COMPLETION_INDEX: String(i) }), 'auto/3'],
  ])('runs each shard of %s in its own process, and merge puts them together', async (_what, env, shard) => {
    const dir = tempDir('e2e-array');
    try {
      fs.writeFileSync(path.join(dir, 'array.json'), experiment);
      const shards = await Promise.all(
        [0, 1, 2].map((i) => cli(['matrix', 'array.json', '--shard', shard, '--out', `out-${i}`, '--no-report', '--jobs', '1'], { cwd: dir, env: env(i) })),
      );
      shards.forEach((r, i) => {
        // the count it prints before it starts is of its shard
        expect(r.stderr).toMatch(/^matrix: 2 runs/);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^matrix array \\(shard ${i + 1}/3 of 6 runs\\): 2/2 runs done$`, 'm'));
      });
      const merged = await cli(['merge', 'out-0', 'out-1', 'out-2', '--out', 'all', '--no-report'], { cwd: dir });
      expect(merged.code).toBe(0);
      expect(merged.stdout).toMatch(/^merged 3 shards: 6\/6 runs in all$/m);
      expect(fs.readFileSync(path.join(dir, 'all', 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(7);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
