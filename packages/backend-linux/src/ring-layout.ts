/** Doubles in one event record of the native ring (native/common/protocol.h RL_RECORD_DOUBLES). */
export const RECORD_DOUBLES = 8;
/** The same record as int32s. */
export const RECORD_INT32S = RECORD_DOUBLES * 2;

/**
 * Where a record's fields lie (protocol.h RL_RING_*): t and a..d as doubles (F64 indices), kind,
 * pid and a..d again as int32 (I32 indices), the int32 copies of a..d valid when the kind word has
 * Small set. Read as int32 they are small integers to JavaScript: no heap number per field, and
 * none for the arithmetic done on them downstream.
 */
export const RingSlot = { F64T: 0, F64A: 1, I32Kind: 10, I32Pid: 11, I32A: 12, Small: 0x10000, KindMask: 0xffff } as const;

const SMALL_BOUND = 2 ** 30;

function small(x: number): boolean {
  return Number.isInteger(x) && x > -SMALL_BOUND && x < SMALL_BOUND;
}

/** Writes one record into slot `slot` of a ring seen through both views (what the native side's RingSlot::of does). */
export function writeRingRecord(f64: Float64Array, i32: Int32Array, slot: number, t: number, kind: number, pid: number, a: number, b: number, c: number, d: number): void {
  const f = slot * RECORD_DOUBLES;
  const w = slot * RECORD_INT32S;
  f64[f + RingSlot.F64T] = t;
  f64[f + RingSlot.F64A] = a;
  f64[f + RingSlot.F64A + 1] = b;
  f64[f + RingSlot.F64A + 2] = c;
  f64[f + RingSlot.F64A + 3] = d;
  const fit = small(a) && small(b) && small(c) && small(d);
  i32[w + RingSlot.I32Kind] = kind | (fit ? RingSlot.Small : 0);
  i32[w + RingSlot.I32Pid] = pid;
  i32[w + RingSlot.I32A] = fit ? a : 0;
  i32[w + RingSlot.I32A + 1] = fit ? b : 0;
  i32[w + RingSlot.I32A + 2] = fit ? c : 0;
  i32[w + RingSlot.I32A + 3] = fit ? d : 0;
}

/** The kind of the record in slot `slot`. */
export function ringKind(i32: Int32Array, slot: number): number {
  return i32[slot * RECORD_INT32S + RingSlot.I32Kind] & RingSlot.KindMask;
}
