/**
 * The BME280's trimming parameters (Bosch BST-BME280-DS002, table 16): 0x88..0xA1 hold
 * T1..T3, P1..P9 (16-bit little-endian; T1 and P1 unsigned) and H1 (0xA1); 0xE1..0xE7 hold H2
 * (signed 16-bit LE), H3, H4 and H5 (signed 12-bit, packed around the nibbles of 0xE5) and H6.
 */
export interface Bme280Calibration {
  T1: number; T2: number; T3: number;
  P1: number; P2: number; P3: number; P4: number; P5: number; P6: number; P7: number; P8: number; P9: number;
  H1: number; H2: number; H3: number; H4: number; H5: number; H6: number;
}

export const BME280_CALIB1_START = 0x88;
export const BME280_CALIB1_LENGTH = 26; // 0x88..0xA1
export const BME280_CALIB2_START = 0xe1;
export const BME280_CALIB2_LENGTH = 7; // 0xE1..0xE7

export function parseBme280Calibration(calib1: Uint8Array, calib2: Uint8Array): Bme280Calibration {
  const a = Buffer.from(calib1.buffer, calib1.byteOffset, calib1.byteLength);
  const b = Buffer.from(calib2.buffer, calib2.byteOffset, calib2.byteLength);
  const e4 = b.readInt8(3); // signed: bits 11..4 of H4
  const e5 = b.readUInt8(4);
  const e6 = b.readInt8(5); // signed: bits 11..4 of H5
  return {
    T1: a.readUInt16LE(0), T2: a.readInt16LE(2), T3: a.readInt16LE(4),
    P1: a.readUInt16LE(6), P2: a.readInt16LE(8), P3: a.readInt16LE(10), P4: a.readInt16LE(12), P5: a.readInt16LE(14),
    P6: a.readInt16LE(16), P7: a.readInt16LE(18), P8: a.readInt16LE(20), P9: a.readInt16LE(22),
    H1: a.readUInt8(25),
    H2: b.readInt16LE(0),
    H3: b.readUInt8(2),
    H4: e4 * 16 + (e5 & 0x0f),
    H5: e6 * 16 + (e5 >> 4),
    H6: b.readInt8(6),
  };
}

/** The register bytes a chip with these parameters holds (the simulated chip's NVM). */
export function encodeBme280Calibration(c: Bme280Calibration): { calib1: Buffer; calib2: Buffer } {
  const a = Buffer.alloc(BME280_CALIB1_LENGTH);
  a.writeUInt16LE(c.T1, 0); a.writeInt16LE(c.T2, 2); a.writeInt16LE(c.T3, 4);
  a.writeUInt16LE(c.P1, 6); a.writeInt16LE(c.P2, 8); a.writeInt16LE(c.P3, 10); a.writeInt16LE(c.P4, 12); a.writeInt16LE(c.P5, 14);
  a.writeInt16LE(c.P6, 16); a.writeInt16LE(c.P7, 18); a.writeInt16LE(c.P8, 20); a.writeInt16LE(c.P9, 22);
  a.writeUInt8(c.H1, 25); // 0xA0 (offset 24) is unused
  const b = Buffer.alloc(BME280_CALIB2_LENGTH);
  b.writeInt16LE(c.H2, 0);
  b.writeUInt8(c.H3, 2);
  b.writeUInt8((c.H4 >> 4) & 0xff, 3);
  b.writeUInt8(((c.H5 & 0x0f) << 4) | (c.H4 & 0x0f), 4);
  b.writeUInt8((c.H5 >> 4) & 0xff, 5);
  b.writeInt8(c.H6, 6);
  return { calib1: a, calib2: b };
}
