import { Observable, Observer, OperatorFunction, Subscriber, Subscription } from 'rxjs';

type Guard = (error: unknown) => void;

/**
 * An Observable whose subscribers cannot throw past it: every callback a strategy passes to
 * subscribe() is wrapped so an exception (or an error nobody handles) detaches that strategy
 * through `guard` instead of escaping as an unhandled error. lift() keeps the type, so pipes of it
 * are isolated too.
 */
export class IsolatedObservable<T> extends Observable<T> {
  constructor(
    private readonly guard: Guard,
    subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => unknown,
  ) {
    super(subscribe as never);
  }

  static from<T>(source: Observable<T>, guard: Guard): IsolatedObservable<T> {
    return new IsolatedObservable<T>(guard, (subscriber) => source.subscribe(subscriber));
  }

  override lift<R>(operator: unknown): Observable<R> {
    const o = new IsolatedObservable<R>(this.guard);
    (o as unknown as { source: unknown }).source = this;
    (o as unknown as { operator: unknown }).operator = operator;
    return o;
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
    error?: ((e: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription {
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    const o: Partial<Observer<T>> =
      typeof observerOrNext === 'function' || observerOrNext == null
        ? { next: observerOrNext ?? undefined, error: error ?? undefined, complete: complete ?? undefined }
        : observerOrNext;
    const guard = this.guard;
    return super.subscribe({
      next: (v) => {
        try {
          o.next?.call(o, v);
        } catch (e) {
          guard(e);
        }
      },
      error: (e) => {
        if (!o.error) return guard(e);
        try {
          o.error.call(o, e);
        } catch (e2) {
          guard(e2);
        }
      },
      complete: () => {
        try {
          o.complete?.call(o);
        } catch (e) {
          guard(e);
        }
      },
    });
  }
}

export type { OperatorFunction };
