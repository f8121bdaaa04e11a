import { ServiceIdentifier } from 'inversify';

/** All contributions bound to one identifier, collected lazily (Theia's ContributionProvider). */
export interface ContributionProvider<T> {
  getContributions(): T[];
}

/** Anything that resolves every binding of an identifier: a Container or a ResolutionContext. */
export interface MultiResolver {
  getAll<T>(id: ServiceIdentifier<T>, options?: { optional?: boolean }): T[];
}

class ResolverContributionProvider<T> implements ContributionProvider<T> {
  private cached: T[] | undefined;
  constructor(
    private readonly resolver: MultiResolver,
    private readonly id: ServiceIdentifier<T>,
  ) {}
  getContributions(): T[] {
    this.cached ??= this.resolver.getAll<T>(this.id, { optional: true });
    return this.cached;
  }
}

export function contributionProviderFor<T>(resolver: MultiResolver, id: ServiceIdentifier<T>): ContributionProvider<T> {
  return new ResolverContributionProvider<T>(resolver, id);
}
