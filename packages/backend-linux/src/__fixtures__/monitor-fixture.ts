/*
 * A page server in a process of its own, for the kill test: serves the run directory given as
 * argv[2], prints "listening", then "serving N" once N faults were resolved. The test kills it.
 */
import { loadNative } from '../native-binding';

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
let view: Float64Array | undefined;
monitor.start(() => {
  if (!view) return;
  const mask = view.length / 8 - 1;
  for (let head = monitor.drain(consumed); consumed < head; head = monitor.drain(consumed)) {
    for (; consumed < head; consumed++) if (view[(consumed & mask) * 8 + 1] === 8) faults++;
  }
  if (!announced && faults >= announceAfter) {
    announced = true;
    process.stdout.write(`serving ${faults}\n`);
  }
});
view = new Float64Array(monitor.ringBuffer());
process.stdout.write('listening\n');
