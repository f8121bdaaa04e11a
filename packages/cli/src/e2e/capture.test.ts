import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PageFlag, readImage, RunResult } from '@restorelab/core';
import { linuxUnavailableReason } from '@restorelab/backend-linux';
import { cli, tempDir } from './cli';

const skip = linuxUnavailableReason();
if (skip) console.warn(`image capture tests skipped: ${skip}`);
const linuxDescribe = skip ? describe.skip : describe;

const SOURCE = path.join(__dirname, '__fixtures__', 'capture-target.c');
const PAGE = 4096;

function state(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

linuxDescribe('image capture of a live process (e2e)', () => {
  let dir: string;
  let child: ChildProcess;
  let buf: number;
  let huge: number;

  beforeAll(async () => {
    dir = tempDir('capture');
    const exe = path.join(dir, 'capture-target');
    execFileSync('cc', ['-O1', '-o', exe, SOURCE]);
    child = spawn(exe, [], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString())));
    [buf, huge] = line.trim().split(' ').map((x) => parseInt(x, 16));
  });
  afterAll(() => {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes an image with the process's pages, zero pages detected, THP advice kept, and resumes it", async () => {
    const out = path.join(dir, 'img');
    const r = await cli(['image', 'capture', '--pid', String(child.pid), out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const figures = JSON.parse(r.stdout) as { wasStopped: boolean; hugepageVmas: number; zeroPagesRead: number; untouchedPages: number };
    expect(figures.wasStopped).toBe(false);
    expect(figures.hugepageVmas).toBeGreaterThanOrEqual(1);
    expect(state(child.pid!)).not.toBe('T');

    const image = readImage(out);
    try {
      const [p] = image.processes;
      const vmaAt = (addr: number) => p.vmas.find((v) => addr >= v.start && addr < v.start + v.pages * PAGE)!;
      const pageAt = (addr: number) => vmaAt(addr).firstPage + (addr - vmaAt(addr).start) / PAGE;
      const page = Buffer.alloc(PAGE);
      for (let i = 0; i < 64; i++) {
        const at = pageAt(buf + i * PAGE);
        const written = i % 2 === 0 && i !== 10;
        expect([i, (p.pageFlags[at] & PageFlag.Content) !== 0]).toEqual([i, written]);
        image.readPage(p.pid, at, page);
        expect([i, page.equals(Buffer.alloc(PAGE, written ? i + 1 : 0))]).toEqual([i, true]);
      }
      expect(vmaAt(huge).thp).toBe('hugepage');
    } finally {
      image.close();
    }
  });

  it('of a process stopped already: every page equals its memory, and it stays stopped', async () => {
    process.kill(child.pid!, 'SIGSTOP');
    while (state(child.pid!) !== 'T') await new Promise((r) => setTimeout(r, 1));
    const out = path.join(dir, 'img-stopped');
    try {
      const r = await cli(['image', 'capture', '--pid', String(child.pid), out, '--json']);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as { wasStopped: boolean }).wasStopped).toBe(true);
      expect(state(child.pid!)).toBe('T');
      const image = readImage(out);
      const mem = fs.openSync(`/proc/${child.pid}/mem`, 'r');
      const page = Buffer.alloc(PAGE);
      const live = Buffer.alloc(PAGE);
      let compared = 0;
      try {
        const [p] = image.processes;
        for (const v of p.vmas) {
          for (let k = 0; k < v.pages; k++) {
            fs.readSync(mem, live, 0, PAGE, v.start + k * PAGE);
            image.readPage(p.pid, v.firstPage + k, page);
            if (!page.equals(live)) throw new Error(`page ${k} of the VMA at 0x${v.start.toString(16)} differs from the process's memory`);
            compared++;
          }
        }
      } finally {
        fs.closeSync(mem);
        image.close();
      }
      expect(compared).toBe(image.processes[0].totalPages);
    } finally {
      process.kill(child.pid!, 'SIGCONT');
    }
  });

  it('restores on Linux with 0 mismatches, and with a trace of its addresses the same demand faults as the simulator', async () => {
    const csv = path.join(dir, 'touch.csv');
    fs.writeFileSync(csv, Array.from({ length: 64 }, (_, i) => `0x${(buf + i * PAGE).toString(16)},${i % 3 === 0 ? 'w' : 'r'}`).join('\n') + '\n');
    const trace = path.join(dir, 'touch.rltrace');
    expect((await cli(['trace', 'import', '--format', 'csv', csv, trace])).code).toBe(0);
    const out = path.join(dir, 'img-traced');
    const cap = await cli(['image', 'capture', '--pid', String(child.pid), out, '--trace', trace]);
    expect(cap.code).toBe(0);
    expect(fs.existsSync(path.join(out, 'trace.rltrace'))).toBe(true);
    const linux = await cli(['run', '--backend', 'linux', '--workload', `image:${out}`, '--strategy', 'demand-only', '--strategy', 'eager', '--json']);
    expect(linux.code).toBe(0);
    const results = JSON.parse(linux.stdout) as RunResult[];
    expect(results.map((x) => [x.strategy, x.verified, x.metrics.mismatchedPages])).toEqual([
      ['demand-only', true, 0],
      ['eager', true, 0],
    ]);
    const sim = JSON.parse((await cli(['run', '--workload', `image:${out}`, '--strategy', 'demand-only', '--json'])).stdout) as RunResult[];
    expect(results[0].metrics.demandFaults).toBe(64);
    expect(sim[0].metrics.demandFaults).toBe(64);
  });

  it('a trace that does not fit the process is one line, and the process runs on', async () => {
    const csv = path.join(dir, 'far.csv');
    fs.writeFileSync(csv, '0x10000000\n');
    const trace = path.join(dir, 'far.rltrace');
    await cli(['trace', 'import', '--format', 'csv', csv, trace]);
    const r = await cli(['image', 'capture', '--pid', String(child.pid), path.join(dir, 'img-far'), '--trace', trace]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^restorelab: trace .*far\.rltrace: access 0 of process 1 is at 0x10000000, outside the image's VMAs\n$/);
    expect(state(child.pid!)).not.toBe('T');
    expect(fs.existsSync(path.join(dir, 'img-far', 'manifest.json'))).toBe(false);
  });

  it('refuses a pid that does not exist', async () => {
    const r = await cli(['image', 'capture', '--pid', '4194303', path.join(dir, 'none')]);
    expect([r.code, r.stderr]).toEqual([2, 'restorelab: no process 4194303\n']);
  });
});
