import {
  AttachedStrategy,
  builtInWorkloads,
  DefaultWorkloadRegistry,
  EventKindName,
  EventStore,
  Image,
  Link,
  PageFlag,
  PAGE_SIZE,
  ProcessImage,
  ProcessTrace,
  runRestore,
  RunOutcome,
  Strategy,
  ThpAdvice,
  VmaImage,
  Workload,
} from '@restorelab/core';
import { CostModel, defaultCostModel } from '../cost-model';
import { SimBackend } from '../sim-backend';

export interface HandVma {
  readonly pages: number;
  readonly thp?: ThpAdvice;
  readonly collapse?: boolean;
  readonly hugetlb?: boolean;
}

export interface HandProcess {
  readonly pid: number;
  readonly parent?: number;
  readonly vmas: readonly (number | HandVma)[];
  /** PageFlag bits per page; default Content. */
  readonly flags?: (page: number) => number;
  /** Restore-phase accesses: a page, or [page, 'w'] for a write. */
  readonly accesses?: readonly (number | readonly [number, 'w'])[];
  readonly sourceAccesses?: readonly number[];
  readonly gapNs?: number;
}

const BASE = 0x200000000;
const HUGE = 2 * 1024 * 1024;

/** A small image: VMAs at 2 MiB-aligned addresses, 2 MiB apart, laid end to end in page space. */
export function handWorkload(procs: readonly HandProcess[], name = 'hand'): Workload {
  let blob = 0;
  const processes: ProcessImage[] = procs.map((p) => {
    let first = 0;
    let address = BASE;
    const vmas: VmaImage[] = p.vmas.map((raw, index) => {
      const v: HandVma = typeof raw === 'number' ? { pages: raw } : raw;
      const vma: VmaImage = {
        index,
        start: address,
        pages: v.pages,
        firstPage: first,
        prot: 'rw',
        shared: false,
        anon: true,
        thp: v.thp ?? 'default',
        collapseBeforeRegister: v.collapse ?? false,
        hugetlb: v.hugetlb ?? false,
      };
      first += v.pages;
      address = Math.ceil((address + v.pages * PAGE_SIZE + HUGE) / HUGE) * HUGE;
      return vma;
    });
    const pageFlags = new Uint8Array(first);
    for (let i = 0; i < first; i++) pageFlags[i] = p.flags ? p.flags(i) : PageFlag.Content;
    const proc: ProcessImage = { pid: p.pid, parent: p.parent ?? null, vmas, totalPages: first, pageFlags, blobOffset: blob };
    blob += first * PAGE_SIZE;
    return proc;
  });
  const image: Image = {
    name,
    pageSize: PAGE_SIZE,
    processes,
    blobBytes: blob,
    readPage(_pid: number, _page: number, dst: Uint8Array): void {
      dst.fill(0, 0, PAGE_SIZE);
    },
  };
  const traces: ProcessTrace[] = procs.map((p) => {
    const src = p.sourceAccesses ?? [];
    const acc = p.accesses ?? [];
    const n = src.length + acc.length;
    const page = new Uint32Array(n);
    const write = new Uint8Array(n);
    src.forEach((pg, i) => (page[i] = pg));
    acc.forEach((a, i) => {
      if (typeof a === 'number') page[src.length + i] = a;
      else {
        page[src.length + i] = a[0];
        write[src.length + i] = 1;
      }
    });
    return { pid: p.pid, page, write, gapNs: new Uint32Array(n).fill(p.gapNs ?? 100), migrateAt: src.length };
  });
  return { spec: name, name, params: {}, image, traces };
}

/** A built-in generator by spec, e.g. `seq:pages=100,vmas=2`. */
export function generated(spec: string): Workload {
  return new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads }).create(spec);
}

export function attached(name: string, instance: Strategy, spec = name): AttachedStrategy {
  return { name, spec, instance };
}

export async function simulate(
  workload: Workload,
  strategies: readonly AttachedStrategy[] = [],
  cost: Partial<CostModel> = {},
  link?: Link,
): Promise<RunOutcome> {
  return runRestore({
    // exact-timing tests leave out the runner's start and the idle monitor's and the far fault's cache costs unless they ask
    backend: new SimBackend({ ...defaultCostModel, runnerStartNs: 0, faultIdleNs: 0, faultJumpNs: 0, ...cost }),
    workload,
    strategy: strategies.map((s) => s.spec).join(','),
    strategies,
    seed: 1,
    logPath: null,
    link,
  });
}

export interface Ev {
  readonly seq: number;
  readonly kind: string;
  readonly t: number;
  readonly pid: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

export function events(store: EventStore): Ev[] {
  const out: Ev[] = [];
  for (let i = 0; i < store.length; i++) {
    out.push({
      seq: i,
      kind: EventKindName[store.kind[i]],
      t: store.t[i],
      pid: store.pid[i],
      a: store.a[i],
      b: store.b[i],
      c: store.c[i],
      d: store.d[i],
    });
  }
  return out;
}

export function ofKind(store: EventStore, kind: string): Ev[] {
  return events(store).filter((e) => e.kind === kind);
}

/** `Kind:pid` for each event, a compact way to assert an order. */
export function trail(evs: readonly Ev[]): string[] {
  return evs.map((e) => `${e.kind}:${e.pid}`);
}
