import { ProcessImage } from '../model/image';
import { FaultRules, MAX_RULE_PAGES, SuccessorTable } from '../model/plan';

/**
 * Checks a strategy's fault-time rules against its process before any backend sees them: a
 * stride of whole pages other than 0 and 1..MAX_RULE_PAGES copies; a successor table with one
 * offset per page plus one, ascending, ending at its target count, every target a page of the
 * process. Throws a one-line Error (the strategy is detached); returns the rules with nulls.
 */
export function checkFaultRules(proc: ProcessImage, rules: Partial<FaultRules>): FaultRules {
  const stride = rules.stride ?? null;
  if (stride !== null) {
    if (!(Number.isInteger(stride.stride) && stride.stride !== 0 && Math.abs(stride.stride) < proc.totalPages))
      throw new Error(`fault rule stride must be a whole number of pages, not 0, within the process, got ${stride.stride}`);
    if (!(Number.isInteger(stride.count) && stride.count >= 1 && stride.count <= MAX_RULE_PAGES))
      throw new Error(`fault rule stride count must be 1..${MAX_RULE_PAGES}, got ${stride.count}`);
  }
  const successors = rules.successors ?? null;
  if (successors !== null) checkSuccessors(proc, successors);
  return { stride: stride && { stride: stride.stride, count: stride.count }, successors };
}

function checkSuccessors(proc: ProcessImage, t: SuccessorTable): void {
  const { offsets, targets } = t;
  if (!(offsets instanceof Uint32Array) || !(targets instanceof Uint32Array))
    throw new Error('a successor table is two Uint32Arrays (offsets, targets)');
  if (offsets.length !== proc.totalPages + 1)
    throw new Error(`successor table of pid ${proc.pid} needs ${proc.totalPages + 1} offsets, got ${offsets.length}`);
  if (offsets[0] !== 0 || offsets[proc.totalPages] !== targets.length)
    throw new Error(`successor table of pid ${proc.pid}: offsets must run from 0 to the number of targets (${targets.length})`);
  for (let p = 0; p < proc.totalPages; p++)
    if (offsets[p + 1] < offsets[p]) throw new Error(`successor table of pid ${proc.pid}: offsets descend at page ${p}`);
  for (let i = 0; i < targets.length; i++)
    if (targets[i] >= proc.totalPages) throw new Error(`successor table of pid ${proc.pid}: target ${targets[i]} is past the process's ${proc.totalPages} pages`);
}
