import { EMPTY, map, Observable, queueScheduler, SchedulerLike, VirtualTimeScheduler } from 'rxjs';
import { BackendPort } from '../backend/backend-port';
import {
  CopyCause,
  CopyPriority,
  EventKind,
  EventKindName,
  FaultFlag,
  RejectReason,
  SwitchReason,
} from '../events/event-kind';
import { PrecopyRoundStat } from '../model/precopy';
import { EventStore } from '../events/event-store';
import { PageFlag, ThpAdvice } from '../model/image';
import { FaultRules } from '../model/plan';
import { Workload } from '../model/workload';
import { Strategy, StrategyContext } from '../strategy/strategy';
import { copyPages, StrategyCommand } from '../strategy/strategy-command';
import { TinyProcess, tinyWorkload } from '../testing/tiny-workload';
import { AttachedStrategy, RestoreSession } from './restore-session';
import { currentZone, StrategyZone } from './strategy-zone';

const K = EventKind;

/** pid 1: VMA 0 = pages [0,8), VMA 1 = [8,16); pid 2 (child): one VMA [0,4). */
const TREE: TinyProcess[] = [
  { pid: 1, vmas: [8, 8] },
  { pid: 2, parent: 1, vmas: [4] },
];

interface Copy {
  pid: number;
  page: number;
  count: number;
  cause: number;
  priority: number;
}

/** A scripted BackendPort: a counter clock the script advances, commands are recorded, never run. */
class ScriptedPort implements BackendPort {
  readonly scheduler: SchedulerLike = queueScheduler;
  private clock = 0;
  readonly copies: Copy[] = [];
  readonly madvises: { pid: number; vma: number; advice: ThpAdvice }[] = [];
  now(): number {
    return this.clock;
  }
  tick(): number {
    return (this.clock += 1000);
  }
  submitCopy(pid: number, page: number, count: number, cause: CopyCause, priority: CopyPriority, _reactsTo: number, _queuedSeq: number): void {
    this.copies.push({ pid, page, count, cause, priority });
  }
  submitMadvise(pid: number, vma: number, advice: ThpAdvice): void {
    this.madvises.push({ pid, vma, advice });
  }
  readonly rules: { pid: number; rules: FaultRules; reactsTo: number }[] = [];
  submitFaultRules(pid: number, rules: FaultRules, reactsTo: number): void {
    this.rules.push({ pid, rules, reactsTo });
  }
}

/** Plays the backend's part of the event protocol by hand. */
class ScriptedBackend {
  readonly port = new ScriptedPort();
  constructor(readonly session: RestoreSession) {}

  private emit(kind: number, pid: number, a = 0, b = 0, c = 0, d = 0): void {
    this.session.emit(kind, this.port.tick(), pid, a, b, c, d);
  }

  /** RestoreStarted, session.start, every VMA registered (no workload start yet). */
  startup(): void {
    const image = this.session.image;
    const total = image.processes.reduce((n, p) => n + p.totalPages, 0);
    this.emit(K.RestoreStarted, 0, this.session.initialLazyPages, image.processes.length, total);
    this.session.start(this.port);
    for (const p of image.processes) for (const v of p.vmas) this.emit(K.VmaRegistered, p.pid, v.index, v.firstPage, v.pages, 1);
  }

  workloadStarted(pid: number): void {
    this.emit(K.WorkloadStarted, pid, 10);
  }

  fault(pid: number, page: number): void {
    this.emit(K.FaultRaised, pid, page, pid, 0);
    this.emit(K.PagesCopied, pid, page, 1, CopyCause.Demand, 1);
    this.emit(K.FaultResolved, pid, page, 12_000);
  }
}

type Row = [string, number, number, number, number, number];

function rows(store: EventStore, from = 0): Row[] {
  const out: Row[] = [];
  for (let i = from; i < store.length; i++)
    out.push([EventKindName[store.kind[i]], store.pid[i], store.a[i], store.b[i], store.c[i], store.d[i]]);
  return out;
}

function attached(...strategies: [string, Strategy][]): AttachedStrategy[] {
  return strategies.map(([spec, instance]) => ({ name: spec.split(':')[0], spec, instance }));
}

function setup(strategies: AttachedStrategy[], workload: Workload = tinyWorkload(TREE)) {
  const store = new EventStore();
  const session = new RestoreSession(workload, strategies, store);
  const backend = new ScriptedBackend(session);
  return { store, session, backend, port: backend.port };
}

/** A strategy that sends `commands` once the workload has started. */
function onStart(commands: (ctx: StrategyContext) => StrategyCommand[]): Strategy {
  return {
    attach: (ctx) =>
      new Observable<StrategyCommand>((sub) =>
        ctx.workloadStarted$.subscribe(() => {
          for (const c of commands(ctx)) sub.next(c);
        }),
      ),
  };
}

describe('RestoreSession', () => {
  describe('copy commands', () => {
    it('drops pages present or in flight as duplicates and queues only lazy runs, split at VMA boundaries', () => {
      const { store, session, backend, port } = setup(attached(['push-all', onStart(() => [copyPages(1, 0, 16, 'prefetch')])]));
      backend.startup();
      backend.fault(1, 2);
      backend.fault(1, 3);
      expect(session.copy(1, 10, 1, CopyCause.Background, CopyPriority.Background)).toBe(1);
      expect(session.state.isInFlight(1, 10)).toBe(true);

      const from = store.length;
      backend.workloadStarted(1);
      const P = CopyCause.Prefetch;
      expect(rows(store, from)).toEqual([
        ['WorkloadStarted', 1, 10, 0, 0, 0],
        ['CopyQueued', 1, 0, 2, P, CopyPriority.Prefetch],
        ['CopyRejected', 1, 2, 2, RejectReason.Duplicate, P],
        ['CopyQueued', 1, 4, 4, P, CopyPriority.Prefetch],
        ['CopyQueued', 1, 8, 2, P, CopyPriority.Prefetch],
        ['CopyRejected', 1, 10, 1, RejectReason.Duplicate, P],
        ['CopyQueued', 1, 11, 5, P, CopyPriority.Prefetch],
      ]);
      expect(port.copies).toEqual([
        { pid: 1, page: 10, count: 1, cause: CopyCause.Background, priority: CopyPriority.Background },
        { pid: 1, page: 0, count: 2, cause: P, priority: CopyPriority.Prefetch },
        { pid: 1, page: 4, count: 4, cause: P, priority: CopyPriority.Prefetch },
        { pid: 1, page: 8, count: 2, cause: P, priority: CopyPriority.Prefetch },
        { pid: 1, page: 11, count: 5, cause: P, priority: CopyPriority.Prefetch },
      ]);
      // asking again for the same pages: all in flight or present now
      const again = store.length;
      expect(session.copy(1, 0, 8, CopyCause.Prefetch, CopyPriority.Urgent)).toBe(0);
      expect(rows(store, again)).toEqual([['CopyRejected', 1, 0, 8, RejectReason.Duplicate, P]]);
      expect(port.copies).toHaveLength(5);
    });

    it('rejects copies out of range, of unknown pids and of no pages, without queueing anything', () => {
      const { store, backend, port } = setup(
        attached([
          'bad-ranges',
          onStart(() => [copyPages(1, 14, 5, 'background'), copyPages(9, 0, 1), copyPages(2, 0, 0), copyPages(2, -1, 2)]),
        ]),
      );
      backend.startup();
      const from = store.length;
      backend.workloadStarted(1);
      const B = CopyCause.Background;
      const P = CopyCause.Prefetch;
      expect(rows(store, from + 1)).toEqual([
        ['CopyRejected', 1, 14, 5, RejectReason.OutOfRange, B],
        ['CopyRejected', 9, 0, 1, RejectReason.OutOfRange, P],
        ['CopyRejected', 2, 0, 0, RejectReason.OutOfRange, P],
        ['CopyRejected', 2, -1, 2, RejectReason.OutOfRange, P],
      ]);
      expect(port.copies).toEqual([]);
    });

    it('passes madvise commands to the port', () => {
      const { backend, port } = setup(
        attached(['advise', onStart(() => [{ type: 'madvise', pid: 1, vma: 1, advice: 'nohugepage' }])]),
      );
      backend.startup();
      backend.workloadStarted(1);
      expect(port.madvises).toEqual([{ pid: 1, vma: 1, advice: 'nohugepage' }]);
    });
  });

  describe('batches of events', () => {
    it('run each strategy\'s handlers in its own zone, in log order, and leave the outer zone behind', () => {
      const seen: [string, number, StrategyZone | undefined][] = [];
      const watcher = (name: string): Strategy => ({
        attach: (ctx) =>
          ctx.faults$.pipe(
            map((f) => {
              seen.push([name, f.seq, currentZone()]);
              // a copy inside the handler: its CopyQueued is logged before the next fault is handed over
              return copyPages(f.pid, f.page + 1, 1);
            }),
          ),
      });
      const { session, backend, store } = setup(attached(['a', watcher('a')], ['b', watcher('b')]));
      backend.startup();
      session.batch(() => {
        backend.fault(1, 0);
        backend.fault(1, 4);
      });
      expect(currentZone()).toBeUndefined();
      const zoneOf = new Map(seen.map(([name, , z]) => [name, z]));
      expect(zoneOf.get('a')).toBeDefined();
      expect(zoneOf.get('b')).toBeDefined();
      expect(zoneOf.get('a')).not.toBe(zoneOf.get('b'));
      for (const [name, , z] of seen) expect(z).toBe(zoneOf.get(name));
      const faults = rows(store).flatMap((r, seq) => (r[0] === 'FaultRaised' ? [seq] : []));
      expect(seen.map(([name, seq]) => [name, seq])).toEqual([
        ['a', faults[0]],
        ['b', faults[0]],
        ['a', faults[1]],
        ['b', faults[1]],
      ]);
      const after = rows(store, faults[0]).map((r) => r[0]);
      expect(after.slice(0, 4)).toEqual(['FaultRaised', 'CopyQueued', 'CopyRejected', 'PagesCopied']);
    });
  });

  describe('failing strategies', () => {
    it('detaches a strategy that throws in plan, attach, an operator or its own subscribe, and keeps the others', () => {
      const calls = { operator: 0, subscribe: 0 };
      const seen: number[] = [];
      let healthyCompleted = false;
      const strategies = attached(
        [
          'plan-thrower',
          {
            plan: () => {
              throw new Error('plan boom');
            },
            attach: () => {
              throw new Error('never attached');
            },
          },
        ],
        [
          'attach-thrower',
          {
            attach: () => {
              throw new Error('attach boom');
            },
          },
        ],
        [
          'operator-thrower',
          {
            attach: (ctx) =>
              ctx.faults$.pipe(
                map((): StrategyCommand => {
                  calls.operator++;
                  throw new Error('operator boom');
                }),
              ),
          },
        ],
        [
          'subscribe-thrower',
          {
            attach: (ctx) => {
              ctx.faults$.subscribe(() => {
                calls.subscribe++;
                throw new Error('subscribe boom');
              });
              return EMPTY;
            },
          },
        ],
        [
          'healthy:window=1',
          {
            attach: (ctx) => {
              ctx.faults$.subscribe({ next: (f) => seen.push(f.page), complete: () => (healthyCompleted = true) });
              return ctx.faults$.pipe(map((f) => copyPages(f.pid, f.page + 1, 1)));
            },
          },
        ],
      );
      const { store, session, backend } = setup(strategies);
      backend.startup();

      const name = (i: number) => store.string(i);
      const startRows = rows(store).filter((r) => r[0] === 'StrategyAttached' || r[0] === 'StrategyFailed');
      expect(startRows.map((r) => [r[0], name(r[2])])).toEqual([
        ['StrategyAttached', 'plan-thrower'],
        ['StrategyAttached', 'attach-thrower'],
        ['StrategyAttached', 'operator-thrower'],
        ['StrategyAttached', 'subscribe-thrower'],
        ['StrategyAttached', 'healthy:window=1'],
        ['StrategyFailed', 'plan-thrower'],
        ['StrategyFailed', 'attach-thrower'],
      ]);
      expect(startRows.slice(0, 5).map((r) => r[3])).toEqual([0, 1, 2, 3, 4]);
      const failedAtStart = rows(store).filter((r) => r[0] === 'StrategyFailed');
      expect(failedAtStart.map((r) => [name(r[2]), name(r[3]), r[4]])).toEqual([
        ['plan-thrower', 'plan boom', 0],
        ['attach-thrower', 'attach boom', 1],
      ]);

      backend.workloadStarted(1);
      const from = store.length;
      expect(() => backend.fault(1, 4)).not.toThrow();
      const afterFault = rows(store, from);
      expect(afterFault.map((r) => r[0])).toEqual([
        'FaultRaised',
        'StrategyFailed',
        'StrategyFailed',
        'CopyQueued',
        'PagesCopied',
        'FaultResolved',
      ]);
      expect([afterFault[1], afterFault[2]].map((r) => [name(r[2]), name(r[3]), r[4]])).toEqual([
        ['operator-thrower', 'operator boom', 2],
        ['subscribe-thrower', 'subscribe boom', 3],
      ]);
      expect(afterFault[3]).toEqual(['CopyQueued', 1, 5, 1, CopyCause.Prefetch, CopyPriority.Prefetch]);

      backend.fault(1, 9);
      backend.fault(2, 0);
      expect(seen).toEqual([4, 9, 0]);
      expect(calls).toEqual({ operator: 1, subscribe: 1 });
      expect([0, 1, 2, 3, 4].map((i) => session.isFailed(i))).toEqual([true, true, true, true, false]);
      expect(rows(store).filter((r) => r[0] === 'StrategyFailed')).toHaveLength(4);
      expect(rows(store).filter((r) => r[0] === 'CopyQueued').map((r) => [r[1], r[2]])).toEqual([
        [1, 5],
        [1, 10],
        [2, 1],
      ]);

      session.finish();
      expect(healthyCompleted).toBe(true);
    });

    it('detaches a strategy whose command stream errors, and a strategy whose plan names a bad range', () => {
      const { store, session, backend, port } = setup(
        attached(
          ['bad-plan', { plan: (ctx) => ctx.precopy({ pid: 1, page: 15, count: 2 }) }],
          [
            'erroring-stream',
            {
              attach: (ctx) =>
                new Observable<StrategyCommand>((sub) =>
                  ctx.workloadStarted$.subscribe(() => {
                    sub.next(copyPages(1, 0, 1));
                    sub.error(new Error('stream boom'));
                  }),
                ),
            },
          ],
        ),
      );
      expect(session.plan.precopy).toEqual([]);
      backend.startup();
      backend.workloadStarted(1);
      const failed = rows(store).filter((r) => r[0] === 'StrategyFailed');
      expect(failed.map((r) => [store.string(r[2]), store.string(r[3])])).toEqual([
        ['bad-plan', 'range 15+2 is past the end of pid 1'],
        ['erroring-stream', 'stream boom'],
      ]);
      expect(port.copies).toEqual([
        { pid: 1, page: 0, count: 1, cause: CopyCause.Prefetch, priority: CopyPriority.Prefetch },
      ]);
    });

    it('detaches a strategy that emits something that is not a command, saying what it was', () => {
      const emitting = (x: unknown) => ({ attach: (ctx: StrategyContext) => ctx.workloadStarted$.pipe(map(() => x as StrategyCommand)) });
      const { store, backend } = setup(attached(['array', emitting([copyPages(1, 0, 1)])], ['null', emitting(null)], ['number', emitting(7)]));
      backend.startup();
      backend.workloadStarted(1);
      const failed = rows(store).filter((r) => r[0] === 'StrategyFailed');
      expect(failed.map((r) => [store.string(r[2]), store.string(r[3])])).toEqual([
        ['array', "not a command: an array (a strategy's stream emits one command at a time: mergeMap to from(commands))"],
        ['null', 'not a command: null'],
        ['number', 'not a command: a number'],
      ]);
    });

    it('detaches a strategy whose scheduled work throws, and keeps the others on the same scheduler', () => {
      const ticks: number[] = [];
      const store = new EventStore();
      const session = new RestoreSession(
        tinyWorkload(TREE),
        attached(
          ['timer-boom', { attach: (ctx) => void ctx.scheduler.schedule(() => { throw new Error('timer boom'); }, 5) }],
          ['timer-ok', { attach: (ctx) => void ctx.scheduler.schedule(() => ticks.push(ctx.scheduler.now()), 7) }],
        ),
        store,
      );
      const scheduler = new VirtualTimeScheduler();
      session.start(Object.assign(new ScriptedPort(), { scheduler }));
      expect(() => scheduler.flush()).not.toThrow();
      const failed = rows(store).filter((r) => r[0] === 'StrategyFailed');
      expect(failed.map((r) => [store.string(r[2]), store.string(r[3])])).toEqual([['timer-boom', 'timer boom']]);
      expect(ticks).toEqual([7]);
    });
  });

  describe('plan', () => {
    it('shows strategies the source phase only: no trace, no spec, no view past the migrate marker', () => {
      const workload = tinyWorkload([{ pid: 1, vmas: [8], sourceAccesses: [1, 2, 3], accesses: [7, 6, 5, 4] }]);
      const views: unknown[] = [];
      const { session, backend } = setup(
        attached([
          'peek',
          {
            plan: (ctx) => {
              const phase = ctx.sourcePhase(1);
              views.push(Array.from(phase.page));
              // the buffer behind the view holds the source phase only
              views.push(Array.from(new Uint32Array(phase.page.buffer)));
              views.push(Object.keys(ctx.workload));
              phase.page[0] = 99;
            },
            attach: (ctx) => {
              views.push(Object.keys(ctx.workload));
            },
          },
        ]),
        workload,
      );
      backend.startup();
      expect(views).toEqual([[1, 2, 3], [1, 2, 3], ['name'], ['name']]);
      expect(Array.from(workload.traces[0].page)).toEqual([1, 2, 3, 7, 6, 5, 4]);
      expect(session.isFailed(0)).toBe(false);
    });

    it('combines the fault windows of live strategies as the maximum, per scope', () => {
      const window = (forward: number, backward: number, scope?: { pid?: number; vma?: number }): Strategy => ({
        plan: (ctx) => ctx.faultWindow({ forward, backward }, scope),
      });
      const { session } = setup(
        attached(
          ['a', window(4, 0)],
          ['b', window(1, 2)],
          ['c', window(8, 0, { pid: 1, vma: 1 })],
          ['d', window(0, 6, { pid: 2 })],
          [
            'e',
            {
              plan: (ctx) => {
                ctx.faultWindow({ forward: 100, backward: 100 });
                throw new Error('no');
              },
            },
          ],
        ),
      );
      expect(session.hasFaultWindows).toBe(true);
      expect(session.windowFor(1, 0)).toEqual({ forward: 4, backward: 2 });
      expect(session.windowFor(1, 1)).toEqual({ forward: 8, backward: 2 });
      expect(session.windowFor(2, 0)).toEqual({ forward: 4, backward: 6 });
      expect(session.isFailed(4)).toBe(true);

      const none = setup(attached(['demand-only', {}])).session;
      expect(none.hasFaultWindows).toBe(false);
      expect(none.windowFor(1, 0)).toEqual({ forward: 0, backward: 0 });
    });

    it('plans pre-copy rounds for the strategy that asks, and refuses them on a fork tree', () => {
      const single = tinyWorkload([{ pid: 1, vmas: [8, 8] }]);
      const { session } = setup(attached(['other', {}], ['rounds', { plan: (ctx) => ctx.precopyRounds({ maxRounds: 4, stopWhenNotShrinking: true }) }]), single);
      expect(session.plan.precopyRounds).toEqual({ maxRounds: 4, stopWhenNotShrinking: true, owner: 1 });
      const tree = setup(attached(['rounds', { plan: (ctx) => ctx.precopyRounds({ maxRounds: 4, stopWhenNotShrinking: true }) }]));
      expect(tree.session.isFailed(0)).toBe(true);
      expect(tree.session.plan.precopyRounds).toBeNull();
      const bad = setup(attached(['rounds', { plan: (ctx) => ctx.precopyRounds({ maxRounds: 0, stopWhenNotShrinking: true }) }]), single);
      expect(bad.session.isFailed(0)).toBe(true);
    });

    it('decides the switch-over from the rounds: converged, the strategy, the round limit, a dirty set that stopped shrinking', () => {
      const single = tinyWorkload([{ pid: 1, vmas: [8, 8] }]);
      const seen: number[][] = [];
      const { session } = setup(
        attached([
          'rounds',
          {
            plan: (ctx) =>
              ctx.precopyRounds({
                maxRounds: 4,
                stopWhenNotShrinking: true,
                switchWhen: (r) => {
                  seen.push(r.map((x) => x.dirtyPages));
                  return r[r.length - 1].dirtyPages <= 2;
                },
              }),
          },
        ]),
        single,
      );
      const rounds = (...dirty: number[]): PrecopyRoundStat[] => dirty.map((d, i) => ({ round: i + 1, sentPages: 16, dirtyPages: d, roundNs: 1 }));
      expect(session.switchOverReason(rounds(9))).toBeNull();
      expect(session.switchOverReason(rounds(9, 5))).toBeNull();
      expect(session.switchOverReason(rounds(9, 5, 0))).toBe(SwitchReason.Converged);
      expect(session.switchOverReason(rounds(9, 5, 2))).toBe(SwitchReason.Strategy);
      expect(session.switchOverReason(rounds(9, 5, 5))).toBe(SwitchReason.NotShrinking);
      expect(session.switchOverReason(rounds(9, 8, 7, 6))).toBe(SwitchReason.MaxRounds);
      expect(seen).toEqual([[9], [9, 5], [9, 5, 2], [9, 5, 5], [9, 8, 7, 6]]);
    });

    it('detaches a strategy whose switchWhen throws or mutates the rounds, and the plan rules decide alone', () => {
      const single = tinyWorkload([{ pid: 1, vmas: [8, 8] }]);
      const { session, store } = setup(
        attached([
          'rounds',
          {
            plan: (ctx) =>
              ctx.precopyRounds({
                maxRounds: 3,
                stopWhenNotShrinking: false,
                switchWhen: (r) => {
                  (r as PrecopyRoundStat[]).push({ round: 99, sentPages: 0, dirtyPages: 0, roundNs: 0 });
                  return true;
                },
              }),
          },
        ]),
        single,
      );
      const mine: PrecopyRoundStat[] = [{ round: 1, sentPages: 16, dirtyPages: 4, roundNs: 1 }];
      expect(session.switchOverReason(mine)).toBeNull();
      expect(mine).toHaveLength(1);
      expect(session.isFailed(0)).toBe(true);
      expect(rows(store).map((r) => r[0])).toContain('StrategyFailed');
      mine.push({ round: 2, sentPages: 4, dirtyPages: 4, roundNs: 1 }, { round: 3, sentPages: 4, dirtyPages: 4, roundNs: 1 });
      expect(session.switchOverReason(mine)).toBe(SwitchReason.MaxRounds);
    });

    it('refuses a negative fault window', () => {
      const { session } = setup(attached(['neg', { plan: (ctx) => ctx.faultWindow({ forward: -1, backward: 0 }) }]));
      expect(session.isFailed(0)).toBe(true);
      expect(session.hasFaultWindows).toBe(false);
    });

    it('collects the image prefill and the strategies plan steps, and counts the initial lazy pages', () => {
      const workload = tinyWorkload([
        { pid: 1, vmas: [8, 8], flags: (p) => PageFlag.Content | (p < 3 ? PageFlag.Precopied : 0) },
        { pid: 2, parent: 1, vmas: [4] },
      ]);
      const { session } = setup(
        attached([
          'planner',
          {
            plan: (ctx) => {
              ctx.adviseBeforeFill(1, 0, 'nohugepage');
              ctx.prefill({ pid: 1, page: 2, count: 4 });
              ctx.adviseAfterRegister(1, 0, 'hugepage');
              ctx.precopy({ pid: 2, page: 0, count: 2 });
              expect(ctx.sourcePhase(1).page).toEqual(new Uint32Array([]));
            },
          },
        ]),
        workload,
      );
      expect(session.plan).toEqual({
        adviseBeforeFill: [{ pid: 1, vma: 0, advice: 'nohugepage' }],
        prefill: [
          { pid: 1, page: 0, count: 3, source: 'image' },
          { pid: 1, page: 3, count: 3, source: 'strategy' },
        ],
        adviseAfterRegister: [{ pid: 1, vma: 0, advice: 'hugepage' }],
        precopy: [{ pid: 2, page: 0, count: 2 }],
        faultRules: [],
        precopyRounds: null,
      });
      expect(session.initialLazyPages).toBe(16 + 4 - 6);
    });
  });

  describe('streams', () => {
    it('delivers every stream in log order when a strategy copies inside its handler', () => {
      const seen: number[] = [];
      const faultSeen: number[] = [];
      const { backend, session, store } = setup(
        attached(
          ['copier', { attach: (ctx) => ctx.faults$.pipe(map((f) => copyPages(f.pid, f.page + 1, 1))) }],
          [
            'watcher',
            {
              attach: (ctx) => {
                ctx.all$.subscribe((e) => seen.push(e.seq));
                ctx.faults$.subscribe((e) => faultSeen.push(e.seq));
              },
            },
          ],
        ),
      );
      backend.startup();
      const from = store.length;
      backend.fault(1, 2);
      backend.fault(1, 5);
      const logged = Array.from({ length: store.length - from }, (_, i) => from + i);
      expect(seen.filter((q) => q >= from)).toEqual(logged);
      expect(rows(store, from).map((r) => r[0])).toEqual([
        'FaultRaised',
        'CopyQueued',
        'PagesCopied',
        'FaultResolved',
        'FaultRaised',
        'CopyQueued',
        'PagesCopied',
        'FaultResolved',
      ]);
      expect(faultSeen).toEqual([from, from + 4]);
      void session;
    });

    it('tells the port which event a command reacted to and its CopyQueued event', () => {
      const reacts: [number, number][] = [];
      const { backend, store, session } = setup(
        attached(['copier', { attach: (ctx) => ctx.faults$.pipe(map((f) => copyPages(f.pid, f.page + 1, 1))) }]),
      );
      backend.startup();
      const port = backend.port;
      const orig = port.submitCopy.bind(port);
      port.submitCopy = (pid, page, count, cause, priority, reactsTo, queuedSeq) => {
        reacts.push([reactsTo, queuedSeq]);
        orig(pid, page, count, cause, priority, reactsTo, queuedSeq);
      };
      const from = store.length;
      backend.fault(1, 2);
      expect(reacts).toEqual([[from, from + 1]]);
      expect(EventKindName[store.kind[from]]).toBe('FaultRaised');
      expect(EventKindName[store.kind[from + 1]]).toBe('CopyQueued');
      void session;
    });

    it('keeps other commands in flight when a copy is rejected as out of range', () => {
      const { backend, session } = setup(attached(['none', {}]));
      backend.startup();
      expect(session.copy(1, 10, 4, CopyCause.Prefetch, CopyPriority.Prefetch)).toBe(4);
      expect(session.copy(1, 12, 10, CopyCause.Prefetch, CopyPriority.Prefetch)).toBe(0);
      expect(session.state.isInFlight(1, 12)).toBe(true);
      expect(session.state.isInFlight(1, 13)).toBe(true);
      // a huge range is refused at once, without walking its pages
      expect(session.copy(1, 0, 1e12, CopyCause.Prefetch, CopyPriority.Prefetch)).toBe(0);
      expect(session.state.isInFlight(1, 10)).toBe(true);
    });

    it('decodes events for strategies only while somebody listens, and faults carry their flags', () => {
      const faults: { page: number; write: boolean; wp: boolean }[] = [];
      const { backend, session } = setup(
        attached([
          'listener',
          {
            attach: (ctx) => {
              ctx.faults$.subscribe((f) => faults.push({ page: f.page, write: f.write, wp: f.wp }));
            },
          },
        ]),
      );
      backend.startup();
      session.emit(K.FaultRaised, 1, 1, 3, 1, FaultFlag.Write | FaultFlag.WriteProtect, 0);
      session.emit(K.FaultRaised, 2, 1, 4, 1, 0, 0);
      expect(faults).toEqual([
        { page: 3, write: true, wp: true },
        { page: 4, write: false, wp: false },
      ]);
    });
  });
});

describe('RestoreSession.warmUp', () => {
  it('runs what it was given when a strategy reacts, nothing for a plan-only stack or without it', () => {
    const w = tinyWorkload(TREE);
    const reacting: Strategy = { attach: () => EMPTY };
    const plan: Strategy = { plan: () => undefined };
    let warmed = 0;
    const warm = () => void warmed++;
    new RestoreSession(w, [{ name: 'r', spec: 'r', instance: reacting }], new EventStore(), warm).warmUp();
    expect(warmed).toBe(1);
    new RestoreSession(w, [{ name: 'p', spec: 'p', instance: plan }], new EventStore(), warm).warmUp();
    expect(warmed).toBe(1);
    expect(() => new RestoreSession(w, [{ name: 'r', spec: 'r', instance: reacting }], new EventStore()).warmUp()).not.toThrow();
  });
});
