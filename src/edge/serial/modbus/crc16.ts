/**
 * CRC-16/MODBUS: polynomial 0x8005 processed reflected (0xA001), initial value 0xFFFF, no final
 * xor. On the wire the low byte goes first. The table is built once at load, as the CRC runs on
 * every byte of every frame.
 */
const TABLE = new Uint16Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  TABLE[n] = c;
}

export function crc16Modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number);
  return crc;
}

/** The bytes followed by their CRC, low byte first. */
export function withCrc(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 2);
  out.set(bytes);
  const crc = crc16Modbus(bytes);
  out[bytes.length] = crc & 0xff;
  out[bytes.length + 1] = crc >>> 8;
  return out;
}

/** The CRC a frame carries in its last two bytes. */
export function carriedCrc(frame: Uint8Array): number {
  return (frame[frame.length - 2] as number) | ((frame[frame.length - 1] as number) << 8);
}

export function hasValidCrc(frame: Uint8Array): boolean {
  return frame.length >= 4 && crc16Modbus(frame, 0, frame.length - 2) === carriedCrc(frame);
}
