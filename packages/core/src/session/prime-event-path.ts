import { asyncScheduler, filter, map, merge } from 'rxjs';
import { BackendPort } from '../backend/backend-port';
import { CopyCause, EventKind } from '../events/event-kind';
import { EventStore } from '../events/event-store';
import { Image, PageFlag, ProcessImage } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { Workload } from '../model/workload';
import { Strategy } from '../strategy/strategy';
import { copyPages } from '../strategy/strategy-command';
import { RestoreSession } from './restore-session';

const PRIME_PID = 1;
const PRIME_PAGES = 4096;
/** Faults per batch: about what one drain of the Linux backend's ring holds while it keeps up. */
const PRIME_FAULTS_PER_BATCH = 2;

let primed = false;

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
  const store = new EventStore();
  if (primed) return store;
  primed = true;
  const session = new RestoreSession(primeWorkload(), [{ name: 'prime', spec: 'prime', instance: PRIMER }], store);
  let clock = 1_000_000.5;
  const port: BackendPort = {
    scheduler: asyncScheduler,
    now: () => clock,
    submitCopy: () => undefined,
    submitMadvise: () => undefined,
    submitFaultRules: () => undefined,
  };
  session.start(port);
  session.emit(EventKind.VmaRegistered, clock, PRIME_PID, 0, 0, PRIME_PAGES, 1);
  session.emit(EventKind.WorkloadStarted, clock, PRIME_PID, 0, 0, 0, 0);
  for (let page = 0; page + 1 < PRIME_PAGES; ) {
    session.batch(() => {
      for (let k = 0; k < PRIME_FAULTS_PER_BATCH && page + 1 < PRIME_PAGES; k++, page += 2) {
        clock += 8000.25;
        session.emit(EventKind.FaultRaised, clock, PRIME_PID, page, PRIME_PID, 0, 0);
        session.emit(EventKind.PagesCopied, clock, PRIME_PID, page, 1, CopyCause.Demand, 1);
        session.emit(EventKind.FaultResolved, clock, PRIME_PID, page, 3000.5, 0, 0);
        // the primer asked for page + 1: what the backend answers
        session.emit(EventKind.CopyLanded, clock, PRIME_PID, page + 1, 1, session.log.length - 2, session.log.length - 1);
        session.emit(EventKind.PagesCopied, clock, PRIME_PID, page + 1, 1, CopyCause.Prefetch, 1);
      }
    });
  }
  session.emit(EventKind.WorkloadEnded, clock, PRIME_PID, PRIME_PAGES, 0, 0, 0);
  session.finish();
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
