import { filter, map, Subject, Subscriber, throwError } from 'rxjs';
import { IsolatedObservable } from './isolated-observable';

function isolated<T>() {
  const source = new Subject<T>();
  const caught: unknown[] = [];
  const iso = IsolatedObservable.from(source, (e) => caught.push(e));
  return { source, caught, iso };
}

describe('IsolatedObservable', () => {
  it('delivers values like the source', () => {
    const { source, caught, iso } = isolated<number>();
    const seen: number[] = [];
    let completed = false;
    iso.subscribe({ next: (v) => seen.push(v), complete: () => (completed = true) });
    source.next(1);
    source.next(2);
    source.complete();
    expect(seen).toEqual([1, 2]);
    expect(completed).toBe(true);
    expect(caught).toEqual([]);
  });

  it('routes an exception thrown by a next callback to the guard, and keeps delivering', () => {
    const { source, caught, iso } = isolated<number>();
    const seen: number[] = [];
    iso.subscribe((v) => {
      seen.push(v);
      if (v === 1) throw new Error('subscriber bug');
    });
    expect(() => source.next(1)).not.toThrow();
    source.next(2);
    expect(caught.map((e) => (e as Error).message)).toEqual(['subscriber bug']);
    expect(seen).toEqual([1, 2]);
  });

  it('routes an error nobody handles, and an error handler that throws, to the guard', () => {
    const unhandled = isolated<number>();
    unhandled.iso.subscribe(() => undefined);
    expect(() => unhandled.source.error(new Error('stream failed'))).not.toThrow();
    expect(unhandled.caught.map((e) => (e as Error).message)).toEqual(['stream failed']);

    const handled: unknown[] = [];
    const ok = isolated<number>();
    ok.iso.subscribe({ error: (e) => handled.push(e) });
    ok.source.error('handled');
    expect(handled).toEqual(['handled']);
    expect(ok.caught).toEqual([]);

    const rethrow = isolated<number>();
    rethrow.iso.subscribe(null, () => {
      throw new Error('handler bug');
    });
    rethrow.source.error(new Error('first'));
    expect(rethrow.caught.map((e) => (e as Error).message)).toEqual(['handler bug']);
  });

  it('routes a complete callback that throws to the guard', () => {
    const { source, caught, iso } = isolated<number>();
    iso.subscribe({
      complete: () => {
        throw new Error('complete bug');
      },
    });
    source.complete();
    expect(caught.map((e) => (e as Error).message)).toEqual(['complete bug']);
  });

  it('stays isolated through pipe(): operators errors and subscriber errors reach the guard', () => {
    const { source, caught, iso } = isolated<number>();
    const piped = iso.pipe(
      filter((v) => v > 0),
      map((v) => v * 10),
    );
    expect(piped).toBeInstanceOf(IsolatedObservable);
    const seen: number[] = [];
    piped.subscribe((v) => {
      seen.push(v);
      if (v === 20) throw new Error('after pipe');
    });
    source.next(0);
    source.next(1);
    source.next(2);
    expect(seen).toEqual([10, 20]);
    expect(caught.map((e) => (e as Error).message)).toEqual(['after pipe']);

    const op = isolated<number>();
    op.iso
      .pipe(
        map((v) => {
          if (v === 3) throw new Error('operator bug');
          return v;
        }),
      )
      .subscribe(() => undefined);
    expect(() => op.source.next(3)).not.toThrow();
    expect(op.caught.map((e) => (e as Error).message)).toEqual(['operator bug']);
  });

  it('passes a Subscriber through untouched (operators chain through it)', () => {
    const caught: unknown[] = [];
    const iso = IsolatedObservable.from(throwError(() => new Error('to the subscriber')), (e) => caught.push(e));
    const errors: unknown[] = [];
    iso.subscribe(new Subscriber<never>({ next: () => undefined, error: (e: unknown) => errors.push(e), complete: () => undefined }));
    expect(errors.map((e) => (e as Error).message)).toEqual(['to the subscriber']);
    expect(caught).toEqual([]);
  });
});
