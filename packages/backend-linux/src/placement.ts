import * as fs from 'fs';
import { UsageError } from '@restorelab/core';

/**
 * Where the restore runs. On a VM a wake-up across CPUs costs tens of microseconds and the
 * scheduler picks the CPUs afresh for every run, so without pinning the same restore's fault
 * latencies vary 2-3x from run to run.
 *   shared  the fault thread and the restored processes on one CPU (the last one allowed), the
 *           copier and the JavaScript event loop on the others: a fault is served where it was
 *           raised, and the strategies do not compete with the process (the default)
 *   spread  the fault thread (and the event loop) on the first allowed CPU, the restored processes
 *           and the copier on the others
 *   none    wherever the kernel puts them
 */
export const PLACEMENTS = ['shared', 'spread', 'none'] as const;
export type Placement = (typeof PLACEMENTS)[number];
export const DEFAULT_PLACEMENT: Placement = 'shared';

/** CPU masks (bit i: CPU i; 0: not pinned) for the monitor's threads and the runner. */
export interface CpuPlan {
  readonly placement: Placement;
  readonly faultCpuMask: number;
  readonly copierCpuMask: number;
  readonly runnerCpuMask: number;
  /** Where the JavaScript event loop (the strategies) runs during the restore. */
  readonly eventLoopCpuMask: number;
  /** e.g. "shared: fault thread and processes on CPU 1, copier on CPU 0". */
  readonly description: string;
}

/** Thread masks travel as doubles: CPUs 0..52 only. */
export const MAX_PINNED_CPU = 52;

export function parsePlacement(value: string): Placement {
  if ((PLACEMENTS as readonly string[]).includes(value)) return value as Placement;
  throw new UsageError(`unknown placement '${value}' (known: ${PLACEMENTS.join(', ')})`);
}

/** Parses a kernel CPU list such as "0-3,8,10-11". */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`not a CPU list: '${text.trim()}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

/** The CPUs this process may run on (Cpus_allowed_list), or null where /proc does not say. */
export function allowedCpus(): number[] | null {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const m = /^Cpus_allowed_list:\s*(.+)$/m.exec(status);
    return m ? parseCpuList(m[1]) : null;
  } catch {
    return null;
  }
}

const maskOf = (cpus: readonly number[]) => cpus.reduce((m, c) => m + 2 ** c, 0);
const list = (cpus: readonly number[]) => (cpus.length === 1 ? `CPU ${cpus[0]}` : `CPUs ${cpus.join(',')}`);

function unpinned(placement: Placement, why: string): CpuPlan {
  return { placement, faultCpuMask: 0, copierCpuMask: 0, runnerCpuMask: 0, eventLoopCpuMask: 0, description: `${placement}: not pinned (${why})` };
}

/** The masks of a placement over the allowed CPUs. */
export function planCpus(placement: Placement, cpus: readonly number[] | null): CpuPlan {
  if (placement === 'none') return unpinned(placement, 'as asked');
  if (!cpus || cpus.length === 0) return unpinned(placement, 'the allowed CPUs are unknown');
  const usable = cpus.filter((c) => c <= MAX_PINNED_CPU);
  if (usable.length === 0) return unpinned(placement, `no allowed CPU below ${MAX_PINNED_CPU + 1}`);
  if (placement === 'shared') {
    const home = usable[usable.length - 1];
    const others = usable.filter((c) => c !== home);
    const copier = others.length > 0 ? others : [home];
    return {
      placement,
      faultCpuMask: maskOf([home]),
      copierCpuMask: maskOf(copier),
      runnerCpuMask: maskOf([home]),
      eventLoopCpuMask: maskOf(copier),
      description: `shared: fault thread and processes on ${list([home])}, copier and event loop on ${list(copier)}`,
    };
  }
  const fault = usable[0];
  const rest = usable.length > 1 ? usable.slice(1) : [fault];
  return {
    placement,
    faultCpuMask: maskOf([fault]),
    copierCpuMask: maskOf(rest),
    runnerCpuMask: maskOf(rest),
    eventLoopCpuMask: maskOf([fault]),
    description: `spread: fault thread and event loop on ${list([fault])}, processes and copier on ${list(rest)}`,
  };
}

/** CPUs in a mask (a double: bit operators would cut it to 32 bits). */
function cpusIn(mask: number): number {
  let n = 0;
  for (; mask > 0; mask = Math.floor(mask / 2)) n += mask % 2;
  return n;
}

/** Both masks pin to one and the same single CPU. */
const oneSameCpu = (a: number, b: number) => a === b && cpusIn(a) === 1;

/** Whether the copier and the JavaScript event loop are pinned to one and the same CPU under a placement. */
export function copierSharesEventLoopCpu(placement: Placement, cpus: readonly number[] | null): boolean {
  const plan = planCpus(placement, cpus);
  return oneSameCpu(plan.copierCpuMask, plan.eventLoopCpuMask);
}

/** Whether the fault thread and the restored processes are pinned to one and the same CPU under a placement. */
export function faultThreadSharesProcessCpu(placement: Placement, cpus: readonly number[] | null): boolean {
  const plan = planCpus(placement, cpus);
  return oneSameCpu(plan.faultCpuMask, plan.runnerCpuMask);
}

/** CPUs the restored processes share under a placement (every allowed one when not pinned). */
export function processCpuCount(placement: Placement, cpus: readonly number[] | null): number {
  const mask = planCpus(placement, cpus).runnerCpuMask;
  return mask === 0 ? (cpus?.length ?? 0) : cpusIn(mask);
}
