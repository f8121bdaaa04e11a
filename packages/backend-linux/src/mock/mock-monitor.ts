import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { EventKind } from '@restorelab/core';
import { NativeMonitor, NativeMonitorConfig, NativeMonitorStats } from '../native-binding';
import { InternalKind } from '../native-run';
import { RECORD_DOUBLES, writeRingRecord } from '../ring-layout';
import { RUNNER_UFFD_FEATURES, SOCKET_FILE } from '../run-files';
import { readRunFiles } from '../run-files-reader';
import { MockRestore } from './mock-restore';

const RING_RECORDS = 1 << 14;
/** Accesses the mock plays per turn of the event loop: few, so that strategies hear of faults while the workload runs. */
const STEPS_PER_TURN = 16;

/**
 * NativeMonitor in JavaScript: the event ring, the command surface and the runner's socket, with
 * the restore itself played by MockRestore. Records wait in an overflow list until the reader
 * releases ring space, as in native/addon/event-ring.h.
 */
export class MockMonitor implements NativeMonitor {
  private readonly ring = new Float64Array(RING_RECORDS * RECORD_DOUBLES);
  private readonly words = new Int32Array(this.ring.buffer);
  private head = 0;
  private consumed = 0;
  private readonly overflow: number[] = [];
  private server: net.Server | undefined;
  private runner: net.Socket | undefined;
  private restore: MockRestore | undefined;
  private timer: NodeJS.Immediate | undefined;
  private onEvents: () => void = () => undefined;
  private failure = '';
  private released = false;
  private stopped = false;
  private osPidOfRunner = 0;
  private faults = 0;
  private commands = 0;
  /** Rules set before the runner said hello wait for the restore. */
  private readonly pendingRules: { proc: number; stride: number; strideCount: number; offsets: Uint32Array | null; targets: Uint32Array | null }[] = [];
  /** plan.bin and the traces, read once (they are written before the monitor is made). */
  private runFiles: ReturnType<typeof readRunFiles> | undefined;

  constructor(
    private readonly cfg: NativeMonitorConfig,
    private readonly clock: () => number,
  ) {
    if ((cfg.mode ?? 'backend') !== 'backend') throw new Error(`the mock binding has no ${cfg.mode} mode`);
    if (cfg.criuSocket !== undefined) throw new Error('the mock binding is no lazy-pages daemon: criu restore needs the native addon');
    if (cfg.remote !== undefined) throw new Error('the mock binding has no page server client: --source needs the native addon');
  }

  start(onEvents: () => void): void {
    this.onEvents = onEvents;
    const sock = path.join(this.cfg.dir, SOCKET_FILE);
    this.server = net.createServer((s) => this.accept(s));
    this.server.listen(sock);
  }

  private accept(s: net.Socket): void {
    this.runner = s;
    s.on('data', (d) => {
      const m = /hello (\d+)/.exec(String(d));
      if (m && !this.restore) this.begin(Number(m[1]));
    });
    s.on('close', () => {
      if (!this.released && !this.stopped && !this.restore?.finished) this.fail('the workload runner hung up before the end of the restore');
    });
    s.on('error', () => undefined);
  }

  private begin(osPid: number): void {
    this.osPidOfRunner = osPid;
    try {
      const { plan, traces } = this.files();
      this.restore = new MockRestore(plan, traces, (kind, pid, a, b, c, d) => this.push(kind, pid, a, b, c, d), (kind, pid) => this.push(kind, pid, 0, 0, 0, 0));
      this.applyRules();
      this.push(InternalKind.AllRegistered, 0, plan.procs.length, 0, 0, 0);
      this.restore.start();
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setImmediate(() => {
      this.timer = undefined;
      this.play(STEPS_PER_TURN);
      this.onEvents();
      if (this.restore && !this.restore.finished) this.schedule();
    });
  }

  private play(steps: number): void {
    const r = this.restore;
    if (!r || this.stopped) return;
    try {
      for (let i = 0; i < steps && !r.finished; i++) r.step();
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
    }
  }

  private fail(why: string): void {
    if (this.failure) return;
    this.failure = why;
    this.push(InternalKind.Failed, 0, 0, 0, 0, 0);
    this.onEvents();
  }

  private push(kind: number, pid: number, a: number, b: number, c: number, d: number): void {
    if (kind === EventKind.FaultRaised) this.faults++;
    this.overflow.push(Math.max(0, this.clock() - this.cfg.t0), kind, pid, a, b, c, d, 0);
    this.move();
  }

  /** Moves waiting records into the ring's free space. */
  private move(): void {
    const o = this.overflow;
    let at = 0;
    while (at < o.length && this.head - this.consumed < RING_RECORDS) {
      writeRingRecord(this.ring, this.words, this.head % RING_RECORDS, o[at], o[at + 1], o[at + 2], o[at + 3], o[at + 4], o[at + 5], o[at + 6]);
      this.head++;
      at += RECORD_DOUBLES;
    }
    if (at > 0) o.splice(0, at);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearImmediate(this.timer);
    this.runner?.destroy();
    this.server?.close();
    fs.rmSync(path.join(this.cfg.dir, SOCKET_FILE), { force: true });
  }

  ringBuffer(): ArrayBuffer {
    return this.ring.buffer as ArrayBuffer;
  }

  drain(consumed: number): number {
    this.consumed = consumed;
    this.move();
    return this.head;
  }

  waitEvents(consumed: number, _spinNs: number, _blockNs: number): boolean {
    this.consumed = consumed;
    this.move();
    // what the native threads would have produced while JS waited
    if (this.head <= consumed) this.play(1);
    this.move();
    return this.head > consumed;
  }

  submitCopy(proc: number, page: number, count: number, cause: number, priority: number, reactsTo: number, queuedSeq: number): void {
    if (!this.restore || this.restore.finished) return;
    this.commands++;
    this.push(EventKind.CopyLanded, this.pidOf(proc), page, count, reactsTo, queuedSeq);
    this.restore.submitCopy(proc, page, count, cause, priority);
  }

  submitMadvise(proc: number, vma: number, advice: number): void {
    this.restore?.madvise(proc, vma, advice);
  }

  setFaultRules(proc: number, stride: number, strideCount: number, offsets: Uint32Array | null, targets: Uint32Array | null, reactsTo: number, log: boolean): void {
    this.pendingRules.push({ proc, stride, strideCount, offsets, targets });
    this.applyRules();
    if (log) this.push(EventKind.FaultRulesSet, this.pidOf(proc), stride, strideCount, targets?.length ?? 0, reactsTo);
  }

  private applyRules(): void {
    if (!this.restore) return;
    for (const r of this.pendingRules.splice(0)) this.restore.setRules(r.proc, r.stride, r.strideCount, r.offsets, r.targets);
  }

  private pidOf(proc: number): number {
    return this.files().plan.procs[proc]?.pid ?? 0;
  }

  private files(): ReturnType<typeof readRunFiles> {
    this.runFiles ??= readRunFiles(this.cfg.dir);
    return this.runFiles;
  }

  releaseRunners(): void {
    this.released = true;
    this.runner?.write('exit\n');
  }

  error(): string {
    return this.failure;
  }

  stats(): NativeMonitorStats {
    return {
      faults: this.faults,
      faultNsTotal: 0,
      spuriousFaults: 0,
      precopyPages: 0,
      precopyNs: 0,
      goT: this.cfg.t0,
      endT: this.clock(),
      ringOverflowed: 0,
      copierCommands: this.commands,
      sourceDrops: 0,
      remoteRequests: 0,
      faultThreadPolicy: 'default',
      forkedTasks: 0,
      forkedFaults: 0,
      forkedPushed: 0,
    };
  }

  osPid(_proc: number): number {
    return this.osPidOfRunner;
  }

  uffdFeatures(): number {
    return RUNNER_UFFD_FEATURES;
  }
}
