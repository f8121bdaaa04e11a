import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PageFlag, readImage, RunResult } from '@restorelab/core';
import { cli, tempDir } from './cli';
import { criuUnavailableReason, findCriu } from './criu';

const criu = findCriu();
const why = criuUnavailableReason(criu);
if (why) console.warn(`image import --format criu of a real dump skipped: ${why}`);
const criuDescribe = why ? describe.skip : describe;

const SOURCE = path.join(__dirname, '__fixtures__', 'capture-target.c');
const PAGE = 4096;

criuDescribe('image import --format criu of a real criu dump (e2e)', () => {
  let dir: string;
  let pid: number;
  let buf: number;

  beforeAll(async () => {
    dir = tempDir('criu-import');
    const exe = path.join(dir, 'capture-target');
    execFileSync('cc', ['-O1', '-o', exe, SOURCE]);
    const outFile = path.join(dir, 'target.out');
    const out = fs.openSync(outFile, 'w');
    // its own session, no pipe to us: a process criu dumps without options for external resources
    const child = spawn(exe, [], { detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    pid = child.pid!;
    child.unref();
    while (!fs.readFileSync(outFile, 'utf8').includes('\n')) await new Promise((r) => setTimeout(r, 10));
    buf = parseInt(fs.readFileSync(outFile, 'utf8').split(' ')[0], 16);
    fs.mkdirSync(path.join(dir, 'dump'));
    const dump = spawnSync(criu!, ['dump', '-t', String(pid), '-D', path.join(dir, 'dump'), '--shell-job'], { encoding: 'utf8', input: '' });
    if (dump.status !== 0) throw new Error(`criu dump failed: ${dump.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }, 60_000);
  afterAll(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // criu dump ends the process
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives an image with the dumped pages, which restores on both backends with 0 mismatches', async () => {
    const img = path.join(dir, 'img');
    const r = await cli(['image', 'import', '--format', 'criu', path.join(dir, 'dump'), img]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const image = readImage(img);
    try {
      const [p] = image.processes;
      expect(p.pid).toBe(pid);
      const v = p.vmas.find((x) => buf >= x.start && buf < x.start + x.pages * PAGE)!;
      const page = Buffer.alloc(PAGE);
      for (let i = 0; i < 64; i += 2) {
        const lp = v.firstPage + (buf - v.start) / PAGE + i;
        expect([i, (p.pageFlags[lp] & PageFlag.Content) !== 0]).toEqual([i, true]);
        image.readPage(p.pid, lp, page);
        expect([i, page.equals(Buffer.alloc(PAGE, i === 10 ? 0 : i + 1))]).toEqual([i, true]);
      }
      // odd pages were never touched: criu dumped nothing of them
      expect(p.pageFlags[v.firstPage + (buf - v.start) / PAGE + 1] & PageFlag.Content).toBe(0);
      expect(p.vmas.some((x) => x.thp === 'hugepage')).toBe(true);
    } finally {
      image.close();
    }
    for (const backend of ['sim', 'linux']) {
      const run = await cli(['run', '--backend', backend, '--workload', `image:${img}`, '--strategy', 'eager', '--json']);
      expect(run.code).toBe(0);
      const [res] = JSON.parse(run.stdout) as RunResult[];
      expect([backend, res.verified, res.metrics.mismatchedPages]).toEqual([backend, true, 0]);
    }
  });

  it('restores as --workload criu:DIR on both backends with 0 mismatches, the same pages copied', async () => {
    const copied: number[] = [];
    for (const backend of ['sim', 'linux']) {
      const run = await cli(['run', '--backend', backend, '--workload', `criu:${path.join(dir, 'dump')}`, '--strategy', 'eager', '--json']);
      expect(run.stderr).toBe('');
      const [res] = JSON.parse(run.stdout) as RunResult[];
      expect([backend, run.code, res.verified, res.metrics.mismatchedPages]).toEqual([backend, 0, true, 0]);
      copied.push(res.metrics.pagesCopied.precopy);
    }
    expect(copied[0]).toBeGreaterThan(32);
    expect(copied[1]).toBe(copied[0]);
  });

  it('a damaged dump is one line naming the file', async () => {
    const dump = path.join(dir, 'dump');
    const bad = path.join(dir, 'bad-dump');
    fs.cpSync(dump, bad, { recursive: true });
    const pm = path.join(bad, `pagemap-${pid}.img`);
    fs.writeFileSync(pm, fs.readFileSync(pm).subarray(0, 13));
    const r = await cli(['image', 'import', '--format', 'criu', bad, path.join(dir, 'bad-img')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^restorelab: CRIU image .*pagemap-${pid}\\.img: .* at byte \\d+\\n$`));
  });
});
