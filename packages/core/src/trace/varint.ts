/** Unsigned LEB128 of a safe non-negative integer (up to 2^53), written at `off`; returns the next offset. */
export function writeVarint(buf: Uint8Array, off: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    buf[off++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[off++] = v;
  return off;
}

/** Bytes writeVarint needs at most for a value below 2^53. */
export const MAX_VARINT_BYTES = 8;

export function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/**
 * Reads varints from a byte range. `next()` returns the value, or -1 when the range ends inside a
 * varint or a varint is longer than MAX_VARINT_BYTES (the caller reports where: `offset`).
 */
export class VarintCursor {
  offset: number;
  constructor(
    private readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.offset = start;
  }

  next(): number {
    const buf = this.buf;
    let off = this.offset;
    let b = off < this.end ? buf[off++] : -1;
    if (b < 0x80) {
      if (b >= 0) this.offset = off;
      return b;
    }
    let value = b & 0x7f;
    let scale = 0x80;
    for (let i = 1; i < MAX_VARINT_BYTES; i++) {
      if (off >= this.end) return -1;
      b = buf[off++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.offset = off;
        return value;
      }
      scale *= 0x80;
    }
    return -1;
  }
}
