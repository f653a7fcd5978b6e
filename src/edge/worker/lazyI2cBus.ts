import type { I2cBus } from '../i2c/index.js';

/**
 * An I2C bus that opens `/dev/i2c-N` (through `i2c-bus`) at its first transfer, and again at the
 * next one if that failed: drivers are made at start, so their options are checked at once, and
 * a board without the bus (or without the native module) only fails the devices on it.
 */
export function lazyI2cBus(open: () => Promise<I2cBus>): I2cBus {
  let bus: Promise<I2cBus> | undefined;
  const get = (): Promise<I2cBus> =>
    (bus ??= open().catch((e: unknown) => {
      bus = undefined;
      throw e;
    }));
  return {
    readByte: async (a, c) => (await get()).readByte(a, c),
    readWord: async (a, c) => (await get()).readWord(a, c),
    writeByte: async (a, c, b) => (await get()).writeByte(a, c, b),
    writeWord: async (a, c, w) => (await get()).writeWord(a, c, w),
    readI2cBlock: async (a, c, l, b) => (await get()).readI2cBlock(a, c, l, b),
    writeI2cBlock: async (a, c, l, b) => (await get()).writeI2cBlock(a, c, l, b),
    i2cRead: async (a, l, b) => (await get()).i2cRead(a, l, b),
    i2cWrite: async (a, l, b) => (await get()).i2cWrite(a, l, b),
    receiveByte: async (a) => (await get()).receiveByte(a),
    sendByte: async (a, b) => (await get()).sendByte(a, b),
    scan: async (start, end) => (await get()).scan(start, end),
    close: async () => {
      const opened = bus;
      bus = undefined;
      if (opened) await (await opened.catch(() => undefined))?.close();
    },
  };
}
