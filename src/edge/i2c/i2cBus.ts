import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { I2cBusUnavailableError, I2cModuleUnavailableError } from './errors.js';

/**
 * The I2C bus port: the part of `i2c-bus`'s PromisifiedBus (v5) the drivers use, with its exact
 * semantics, so the real adapter is a pass-through and the simulated bus can be swapped in.
 *
 * - `cmd` is the SMBus command byte, which for register chips is the register address.
 * - SMBus words are little-endian on the wire: `readWord` returns `first | second << 8`, and
 *   `writeWord(w)` sends the low byte first. Chips with big-endian 16-bit registers (TMP102,
 *   ADS1115) need the bytes swapped; `createI2cDevice` does that in one place.
 * - Errors are whatever Linux and i2c-bus produce: a NACK on an SMBus call is an `Error` with
 *   `errno: 121` and `code: ''` (Node has no name for EREMOTEIO); on `i2cRead`/`i2cWrite` it is a
 *   libuv error with `errno: -121`, `code: 'EREMOTEIO'`. Drivers translate them (errors.ts).
 */
export interface I2cBus {
  readByte(address: number, cmd: number): Promise<number>;
  readWord(address: number, cmd: number): Promise<number>;
  writeByte(address: number, cmd: number, byte: number): Promise<void>;
  writeWord(address: number, cmd: number, word: number): Promise<void>;
  /** SMBus "read I2C block": writes `cmd`, then reads `length` (≤ 32) bytes into `buffer`. */
  readI2cBlock(address: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  writeI2cBlock(address: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  /** Plain I2C read of `length` bytes, no command byte (continues from the chip's pointer). */
  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  receiveByte(address: number): Promise<number>;
  sendByte(address: number, byte: number): Promise<void>;
  /** Addresses in [start, end] (default 0x03..0x77; one argument: just that one) that acknowledge a receive-byte probe. */
  scan(startAddress?: number, endAddress?: number): Promise<number[]>;
  close(): Promise<void>;
}

export interface OpenI2cBusOptions {
  /** i2c-bus `forceAccess`: talk to addresses a kernel driver has claimed (I2C_SLAVE_FORCE). */
  forceAccess?: boolean;
  /** How the module is loaded (a bundled edge binary may resolve it differently; tests). */
  loadModule?: () => Promise<unknown>;
}

/** The slice of the `i2c-bus` module this adapter uses (it ships no type declarations). */
interface I2cBusModule {
  openPromisified(busNumber: number, options?: { forceAccess?: boolean }): Promise<I2cBus>;
}

// A variable specifier keeps tsc from needing declarations and bundlers from inlining a native module.
const I2C_BUS_MODULE = 'i2c-bus';

/**
 * Opens /dev/i2c-<busNumber> through `i2c-bus`, loaded only now: the native module is optional
 * and absent (or unbuildable) on machines without I2C. `openPromisified` itself never touches
 * the device file (each address is opened on its first transfer), so the node is checked here,
 * where a missing bus can still be reported as such.
 */
export async function openI2cBus(busNumber: number, opts: OpenI2cBusOptions = {}): Promise<I2cBus> {
  if (!Number.isInteger(busNumber) || busNumber < 0) throw new I2cBusUnavailableError(busNumber, 'the bus number must be a non-negative integer');
  const mod = await loadI2cBusModule(opts.loadModule);
  const path = `/dev/i2c-${busNumber}`;
  try {
    await access(path, constants.R_OK | constants.W_OK);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const reason =
      code === 'ENOENT' ? `${path} does not exist (no I2C adapter, or I2C not enabled: e.g. dtparam=i2c_arm=on and the i2c-dev module)`
      : code === 'EACCES' || code === 'EPERM' ? `no read/write permission on ${path} (add the user to the i2c group)`
      : `${path} is not accessible (${code ?? String(e)})`;
    throw new I2cBusUnavailableError(busNumber, reason, e);
  }
  return adapt(await mod.openPromisified(busNumber, { forceAccess: opts.forceAccess ?? false }));
}

async function loadI2cBusModule(load: (() => Promise<unknown>) | undefined): Promise<I2cBusModule> {
  try {
    const loaded = (await (load ?? (() => import(I2C_BUS_MODULE)))()) as Partial<I2cBusModule> & { default?: Partial<I2cBusModule> };
    const mod = typeof loaded.openPromisified === 'function' ? loaded : loaded.default; // ESM namespace of a CommonJS module
    if (typeof mod?.openPromisified !== 'function') throw new Error('it has no openPromisified()');
    return mod as I2cBusModule;
  } catch (e) {
    throw new I2cModuleUnavailableError(e);
  }
}

/** Only the port's methods, bound, so nothing else of the PromisifiedBus leaks to callers. */
function adapt(bus: I2cBus): I2cBus {
  return {
    readByte: (a, c) => bus.readByte(a, c),
    readWord: (a, c) => bus.readWord(a, c),
    writeByte: (a, c, b) => bus.writeByte(a, c, b),
    writeWord: (a, c, w) => bus.writeWord(a, c, w),
    readI2cBlock: (a, c, l, b) => bus.readI2cBlock(a, c, l, b),
    writeI2cBlock: (a, c, l, b) => bus.writeI2cBlock(a, c, l, b),
    i2cRead: (a, l, b) => bus.i2cRead(a, l, b),
    i2cWrite: (a, l, b) => bus.i2cWrite(a, l, b),
    receiveByte: (a) => bus.receiveByte(a),
    sendByte: (a, b) => bus.sendByte(a, b),
    // i2c-bus's scan takes (), (addr) or (start, end) and counts arguments, so pass only those given.
    scan: (start, end) => (start === undefined ? bus.scan() : end === undefined ? bus.scan(start) : bus.scan(start, end)),
    close: () => bus.close(),
  };
}
