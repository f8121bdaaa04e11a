import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readImage } from '@restorelab/core';
import { linuxUnavailableReason } from '@restorelab/backend-linux';
import { cli, startCli, tempDir, until } from './cli';

const skip = linuxUnavailableReason();
if (skip) console.warn(`live snapshot tests skipped: ${skip}`);
const linuxDescribe = skip ? describe.skip : describe;

const SOURCE = path.join(__dirname, '__fixtures__', 'snapshot-writer.c');
const PAGE = 4096;
const WORDS = PAGE / 8;
const DATA_PAGES = 8192;

interface Figures {
  pages: number;
  copiedOnWrite: number;
  pagesCopiedTwice: number;
  writeFaults: number;
  bufferPages: number;
  peakBufferPages: number;
  wasStopped: boolean;
}

/** Which data page step k of the writer writes (snapshot-writer.c). */
const pageOfStep = (k: bigint, backward: boolean): number => (backward ? DATA_PAGES - Number(k % BigInt(DATA_PAGES)) : 1 + Number(k % BigInt(DATA_PAGES)));

/**
 * Checks the writer's region in a snapshot byte for byte against the instant its header names:
 * each data page holds the last step <= K that wrote it, but the page of step K + 1 may hold a
 * prefix of K + 1 (the write in progress). Returns K.
 */
function checkInstant(dir: string, region: number, backward: boolean): bigint {
  const image = readImage(dir);
  try {
    const [p] = image.processes;
    const v = p.vmas.find((x) => region >= x.start && region < x.start + x.pages * PAGE)!;
    const first = v.firstPage + (region - v.start) / PAGE;
    const page = Buffer.alloc(PAGE);
    image.readPage(p.pid, first, page);
    const K = page.readBigUInt64LE(0);
    expect(K).toBeGreaterThan(BigInt(DATA_PAGES));
    const last = new Map<number, bigint>();
    for (let s = K; s > K - BigInt(DATA_PAGES) && s > 0n; s--) if (!last.has(pageOfStep(s, backward))) last.set(pageOfStep(s, backward), s);
    const inProgress = pageOfStep(K + 1n, backward);
    const wrong: number[] = [];
    for (let j = 1; j <= DATA_PAGES; j++) {
      image.readPage(p.pid, first + j, page);
      const want = last.get(j) ?? 0n;
      let w = 0;
      if (j === inProgress) while (w < WORDS && page.readBigUInt64LE(w * 8) === K + 1n) w++;
      for (; w < WORDS; w++)
        if (page.readBigUInt64LE(w * 8) !== want) {
          wrong.push(j);
          break;
        }
    }
    expect(wrong).toEqual([]);
    return K;
  } finally {
    image.close();
  }
}

linuxDescribe('restorelab snapshot of a live process (e2e)', () => {
  let dir: string;
  let exe: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    dir = tempDir('snapshot');
    exe = path.join(dir, 'snapshot-writer');
    execFileSync('cc', ['-O1', '-o', exe, SOURCE]);
  });
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function writer(mode: string, pages = DATA_PAGES): Promise<{ child: ChildProcess; region: number }> {
    const child = spawn(exe, [String(pages), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const line = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString())));
    return { child, region: parseInt(line.trim().split(' ')[1], 16) };
  }

  for (const mode of ['forward', 'backward']) {
    it(`of a writer going ${mode}: the image is its memory at the snapshot instant, the buffer stays within its bound, and it restores`, async () => {
      const { child, region } = await writer(mode);
      const out = path.join(dir, `snap-${mode}`);
      const r = await cli(['snapshot', '--pid', String(child.pid), '--buffer-mib', '0.0625', out, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const f = JSON.parse(r.stdout) as Figures;
      expect(f.wasStopped).toBe(false);
      expect(f.pagesCopiedTwice).toBe(0);
      expect(f.bufferPages).toBe(16);
      expect(f.peakBufferPages).toBeLessThanOrEqual(16);
      expect(f.writeFaults).toBeGreaterThan(0);
      // the writer ahead of the copier: its writes are what fills the buffer
      if (mode === 'backward') expect(f.copiedOnWrite).toBeGreaterThan(0);
      checkInstant(out, region, mode === 'backward');
      // it was resumed and keeps writing
      expect(fs.readFileSync(`/proc/${child.pid}/stat`, 'latin1')).not.toMatch(/\) T /);
      const run = await cli(['run', '--backend', 'linux', '--workload', `image:${out}`, '--strategy', 'demand-only', '--json']);
      expect(run.code).toBe(0);
      expect((JSON.parse(run.stdout) as { verified: boolean }[])[0].verified).toBe(true);
    });
  }

  it('when the engine dies mid-snapshot: one line, exit 2, nothing left in OUT, and the process runs on unprotected', async () => {
    // 1 GiB: the copy lasts long enough to be cut
    const { child, region } = await writer('forward', 262144);
    const out = path.join(dir, 'cut');
    const run = startCli(['snapshot', '--pid', String(child.pid), out]);
    const engine = await until(
      'the snapshot engine',
      () => {
        const kids = fs.readFileSync(`/proc/${run.child.pid}/task/${run.child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
        return kids.find((k) => fs.readFileSync(`/proc/${k}/comm`, 'utf8').startsWith('restorelab-snap'));
      },
      10_000,
    );
    await new Promise((r) => setTimeout(r, 100));
    process.kill(engine, 'SIGKILL');
    const r = await run.done;
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('restorelab: the snapshot engine ended with SIGKILL (the process runs on)');
    expect(fs.readdirSync(out)).toEqual([]);
    // its header keeps moving: no page of it is left write-protected with nobody to answer
    const header = () => {
      const fd = fs.openSync(`/proc/${child.pid}/mem`, 'r');
      try {
        const b = Buffer.alloc(8);
        fs.readSync(fd, b, 0, 8, region);
        return b.readBigUInt64LE(0);
      } finally {
        fs.closeSync(fd);
      }
    };
    const before = header();
    await until('the writer to go on', () => (header() > before + 262144n ? true : undefined), 10_000);
    child.kill('SIGKILL');
  });

  it('refuses what it cannot do in one line: no such process, a buffer under one page', async () => {
    const gone = await cli(['snapshot', '--pid', '999999999', path.join(dir, 'none')]);
    expect(gone.code).toBe(2);
    expect(gone.stderr.trim()).toBe('restorelab: no process 999999999');
    const { child } = await writer('forward');
    const tiny = await cli(['snapshot', '--pid', String(child.pid), '--buffer-mib', '0.001', path.join(dir, 'tiny')]);
    expect(tiny.code).toBe(2);
    expect(tiny.stderr.trim().split('\n')).toHaveLength(1);
    expect(tiny.stderr).toContain('--buffer-mib must be at least one page');
  });
});
