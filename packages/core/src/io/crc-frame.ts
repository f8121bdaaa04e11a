import { crc32 } from 'zlib';

/** Bytes of a frame header in event logs (version 2) and traces: u8 type, u32 payload length, u32 CRC-32 of the payload. */
export const CRC_FRAME_HEADER_BYTES = 9;

/** The header of a frame holding `payload`. */
export function crcFrameHeader(type: number, payload: Uint8Array): Buffer {
  const head = Buffer.allocUnsafe(CRC_FRAME_HEADER_BYTES);
  head.writeUInt8(type, 0);
  head.writeUInt32LE(payload.length, 1);
  head.writeUInt32LE(crc32(payload), 5);
  return head;
}
