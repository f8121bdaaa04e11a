import { beginDelivery, currentZone, endDelivery, enterZone, StrategyZone } from './strategy-zone';

describe('a strategy zone', () => {
  const failures: unknown[] = [];
  const zone = new StrategyZone('s', (e) => failures.push(e));

  it('is carried into the timers, immediates and promises started inside it', async () => {
    const seen = await zone.run(
      () =>
        new Promise<(StrategyZone | undefined)[]>((resolve) => {
          const got: (StrategyZone | undefined)[] = [];
          setTimeout(() => {
            got.push(currentZone());
            setImmediate(() => {
              got.push(currentZone());
              void Promise.resolve().then(() => {
                got.push(currentZone());
                resolve(got);
              });
            });
          }, 0);
        }),
    );
    expect(seen).toEqual([zone, zone, zone]);
    expect(currentZone()).toBeUndefined();
  });

  it('entered on the event path, lasts until the caller puts the outer zone back', () => {
    const other = new StrategyZone('t', () => undefined);
    const outer = beginDelivery();
    enterZone(other);
    expect(currentZone()).toBe(other);
    enterZone(zone);
    expect(currentZone()).toBe(zone);
    endDelivery(outer);
    expect(currentZone()).toBe(outer);
  });

  it('hands its errors to its strategy until closed, then only warns', () => {
    zone.fail(new Error('one'));
    expect(failures.map((e) => (e as Error).message)).toEqual(['one']);
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    zone.close();
    zone.fail(new Error('two\nlines'));
    expect(failures).toHaveLength(1);
    expect(warn).toHaveBeenCalledWith('strategy s threw after its run had ended: two');
    warn.mockRestore();
  });
});
