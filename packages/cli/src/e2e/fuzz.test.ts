import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { FuzzReport } from '@restorelab/core/testing';
import { assertBuilt, tempDir } from './cli';

const FUZZ = path.resolve(__dirname, '..', '..', 'dist', 'fuzz', 'fuzz-main.js');
/** Cases per reader (the Arrow reader takes a tenth: each of its cases is a decoding process). */
const CASES = Number(process.env.FUZZ_CASES ?? 700);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
/** No report line for this long: a case hangs (the case is left in the save directory). */
const STALL_MS = 120_000;

function fuzz(saveDir: string): Promise<{ reports: FuzzReport[]; code: number | null; stderr: string; stalled: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FUZZ, '--cases', String(CASES), '--seed', String(SEED), '--save-dir', saveDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const reports: FuzzReport[] = [];
    let out = '';
    let stderr = '';
    let stalled = false;
    let timer = setTimeout(() => ((stalled = true), child.kill('SIGKILL')), STALL_MS);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        reports.push(JSON.parse(out.slice(0, nl)) as FuzzReport);
        out = out.slice(nl + 1);
        clearTimeout(timer);
        timer = setTimeout(() => ((stalled = true), child.kill('SIGKILL')), STALL_MS);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ reports, code, stderr, stalled });
    });
  });
}

describe('every reader under mutation fuzzing (e2e)', () => {
  beforeAll(assertBuilt);

  it(
    'refuses every mutant with one clean line or reads it, within the memory bound, and never hangs',
    async () => {
      const saveDir = tempDir('fuzz-failures');
      const { reports, code, stderr, stalled } = await fuzz(saveDir);
      const left = fs.readdirSync(saveDir);
      // on failure: what failed, and where its bytes are
      const failures = reports.flatMap((r) => r.failures);
      expect({ stalled, stderr, failures, left: stalled ? left : [] }).toEqual({ stalled: false, stderr: '', failures: [], left: [] });
      expect(code).toBe(0);
      const names = reports.map((r) => r.target);
      expect(names).toEqual(['event-log', 'arrow-log', 'image-manifest', 'image-blob', 'cost-model', 'trace', 'lackey', 'csv', 'criu-mm', 'criu-pagemap', 'experiment-json', 'experiment-yaml', 'specs']);
      for (const r of reports) {
        expect(r.cases).toBe(r.target === 'arrow-log' ? Math.round(CASES / 10) : CASES);
        expect(r.accepted + r.refused).toBe(r.cases);
        expect(r.refused).toBeGreaterThan(0);
      }
      const total = reports.reduce((n, r) => n + r.cases, 0);
      console.log(`fuzz: ${total} cases over ${reports.length} readers, seed ${SEED}: ${reports.map((r) => `${r.target} ${r.cases} (${r.refused} refused, ${r.accepted} read, slowest ${r.slowestMs.toFixed(0)} ms, peak RSS +${r.rssGrowthMiB.toFixed(0)} MiB)`).join('; ')}`);
      fs.rmSync(saveDir, { recursive: true, force: true });
    },
    600_000,
  );
});
