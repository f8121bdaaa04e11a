import { ThpAdviceCode } from '../events/event-kind';
import { Image, PageFlag, placementRange, ProcessImage, ThpAdvice, vmaOfPage } from '../model/image';
import { PageRange } from '../model/page';
import { AdviceStep, FaultWindowRule, PlannedPrecopyRounds, PrefillRange, ProcessFaultRules, RestorePlan } from '../model/plan';
import { checkPrecopyRounds, PrecopyRoundsSpec } from '../model/precopy';
import { AttachedStrategy } from '../strategy/attached-strategy';
import { PlanContext, WorkloadInfo } from '../strategy/strategy';
import { checkFaultRules } from './check-fault-rules';

export interface PlanFailure {
  readonly index: number;
  readonly error: unknown;
}

export interface BuiltPlan {
  readonly plan: RestorePlan;
  /** The combined fault-time window per VMA, keyed pid * 65536 + vma (absent: none). */
  readonly windows: ReadonlyMap<number, FaultWindowRule>;
  /** Strategies whose plan hook threw: they are detached and reported when the clock runs. */
  readonly failures: readonly PlanFailure[];
}

export interface PlanInputs {
  readonly image: Image;
  readonly workload: WorkloadInfo;
  readonly strategies: readonly AttachedStrategy[];
  sourcePhase(pid: number): { readonly page: Uint32Array; readonly write: Uint8Array };
}

export const windowKey = (pid: number, vma: number): number => pid * 65536 + vma;

/**
 * Plan time: each strategy's plan hook, isolated (a hook that throws contributes nothing), then
 * the image's pre-dumped pages and the strategies' steps combined into one plan.
 */
export function buildPlan(inputs: PlanInputs): BuiltPlan {
  const { image } = inputs;
  const procByPid = new Map<number, ProcessImage>(image.processes.map((p) => [p.pid, p]));
  const adviseBeforeFill: AdviceStep[] = [];
  const adviseAfterRegister: AdviceStep[] = [];
  const prefill: PrefillRange[] = [];
  const precopy: PageRange[] = [];
  const windowRules: { rule: FaultWindowRule; scope?: { pid?: number; vma?: number } }[] = [];
  const faultRules = new Map<number, ProcessFaultRules>();
  const failures: PlanFailure[] = [];
  let precopyRounds: PlannedPrecopyRounds | null = null;

  for (const p of image.processes) {
    forEachRun(p.pageFlags, PageFlag.Precopied, (page, count) => prefill.push({ pid: p.pid, page, count, source: 'image' }));
  }

  inputs.strategies.forEach((s, index) => {
    if (!s.instance.plan) return;
    const mine = {
      adviseBeforeFill: [] as AdviceStep[],
      adviseAfterRegister: [] as AdviceStep[],
      prefill: [] as PrefillRange[],
      precopy: [] as PageRange[],
      windows: [] as typeof windowRules,
      rules: [] as ProcessFaultRules[],
      rounds: null as PrecopyRoundsSpec | null,
    };
    const ctx: PlanContext = {
      image,
      workload: inputs.workload,
      sourcePhase: (pid) => inputs.sourcePhase(pid),
      adviseBeforeFill: (pid, vma, advice) => mine.adviseBeforeFill.push({ pid, vma, advice: checkAdvice(advice) }),
      adviseAfterRegister: (pid, vma, advice) => mine.adviseAfterRegister.push({ pid, vma, advice: checkAdvice(advice) }),
      prefill: (r) => mine.prefill.push({ ...checkRange(procByPid, r), source: 'strategy' }),
      precopy: (r) => mine.precopy.push(checkRange(procByPid, r)),
      faultWindow: (rule, scope) => {
        if (!(rule.forward >= 0 && rule.backward >= 0)) throw new Error('fault window sizes must be >= 0');
        mine.windows.push({ rule: { forward: rule.forward | 0, backward: rule.backward | 0 }, scope });
      },
      faultRules: (pid, rules) => {
        const proc = procByPid.get(pid);
        if (!proc) throw new Error(`fault rules name pid ${pid}, which the image does not have`);
        mine.rules.push({ pid, ...checkFaultRules(proc, rules) });
      },
      precopyRounds: (spec) => {
        checkRoundsImage(image);
        mine.rounds = checkPrecopyRounds(spec);
      },
    };
    try {
      s.instance.plan(ctx);
    } catch (error) {
      failures.push({ index, error });
      return;
    }
    adviseBeforeFill.push(...mine.adviseBeforeFill);
    adviseAfterRegister.push(...mine.adviseAfterRegister);
    prefill.push(...mine.prefill);
    precopy.push(...mine.precopy);
    windowRules.push(...mine.windows);
    for (const r of mine.rules) faultRules.set(r.pid, r);
    if (mine.rounds) precopyRounds = { ...mine.rounds, owner: index };
  });

  const windows = new Map<number, FaultWindowRule>();
  for (const p of image.processes) {
    for (const v of p.vmas) {
      let fwd = 0;
      let back = 0;
      for (const w of windowRules) {
        if (w.scope?.pid !== undefined && w.scope.pid !== p.pid) continue;
        if (w.scope?.vma !== undefined && w.scope.vma !== v.index) continue;
        fwd = Math.max(fwd, w.rule.forward);
        back = Math.max(back, w.rule.backward);
      }
      if (fwd > 0 || back > 0) windows.set(windowKey(p.pid, v.index), { forward: fwd, backward: back });
    }
  }
  return {
    plan: { adviseBeforeFill, prefill: mergePrefill(prefill), adviseAfterRegister, precopy, faultRules: [...faultRules.values()], precopyRounds },
    windows,
    failures,
  };
}

/** The source is one live process: a fork tree's COW sharing and hugetlb's whole huge pages are not modelled. */
function checkRoundsImage(image: Image): void {
  if (image.processes.length !== 1) throw new Error(`pre-copy rounds need a single-process image; ${image.name} has ${image.processes.length} processes`);
  if (image.processes[0].vmas.some((v) => v.hugetlb)) throw new Error(`pre-copy rounds do not handle hugetlb VMAs (image ${image.name})`);
}

export function checkAdvice(a: ThpAdvice): ThpAdvice {
  if (!(a in ThpAdviceCode)) throw new Error(`unknown THP advice '${a}'`);
  return a;
}

function checkRange(procByPid: ReadonlyMap<number, ProcessImage>, r: PageRange): PageRange {
  const p = procByPid.get(r.pid);
  if (!p) throw new Error(`range names pid ${r.pid}, which the image does not have`);
  if (!(Number.isInteger(r.page) && Number.isInteger(r.count) && r.page >= 0 && r.count > 0))
    throw new Error(`bad page range ${r.page}+${r.count}`);
  if (r.page + r.count > p.totalPages) throw new Error(`range ${r.page}+${r.count} is past the end of pid ${r.pid}`);
  // a range that reaches into hugetlb VMAs takes their whole huge pages (a huge page is placed whole)
  const first = placementRange(vmaOfPage(p, r.page)!, r.page, r.page + 1).page;
  const end = placementRange(vmaOfPage(p, r.page + r.count - 1)!, r.page + r.count - 1, r.page + r.count).end;
  return { pid: r.pid, page: first, count: end - first };
}

/** Calls fn(start, count) for each run of pages whose flags have `bit`. */
export function forEachRun(flags: Uint8Array, bit: number, fn: (page: number, count: number) => void): void {
  let run = -1;
  for (let i = 0; i <= flags.length; i++) {
    const on = i < flags.length && (flags[i] & bit) !== 0;
    if (on && run < 0) run = i;
    else if (!on && run >= 0) {
      fn(run, i - run);
      run = -1;
    }
  }
}

function mergePrefill(ranges: PrefillRange[]): PrefillRange[] {
  const byPid = new Map<number, PrefillRange[]>();
  for (const r of ranges) {
    const l = byPid.get(r.pid) ?? [];
    l.push(r);
    byPid.set(r.pid, l);
  }
  const out: PrefillRange[] = [];
  for (const [pid, l] of byPid) {
    l.sort((x, y) => x.page - y.page);
    let cur: { page: number; end: number; source: PrefillRange['source'] } | undefined;
    for (const r of l) {
      if (cur && r.page <= cur.end && r.source === cur.source) cur.end = Math.max(cur.end, r.page + r.count);
      else if (cur && r.page < cur.end) {
        // overlapping ranges of different sources: keep the first, add only the new tail
        if (r.page + r.count > cur.end) {
          out.push({ pid, page: cur.page, count: cur.end - cur.page, source: cur.source });
          cur = { page: cur.end, end: r.page + r.count, source: r.source };
        }
      } else {
        if (cur) out.push({ pid, page: cur.page, count: cur.end - cur.page, source: cur.source });
        cur = { page: r.page, end: r.page + r.count, source: r.source };
      }
    }
    if (cur) out.push({ pid, page: cur.page, count: cur.end - cur.page, source: cur.source });
  }
  return out;
}
