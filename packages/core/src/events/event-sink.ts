/** Where backends append facts. Numbers only: no object per event on the hot path. */
export interface EventSink {
  append(kind: number, t: number, pid: number, a: number, b: number, c: number, d: number): number;
  /** Interns a string (strategy name, message) and returns its index for an event field. */
  intern(s: string): number;
}
