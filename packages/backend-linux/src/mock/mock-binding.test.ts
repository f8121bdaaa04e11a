import { map, take } from 'rxjs';
import { copyPages, EventKind, EventStore, RejectReason, runRestore, Strategy } from '@restorelab/core';
import { builtIn } from '../bench';
import { LinuxBackend } from '../linux-backend';
import { loadMockNative } from './mock-binding';

const backend = (onRunnerStarted?: (pid: number) => void) => new LinuxBackend({ native: loadMockNative, onRunnerStarted });

function count(store: EventStore, kind: number, pred: (i: number) => boolean = () => true): number {
  let n = 0;
  for (let i = 0; i < store.length; i++) if (store.kind[i] === kind && pred(i)) n++;
  return n;
}

async function run(workload: string, strategy: Strategy, b = backend()) {
  return runRestore({ backend: b, workload: builtIn(workload), strategy: 'probe', strategies: [{ name: 'probe', spec: 'probe', instance: strategy }], seed: 1, logPath: null });
}

describe('the mock native binding under the linux backend', () => {
  it('is available without a kernel', async () => {
    expect(await backend().availability()).toEqual({ available: true });
  });

  it('serves a reactive strategy: its copies land, are copied once, and the run verifies', async () => {
    const ahead: Strategy = {
      attach: (ctx) =>
        ctx.faults$.pipe(
          take(8),
          map((f) => copyPages(f.pid, Math.min(f.page + 1, 1023), 1)),
        ),
    };
    const { store, result } = await run('seq:pages=1024', ahead);
    expect(result.verified).toBe(true);
    expect(count(store, EventKind.CopyLanded)).toBe(count(store, EventKind.CopyQueued));
    expect(count(store, EventKind.CopyQueued)).toBeGreaterThan(0);
    const copiedByCommands = count(store, EventKind.PagesCopied, (i) => store.c[i] === 1 && store.d[i] === 1);
    const eexist = count(store, EventKind.CopyRejected, (i) => store.c[i] === RejectReason.Eexist);
    expect(copiedByCommands + eexist).toBeGreaterThan(0);
    expect(result.metrics.demandFaults + result.metrics.pagesCopied.prefetch).toBe(1024);
  });

  it('fails the run with one line when the runner dies, and leaves no runner behind', async () => {
    let runner = 0;
    const slow: Strategy = { attach: (ctx) => ctx.faults$.pipe(take(1), map(() => (process.kill(runner, 'SIGKILL'), copyPages(1, 0, 1)))) };
    await expect(run('seq:pages=4096', slow, backend((pid) => (runner = pid)))).rejects.toThrow(/runner|hung up/);
    expect(() => process.kill(runner, 0)).toThrow();
  });
});
