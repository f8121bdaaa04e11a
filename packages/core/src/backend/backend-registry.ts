import { ContributionProvider } from '../di/contribution-provider';
import { UsageError } from '../errors/usage-error';
import { RestoreBackend } from './restore-backend';

export const BackendRegistry = Symbol('BackendRegistry');
export interface BackendRegistry {
  all(): readonly RestoreBackend[];
  /** Throws UsageError for an unknown name. */
  get(name: string): RestoreBackend;
}

export class DefaultBackendRegistry implements BackendRegistry {
  constructor(private readonly provider: ContributionProvider<RestoreBackend>) {}
  all(): readonly RestoreBackend[] {
    return this.provider.getContributions();
  }
  get(name: string): RestoreBackend {
    const b = this.all().find((x) => x.name === name);
    if (!b) throw new UsageError(`unknown backend '${name}' (known: ${this.all().map((x) => x.name).join(', ')})`);
    return b;
  }
}
