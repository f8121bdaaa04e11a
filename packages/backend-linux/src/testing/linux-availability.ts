import { linuxUnavailableReason } from '../doctor';

/** Why tests of the real backend cannot run here, or undefined when they can (tests only). */
export function linuxSkipReason(): string | undefined {
  return linuxUnavailableReason();
}
