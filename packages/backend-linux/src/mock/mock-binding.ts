import * as fs from 'fs';
import { fillPageContent, PAGE_SIZE } from '@restorelab/core';
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
  writePageContent: (fd, seed, runs) => {
    const page = new Uint32Array(PAGE_SIZE / 4);
    const bytes = new Uint8Array(page.buffer);
    for (let r = 0; r + 3 < runs.length; r += 4) {
      for (let k = 0; k < runs[r + 3]; k++) {
        fillPageContent(seed, runs[r + 1], runs[r + 2] + k, page);
        let done = 0;
        while (done < PAGE_SIZE) done += fs.writeSync(fd, bytes, done, PAGE_SIZE - done, runs[r] + k * PAGE_SIZE + done);
      }
    }
  },
  formatVersion: 3,
};

/** What loadNative() returns, with the mock: the runner is `node -e MOCK_RUNNER_SOURCE DIR`. */
export function loadMockNative(): NativeLoad {
  return { ok: true, binding: mockBinding, addonPath: '(mock binding)', runnerPath: process.execPath, guardianPath: '(mock binding: no guardian)', runnerArgs: ['-e', MOCK_RUNNER_SOURCE] };
}
