import { AsyncLocalStorage } from 'async_hooks';

/**
 * The strategy whose code is running, carried into whatever it starts: a setTimeout, a promise, an
 * I/O callback of its own inherits the zone it was created in. A throw from such a callback (or a
 * rejection nobody handles) would otherwise reach the process and kill it; the process guard hands
 * it to the zone's strategy instead, which is detached with StrategyFailed like a throw in its
 * streams.
 */
export class StrategyZone {
  private closed = false;

  constructor(
    private readonly name: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** After the run: a throw in this zone is only a warning, the strategy was already done. */
  close(): void {
    this.closed = true;
  }

  fail(error: unknown): void {
    if (!this.closed) return this.onError(error);
    const message = error instanceof Error ? error.message : String(error);
    process.emitWarning(`strategy ${this.name} threw after its run had ended: ${message.split('\n')[0]}`);
  }

  /** fn inside this zone. */
  run<R>(fn: () => R): R {
    // the event path's mirror follows (a delivery inside fn, or a batch around this, sees the truth)
    const before = entered;
    entered = this;
    try {
      return zones.run(this, fn);
    } finally {
      entered = before;
    }
  }
}

const zones = new AsyncLocalStorage<StrategyZone>();

/** The zone of the code running now. */
export function currentZone(): StrategyZone | undefined {
  return zones.getStore();
}

/**
 * The event path's switch between zones, cheaper than run(): `entered` mirrors the store while one
 * synchronous delivery (or batch of them) runs, so only a change of zone costs an enterWith. Call
 * beginDelivery() first and endDelivery() after, which puts the outer zone back.
 */
let entered: StrategyZone | undefined;

export function beginDelivery(): StrategyZone | undefined {
  return (entered = zones.getStore());
}

export function enterZone(zone: StrategyZone | undefined): void {
  if (entered !== zone) zones.enterWith((entered = zone) as StrategyZone);
}

export function endDelivery(outer: StrategyZone | undefined): void {
  enterZone(outer);
}

let guarded = false;

function onUncaught(error: unknown): void {
  const zone = zones.getStore();
  if (zone) return zone.fail(error);
  // not a strategy's: what node would have done without this guard, unless someone else listens
  if (process.listenerCount('uncaughtException') > 1) return;
  process.removeListener('uncaughtException', onUncaught);
  process.removeListener('unhandledRejection', onRejection);
  guarded = false;
  process.nextTick(() => {
    throw error;
  });
}

function onRejection(reason: unknown): void {
  const zone = zones.getStore();
  if (zone) return zone.fail(reason);
  onUncaught(reason);
}

/**
 * Routes the process's uncaught exceptions and unhandled rejections to the strategy zone they
 * happened in, from the first session with reactive strategies on: a strategy's timer may fire
 * after its run, during another one.
 */
export function installProcessGuard(): void {
  if (guarded) return;
  guarded = true;
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
}
