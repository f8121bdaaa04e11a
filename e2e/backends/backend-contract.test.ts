import { SimBackend } from '@restorelab/backend-sim';
import { LinuxBackend, linuxUnavailableReason, loadMockNative } from '@restorelab/backend-linux';
import { DefaultStrategyRegistry } from '@restorelab/core';
import { describeBackendContract } from '@restorelab/core/testing';
import { builtInStrategies } from '@restorelab/strategies';

/**
 * One suite for every backend, run from its export: the simulator always, the linux backend where
 * userfaultfd is permitted. Each deterministic case must give the same demand faults and the same
 * copied pages on both.
 */
const strategies = new DefaultStrategyRegistry({ getContributions: () => [...builtInStrategies] });
const sim = { name: 'sim', backend: () => new SimBackend() };

describeBackendContract({ ...sim, strategies });
describeBackendContract({ name: 'linux', backend: () => new LinuxBackend(), strategies, reference: sim, skipReason: linuxUnavailableReason() });
describeBackendContract({
  name: 'linux (mock binding)',
  backend: () => new LinuxBackend({ native: loadMockNative }),
  strategies,
  reference: sim,
});
