import { ChildProcess, spawn } from 'child_process';
import * as readline from 'readline';
import { BackendSession, Link, PrecopyRoundStat } from '@restorelab/core';

/** How long the source gets to map, fill and protect the image before it must be listening. */
const LISTEN_TIMEOUT_MS = 60_000;

export interface PrecopySourceConfig {
  readonly runnerPath: string;
  readonly runnerArgs?: readonly string[];
  readonly dir: string;
  readonly session: BackendSession;
  /** The rounds cross this link: the source paces its sends to its bandwidth and adds its latency at the switch-over. */
  readonly link?: Link;
  /** The source failed or went away before the switch-over: the restore cannot go on. */
  readonly onFail: (e: Error) => void;
}

/**
 * The live source of pre-copy rounds (`restorelab-runner --precopy-source`, native/runner/
 * precopy-source.c): started before the destination runner, told after each round whether to
 * switch over, from the session (the plan's rules and the owning strategy's switchWhen). The rounds'
 * facts reach the log through the destination runner's start-up facts, in the order they happened.
 */
export class PrecopySource {
  private readonly child: ChildProcess;
  private readonly rounds: PrecopyRoundStat[] = [];
  private switched = false;
  private lastError = '';
  private readonly exited: Promise<void>;

  constructor(private readonly cfg: PrecopySourceConfig) {
    const link = cfg.link ? [String(cfg.link.bandwidth), String(cfg.link.latencyUs * 1000)] : [];
    this.child = spawn(cfg.runnerPath, [...(cfg.runnerArgs ?? []), '--precopy-source', cfg.dir, ...link], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin!.on('error', () => undefined);
    readline.createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.lastError = line.replace(/^restorelab-[a-z-]+: /, '');
    });
    this.exited = new Promise<void>((resolve) => {
      this.child.once('exit', (code, signal) => {
        resolve();
        if (!this.switched) this.cfg.onFail(new Error(`the pre-copy source ${this.lastError ? `failed: ${this.lastError}` : signal ? `was killed by ${signal}` : `exited with code ${code}`}`));
      });
      this.child.once('error', (e) => {
        resolve();
        this.cfg.onFail(new Error(`cannot start the pre-copy source: ${e.message}`));
      });
    });
  }

  /** Resolves once the source listens for the destination (its memory is filled and protected). */
  listening(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the pre-copy source did not start listening within a minute')), LISTEN_TIMEOUT_MS);
      const lines = readline.createInterface({ input: this.child.stdout! });
      let ready = false;
      lines.on('line', (line) => {
        if (!ready && line === 'listening') {
          ready = true;
          clearTimeout(timer);
          resolve();
        } else this.onLine(line);
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`the pre-copy source failed: ${this.lastError || 'it exited before it listened'}`));
      });
    });
  }

  private onLine(line: string): void {
    const f = line.split(' ');
    if (f[0] === 'round' && f.length === 6) {
      this.rounds.push({ round: Number(f[1]), sentPages: Number(f[2]), dirtyPages: Number(f[3]), roundNs: Number(f[5]) });
      const reason = this.cfg.session.switchOverReason(this.rounds);
      this.child.stdin!.write(reason === null ? 'continue\n' : `switch ${reason}\n`);
    } else if (f[0] === 'switched') {
      this.switched = true;
      this.child.stdin!.end();
    }
  }

  /** Stops the source if it still runs (a failed or interrupted restore). */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.switched = true;
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }
}
