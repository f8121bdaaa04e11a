import { unavailableReason } from '../doctor';
import { loadNative } from '../native-binding';

/** Why tests of the real backend cannot run here, or undefined when they can (tests only). */
export function linuxSkipReason(): string | undefined {
  const native = loadNative();
  if (!native.ok) return native.reason;
  const probe = native.binding.probe();
  return probe.available ? undefined : unavailableReason(probe);
}
