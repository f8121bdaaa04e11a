import * as v8 from 'v8';
import { collectGarbage } from './collect-garbage';

/** Objects kept alive per round: enough that what survives a scavenge outgrows the new space. */
const SURVIVORS_PER_ROUND = 200_000;
/** Rounds at most: the new space doubles per round until V8's maximum (16 MiB semi-spaces). */
const MAX_ROUNDS = 6;

/** The new space's size when it was last grown, bytes. */
let grown = 0;

function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Grows V8's young generation to its largest before a reactive restore. A scavenge in the middle of
 * one stops the strategies' thread for about half a millisecond, and with faults coming every
 * few microseconds a hundred decisions come late behind it. The event path allocates a few
 * megabytes in a restore (the events handed to strategies, their commands, the times); V8 starts
 * the young generation at 1 MiB and doubles it only when much of it survives a scavenge. This
 * keeps small objects alive across scavenges until the new space stops growing, then collects them,
 * as --max-semi-space-size would at start-up, which node takes from the command line only. Once per
 * process (again if V8 shrank it meanwhile). Returns the new space's size, bytes.
 */
export function growYoungGeneration(): number {
  let size = newSpaceBytes();
  // grown before and not shrunk since (V8 shrinks it when the process idles)
  if (grown > 0 && size >= grown) return size;
  let keep: { i: number }[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (let i = 0; i < SURVIVORS_PER_ROUND; i++) keep.push({ i });
    const now = newSpaceBytes();
    if (now <= size && round > 0) break;
    size = now;
  }
  keep = [];
  // they were promoted: the first collection frees them, the second waits for its sweeping, so
  // that no sweeper is left to run beside the restore
  collectGarbage();
  collectGarbage();
  grown = Math.max(size, newSpaceBytes());
  return grown;
}
