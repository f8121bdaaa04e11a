import { Strategy } from './strategy';

/** A strategy of a run's stack, as the registry instantiated it. */
export interface AttachedStrategy {
  /** The strategy's name, e.g. neighbor-prefetch. */
  readonly name: string;
  /** How it was asked for, e.g. neighbor-prefetch:window=16. */
  readonly spec: string;
  readonly instance: Strategy;
}
