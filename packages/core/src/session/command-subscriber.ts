import { Subscriber } from 'rxjs';
import { StrategyCommand } from '../strategy/strategy-command';

/**
 * The session's end of one strategy's command stream. A Subscriber of its own, so that a command
 * goes from the strategy's last operator straight to the session (no SafeSubscriber, no observer
 * wrapper, no takeUntil or catchError stage on every command); a throw while executing a command,
 * or an error from the stream, fails that strategy alone.
 */
export class CommandSubscriber extends Subscriber<StrategyCommand> {
  constructor(
    private readonly onCommand: (cmd: StrategyCommand) => void,
    private readonly onFailure: (error: unknown) => void,
  ) {
    super();
  }

  protected override _next(cmd: StrategyCommand): void {
    try {
      this.onCommand(cmd);
    } catch (e) {
      this.onFailure(e);
    }
  }

  protected override _error(error: unknown): void {
    try {
      this.onFailure(error);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    this.unsubscribe();
  }
}
