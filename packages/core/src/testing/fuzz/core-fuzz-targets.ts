import * as fs from 'fs';
import * as path from 'path';
import { parseEventLog } from '../../events/event-log-reader';
import { FRAME_HEADER_BYTES, LOG_HEADER_BYTES } from '../../events/event-log-writer';
import { BLOB_FILE, MANIFEST_FILE, readImage } from '../../image/image-files';
import { computeMetrics, isVerified } from '../../metrics/compute-metrics';
import { readCriuDump } from '../../criu/criu-dump';
import { VmaStatus } from '../../criu/criu-schema';
import { writeTestDump } from '../criu-test-dump';
import { readTrace } from '../../trace/read-trace';
import { imageFromTrace } from '../../trace/trace-image';
import { linearTrace } from '../../trace/trace-mapping';
import { Rng } from '../../workloads/random';
import { FuzzTarget } from './fuzz-runner';
import { frameStarts, resealFrames } from './log-frames';
import { binaryMutants, jsonMutants, Mutant } from './mutate';

function* map<T, U>(items: Iterable<T>, f: (x: T) => U): Generator<U> {
  for (const x of items) yield f(x);
}

/** `n` mutants spread over several seeds, in turn. */
export function* spread(seeds: readonly Buffer[], n: number, make: (seed: Buffer, n: number) => Iterable<Mutant>): Generator<Mutant> {
  const per = Math.ceil(n / seeds.length);
  let left = n;
  for (const s of seeds) {
    for (const m of make(s, Math.min(per, left))) {
      left--;
      yield m;
    }
  }
}

/** Frame starts and payloads of an event log or a trace (the same framing), and its version, length, CRC and count fields. */
function logLayout(buf: Buffer): { regions: number[]; fields: number[] } {
  const regions = [4, LOG_HEADER_BYTES];
  const fields = [4];
  for (const off of frameStarts(buf)) {
    regions.push(off, off + FRAME_HEADER_BYTES);
    fields.push(off + 1, off + 5, off + FRAME_HEADER_BYTES);
  }
  return { regions, fields };
}

/** Mutants of framed files (event logs, traces) aimed at their frame fields; every other one has its CRCs made right. */
function framedMutants(seeds: readonly Buffer[], n: number, rng: Rng): Iterable<Mutant> {
  let i = 0;
  return map(
    spread(seeds, n, (s, k) => {
      const { regions, fields } = logLayout(s);
      return binaryMutants(s, k, rng, regions, fields);
    }),
    (m) => (i++ % 2 === 0 ? m : { how: `${m.how}, CRCs resealed`, bytes: resealFrames(m.bytes) }),
  );
}

/** An event log (.rlog) as `replay` reads it: parsed, then its metrics computed. Every other mutant has its CRCs made right. */
export function eventLogTarget(seeds: readonly Buffer[]): FuzzTarget {
  return {
    name: 'event-log',
    mutants: (n, rng) => framedMutants(seeds, n, rng),
    read(bytes) {
      const log = parseEventLog(bytes, 'fuzz.rlog');
      isVerified(log.store, computeMetrics(log.store));
    },
  };
}

/** An image directory as `image --check` reads it, one of its two files mutated. */
export function imageTargets(seedDir: string, workDir: string): FuzzTarget[] {
  const manifest = fs.readFileSync(path.join(seedDir, MANIFEST_FILE), 'utf8');
  const blob = fs.readFileSync(path.join(seedDir, BLOB_FILE));
  const check = (m: Buffer | string, b: Buffer) => {
    fs.mkdirSync(workDir, { recursive: true });
    fs.writeFileSync(path.join(workDir, MANIFEST_FILE), m);
    fs.writeFileSync(path.join(workDir, BLOB_FILE), b);
    readImage(workDir).close();
  };
  const pageRegions = Array.from({ length: Math.floor(blob.length / 4096) }, (_, i) => i * 4096);
  return [
    { name: 'image-manifest', mutants: (n: number, rng: Rng) => jsonMutants(manifest, n, rng), read: (bytes: Buffer) => check(bytes, blob) },
    { name: 'image-blob', mutants: (n: number, rng: Rng) => binaryMutants(blob, n, rng, pageRegions), read: (bytes: Buffer) => check(manifest, bytes) },
  ];
}

/** A trace (.rltrace) as `run --workload trace:FILE` reads it: read, an image synthesised, mapped onto it. Every other mutant has its CRCs made right. */
export function traceTarget(seeds: readonly Buffer[], workDir: string): FuzzTarget {
  const file = path.join(workDir, 'fuzz.rltrace');
  return {
    name: 'trace',
    mutants: (n, rng) => framedMutants(seeds, n, rng),
    read(bytes) {
      fs.mkdirSync(workDir, { recursive: true });
      fs.writeFileSync(file, bytes);
      const trace = readTrace(file);
      const image = imageFromTrace(trace, 'fuzz', 1);
      trace.processes.forEach((t, k) => linearTrace(t, image.processes[k], 'fuzz'));
    },
  };
}

/** A CRIU dump as `image import --format criu` reads it, its mm or its pagemap image mutated; every content page is read. */
export function criuTargets(workDir: string): FuzzTarget[] {
  const seedDir = path.join(workDir, 'criu-seed');
  const anon = VmaStatus.Regular | VmaStatus.AnonPrivate;
  writeTestDump(seedDir, {
    vmas: [
      { start: 0x7f0000000000, pages: 8, status: anon | VmaStatus.Heap },
      { start: 0x7f0000010000, pages: 4, status: VmaStatus.Regular | VmaStatus.FilePrivate },
      { start: 0x7f0000020000, pages: 4, status: anon, madv: 2 ** 14 },
    ],
    pagemap: [
      { vaddr: 0x7f0000001000, pages: 2 },
      { vaddr: 0x7f0000010000, pages: 1 },
      { vaddr: 0x7f0000021000, pages: 3 },
    ],
  });
  const caseDir = path.join(workDir, 'criu-case');
  const target = (file: string): FuzzTarget => ({
    name: `criu-${file.split('-')[0]}`,
    mutants: (n, rng) => binaryMutants(fs.readFileSync(path.join(seedDir, file)), n, rng, [0, 4, 8], [8]),
    read(bytes) {
      fs.rmSync(caseDir, { recursive: true, force: true });
      fs.cpSync(seedDir, caseDir, { recursive: true });
      fs.writeFileSync(path.join(caseDir, file), bytes);
      const img = readCriuDump(caseDir);
      try {
        const page = new Uint8Array(4096);
        const [p] = img.processes;
        for (let i = 0; i < p.totalPages; i++) img.readPage(p.pid, i, page);
      } finally {
        img.close();
      }
    },
  });
  return [target('mm-4242.img'), target('pagemap-4242.img')];
}
