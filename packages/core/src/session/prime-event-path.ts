import { asyncScheduler, filter, map, merge } from 'rxjs';
import { BackendPort } from '../backend/backend-port';
import { CopyCause, EventKind, RejectReason } from '../events/event-kind';
import { EventStore } from '../events/event-store';
import { Image, PageFlag, ProcessImage } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { Workload } from '../model/workload';
import { Strategy } from '../strategy/strategy';
import { copyPages } from '../strategy/strategy-command';
import { AttachedStrategy, RestoreSession } from './restore-session';

const PRIME_PID = 1;
const PRIME_PAGES = 4096;
/** Faults per batch: about what one drain of the Linux backend's ring holds while it keeps up. */
const PRIME_FAULTS_PER_BATCH = 2;

let primed = false;
const warmedStacks = new Set<string>();

/**
 * Compiles the session's event path before the first restore whose strategies react while it
 * runs. V8 compiles each function when it is first called: on this path that is dozens of them
 * (the bus, the page-state fold, the command gate, the stream machinery), ~1.5 ms spent at the
 * first faults of a fresh process, during which a couple of hundred decisions came late. This
 * runs a throwaway session on a small image of its own through the same calls (registration,
 * faults, copies, a command stream answering each fault) once per process. Only core's code and
 * RxJS run: no strategy of the user's is called, no backend is involved, nothing is logged.
 * Returns the throwaway log, empty when the path was primed before.
 */
export function primeEventPath(): EventStore {
  if (primed) return new EventStore();
  primed = true;
  return primeSession([{ name: 'prime', spec: 'prime', instance: PRIMER }]);
}

/**
 * The same for a stack's own code: `fresh` instances of it (never the ones of the real run) on a
 * throwaway session of the prime image, once per stack (`key`) and process, so that the first
 * decisions of its first restore do not wait for V8 to compile its handlers (~0.5 ms at the first
 * decisions of criu-lazy in a fresh process). Its commands are answered as a backend would; what
 * it does is not logged anywhere; a strategy that throws here is only detached from this session.
 * Returns the throwaway log, empty when the stack was warmed before.
 */
export function warmUpStrategies(key: string, fresh: () => readonly AttachedStrategy[]): EventStore {
  if (warmedStacks.has(key)) return new EventStore();
  warmedStacks.add(key);
  return primeSession(fresh());
}

function primeSession(strategies: readonly AttachedStrategy[]): EventStore {
  const store = new EventStore();
  const session = new RestoreSession(primeWorkload(), strategies, store);
  let clock = 1_000_000.5;
  /** Copies asked for since the last batch: page, count, cause, reactsTo, queuedSeq. */
  let asked: number[] = [];
  const port: BackendPort = {
    scheduler: asyncScheduler,
    now: () => clock,
    submitCopy: (_pid, page, count, cause, _priority, reactsTo, queuedSeq) => void asked.push(page, count, cause, reactsTo, queuedSeq),
    submitMadvise: () => undefined,
    submitFaultRules: () => undefined,
  };
  const present = new Uint8Array(PRIME_PAGES);
  const answer = (page: number, count: number, cause: number, reactsTo: number, queuedSeq: number) => {
    session.emit(EventKind.CopyLanded, clock, PRIME_PID, page, count, reactsTo, queuedSeq);
    for (let i = page, end = Math.min(page + count, PRIME_PAGES); i < end; ) {
      const was = present[i];
      let j = i + 1;
      while (j < end && present[j] === was) j++;
      if (was) session.emit(EventKind.CopyRejected, clock, PRIME_PID, i, j - i, RejectReason.Eexist, cause);
      else {
        present.fill(1, i, j);
        session.emit(EventKind.PagesCopied, clock, PRIME_PID, i, j - i, cause, 1);
      }
      i = j;
    }
  };
  const answerAsked = () => {
    while (asked.length > 0) {
      const todo = asked;
      asked = [];
      for (let k = 0; k < todo.length; k += 5) answer(todo[k], todo[k + 1], todo[k + 2], todo[k + 3], todo[k + 4]);
    }
  };
  try {
    session.start(port);
    session.emit(EventKind.VmaRegistered, clock, PRIME_PID, 0, 0, PRIME_PAGES, 1);
    session.emit(EventKind.WorkloadStarted, clock, PRIME_PID, 0, 0, 0, 0);
    for (let page = 0; page < PRIME_PAGES; ) {
      session.batch(() => {
        answerAsked();
        for (let k = 0; k < PRIME_FAULTS_PER_BATCH; k++) {
          while (page < PRIME_PAGES && present[page]) page++;
          if (page === PRIME_PAGES) break;
          clock += 8000.25;
          present[page] = 1;
          session.emit(EventKind.FaultRaised, clock, PRIME_PID, page, PRIME_PID, 0, 0);
          session.emit(EventKind.PagesCopied, clock, PRIME_PID, page, 1, CopyCause.Demand, 1);
          session.emit(EventKind.FaultResolved, clock, PRIME_PID, page, 3000.5, 0, 0);
          // as the Linux backend's JS thread serves prefetches: before the next fault
          answerAsked();
        }
      });
    }
    session.emit(EventKind.WorkloadEnded, clock, PRIME_PID, PRIME_PAGES, 0, 0, 0);
  } finally {
    session.finish();
  }
  return store;
}

/** Asks for the page after each fault, and listens to the copies: the shape of a reactive strategy. */
const PRIMER: Strategy = {
  attach: (ctx) =>
    merge(
      ctx.faults$.pipe(map((f) => copyPages(f.pid, f.page + 1, 1))),
      ctx.copies$.pipe(
        filter((c) => c.cause === CopyCause.Background),
        map((c) => copyPages(c.pid, c.page + c.count, 1)),
      ),
    ),
};

function primeWorkload(): Workload {
  const proc: ProcessImage = {
    pid: PRIME_PID,
    parent: null,
    vmas: [{ index: 0, start: 0x400000, pages: PRIME_PAGES, firstPage: 0, prot: 'rw', shared: false, anon: true, thp: 'default', collapseBeforeRegister: false, hugetlb: false }],
    totalPages: PRIME_PAGES,
    pageFlags: new Uint8Array(PRIME_PAGES).fill(PageFlag.Content),
    blobOffset: 0,
  };
  const image: Image = {
    name: 'prime',
    pageSize: PAGE_SIZE,
    processes: [proc],
    blobBytes: PRIME_PAGES * PAGE_SIZE,
    readPage: (_pid, _page, dst) => dst.fill(0, 0, PAGE_SIZE),
  };
  const none = { pid: PRIME_PID, page: new Uint32Array(0), write: new Uint8Array(0), gapNs: new Uint32Array(0), migrateAt: 0 };
  return { spec: 'prime', name: 'prime', params: {}, image, traces: [none] };
}
