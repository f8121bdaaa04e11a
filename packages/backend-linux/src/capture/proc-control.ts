import * as fs from 'fs';
import { UsageError } from '@restorelab/core';

const STOP_WAIT_MS = 2000;

/** The state letter of /proc/PID/stat (R, S, T, Z ...). */
export function procState(pid: number, tid?: number): string {
  const stat = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'latin1');
  // the state follows the command name, which is in parentheses and may itself hold ") "
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

export function readProc(pid: number, what: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${what}`, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') throw new UsageError(`no process ${pid}`);
    throw new UsageError(`cannot read /proc/${pid}/${what}: ${code ?? String(e)} (reading another process needs root or ptrace rights over it)`);
  }
}

/** Whether every thread of the process is stopped. */
function allStopped(pid: number): boolean {
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    let state: string;
    try {
      state = procState(pid, Number(t));
    } catch {
      continue; // the thread exited
    }
    if (state !== 'T' && state !== 't') return false;
  }
  return true;
}

/** SIGSTOP, then waits until every thread of it is stopped. */
export async function stopProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const until = Date.now() + STOP_WAIT_MS;
  while (!allStopped(pid)) {
    if (Date.now() > until) throw new UsageError(`process ${pid} did not stop within ${STOP_WAIT_MS} ms of SIGSTOP (state ${procState(pid)})`);
    await new Promise((r) => setTimeout(r, 1));
  }
}


/** A process kept stopped by us (or found stopped, then left so). */
export interface StopHold {
  readonly wasStopped: boolean;
  /** Resumes it (unless it was stopped before); also done if this process exits first. */
  release(): void;
}

/** Stops `pid` (every thread) until release(), unless it is stopped already. */
export async function holdStopped(pid: number): Promise<StopHold> {
  let wasStopped: boolean;
  try {
    wasStopped = procState(pid) === 'T';
  } catch {
    throw new UsageError(`no process ${pid}`);
  }
  const resume = (): void => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // it exited meanwhile
    }
  };
  let released = false;
  const release = (): void => {
    if (released || wasStopped) return;
    released = true;
    resume();
    process.off('exit', resume);
  };
  if (wasStopped) return { wasStopped, release };
  // whatever ends this process (a second Ctrl-C exits at once), the held one runs on
  process.on('exit', resume);
  try {
    await stopProcess(pid);
  } catch (e) {
    release();
    throw e;
  }
  return { wasStopped, release };
}
