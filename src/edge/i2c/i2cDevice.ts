import { toI2cError } from './errors.js';
import type { I2cBus } from './i2cBus.js';

/**
 * One chip at one address: register reads and writes in the byte orders datasheets use, with
 * every bus failure turned into a typed error naming the address and register.
 */
export interface I2cDevice {
  readonly bus: I2cBus;
  readonly address: number;
  readU8(register: number): Promise<number>;
  writeU8(register: number, value: number): Promise<void>;
  /** A 16-bit register sent most significant byte first (TMP102, ADS1115). */
  readU16BE(register: number): Promise<number>;
  writeU16BE(register: number, value: number): Promise<void>;
  /** A 16-bit register pair sent low byte first (SMBus order; MCP23017 A/B pairs). */
  readU16LE(register: number): Promise<number>;
  writeU16LE(register: number, value: number): Promise<void>;
  /** Up to 32 bytes from `register` on (the chip's auto-increment decides what follows). */
  readBlock(register: number, length: number): Promise<Buffer>;
  writeBlock(register: number, bytes: Uint8Array): Promise<void>;
}

/** SMBus words travel low byte first; a big-endian register reads back byte-swapped. */
export function swap16(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}

export function createI2cDevice(bus: I2cBus, address: number): I2cDevice {
  const guard = async <T>(operation: string, register: number, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      throw toI2cError(e, address, operation, register);
    }
  };
  return {
    bus,
    address,
    readU8: (register) => guard('read', register, () => bus.readByte(address, register)),
    writeU8: (register, value) => guard('write', register, () => bus.writeByte(address, register, value)),
    readU16BE: (register) => guard('read', register, async () => swap16(await bus.readWord(address, register))),
    writeU16BE: (register, value) => guard('write', register, () => bus.writeWord(address, register, swap16(value))),
    readU16LE: (register) => guard('read', register, () => bus.readWord(address, register)),
    writeU16LE: (register, value) => guard('write', register, () => bus.writeWord(address, register, value)),
    readBlock: (register, length) =>
      guard('read', register, async () => {
        const { bytesRead, buffer } = await bus.readI2cBlock(address, register, length, Buffer.alloc(length));
        if (bytesRead !== length) throw new Error(`short read: ${bytesRead} of ${length} bytes`);
        return buffer;
      }),
    writeBlock: (register, bytes) => guard('write', register, async () => void (await bus.writeI2cBlock(address, register, bytes.length, Buffer.from(bytes)))),
  };
}
