/*
 * A page server in a process of its own, for the kill test: serves the run directory given as
 * argv[2], prints "listening", then "serving N" once N faults were resolved. The test kills it.
 */
import { EventKind } from '@restorelab/core';
import { loadNative } from '../native-binding';
import { RECORD_INT32S, ringKind } from '../ring-layout';

const dir = process.argv[2];
const announceAfter = Number(process.argv[3] ?? 100);
const native = loadNative();
if (!native.ok) {
  process.stderr.write(`monitor fixture: ${native.reason}\n`);
  process.exit(3);
}
const b = native.binding;
const monitor = new b.Monitor({ dir, t0: b.now(), mode: 'backend' });
let consumed = 0;
let faults = 0;
let announced = false;
let words: Int32Array | undefined;
monitor.start(() => {
  if (!words) return;
  const mask = words.length / RECORD_INT32S - 1;
  for (let head = monitor.drain(consumed); consumed < head; head = monitor.drain(consumed)) {
    for (; consumed < head; consumed++) if (ringKind(words, consumed & mask) === EventKind.FaultResolved) faults++;
  }
  if (!announced && faults >= announceAfter) {
    announced = true;
    process.stdout.write(`serving ${faults}\n`);
  }
});
words = new Int32Array(monitor.ringBuffer());
process.stdout.write('listening\n');
