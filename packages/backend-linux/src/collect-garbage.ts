import * as v8 from 'v8';
import * as vm from 'vm';

let gc: (() => void) | undefined;

/**
 * A full garbage collection now: V8's gc(), exposed for this function only (node hides it unless
 * started with --expose-gc). Before a reactive restore, so that the garbage of its setup (the image,
 * the plan, the run files) is not collected while strategies have to keep up with faults.
 */
export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
    v8.setFlagsFromString('--no-expose-gc');
  }
  gc();
}
