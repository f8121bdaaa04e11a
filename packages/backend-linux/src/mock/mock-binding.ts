import { ErrnoInfo, NativeBinding, NativeLoad } from '../native-binding';
import { MockMonitor } from './mock-monitor';
import { MOCK_RUNNER_SOURCE } from './mock-runner';

const OK: ErrnoInfo = { ok: true, errno: 0, code: '', message: 'mock' };
const now = (): number => Number(process.hrtime.bigint());

/**
 * A NativeBinding in JavaScript (as @serialport/binding-mock is to the real bindings): the Linux
 * backend's JS side — run files, NativeRun's ring drain and runner lifecycle, the port — runs on
 * it where userfaultfd is denied or the addon is not built. It passes the backend contract suite.
 */
export const mockBinding: NativeBinding = {
  Monitor: class extends MockMonitor {
    constructor(config: ConstructorParameters<typeof MockMonitor>[0]) {
      super(config, now);
    }
  },
  now,
  probe: () => ({ available: true, via: 'syscall', syscall: OK, userModeOnly: OK, device: OK, api: OK, features: 0, ioctls: 0, featureNames: ['mock'] }),
  probeFaultThread: () => ({ policy: 'default', fifo: OK }),
  pinCurrentThread: () => 0,
  measureKernelCosts: () => {
    throw new Error('the mock binding has no kernel to measure');
  },
  formatVersion: 3,
};

/** What loadNative() returns, with the mock: the runner is `node -e MOCK_RUNNER_SOURCE DIR`. */
export function loadMockNative(): NativeLoad {
  return { ok: true, binding: mockBinding, addonPath: '(mock binding)', runnerPath: process.execPath, runnerArgs: ['-e', MOCK_RUNNER_SOURCE] };
}
