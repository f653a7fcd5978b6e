import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import type { I2cBus } from './i2cBus.js';
import { checkAddress, checkBufferAndLength, checkByte, checkCommand, checkWord, closedBusError, fileNackError, smbusNackError } from './i2cBusArgs.js';
import { ChipNack, type SimulatedI2cChip } from './simulatedChip.js';

/** NACK `count` transfers after letting `after` through; to `address`, or to any attached chip. */
export interface NackFault {
  address?: number;
  after?: number;
  count?: number;
}

export interface SimulatedI2cBus extends I2cBus {
  attach(address: number, chip: SimulatedI2cChip): void;
  detach(address: number): void;
  injectNack(fault?: NackFault): void;
  /** Delay every transfer by this much (a slow or clock-stretched bus). */
  setDelay(ms: number): void;
  /** Transfers attempted so far (scan probes included). */
  readonly transfers: number;
}

interface ActiveFault {
  address: number | undefined;
  after: number;
  count: number;
}

const FIRST_SCAN_ADDRESS = 0x03;
const LAST_SCAN_ADDRESS = 0x77;

/**
 * A bus of simulated chips behind the same port as the real one. An address with no chip
 * NACKs exactly like Linux i2c-dev through i2c-bus (see `smbusNackError`), transfers complete
 * asynchronously as the native ones do, and argument errors are i2c-bus's own.
 */
export function createSimulatedI2cBus(opts: { delayMs?: number } = {}): SimulatedI2cBus {
  const chips = new Map<number, SimulatedI2cChip>();
  let faults: ActiveFault[] = [];
  let delayMs = opts.delayMs ?? 0;
  let transfers = 0;
  let closed = false;

  const faulted = (address: number): boolean => {
    let nack = false;
    for (const f of faults) {
      if (f.address === undefined ? !chips.has(address) : f.address !== address) continue;
      if (f.after > 0) f.after -= 1;
      else if (f.count > 0) {
        f.count -= 1;
        nack = true;
      }
    }
    faults = faults.filter((f) => f.count > 0);
    return nack;
  };

  async function transfer<T>(syscall: string, address: number, run: (chip: SimulatedI2cChip) => T): Promise<T> {
    await (delayMs > 0 ? sleep(delayMs) : yieldToLoop());
    transfers += 1;
    const nack = syscall === 'read' || syscall === 'write' ? () => fileNackError(syscall) : () => smbusNackError(syscall);
    if (closed) throw closedBusError(syscall);
    const chip = chips.get(address);
    if (chip === undefined || faulted(address)) throw nack();
    try {
      return run(chip);
    } catch (e) {
      if (e instanceof ChipNack) throw nack();
      throw e;
    }
  }

  const readInto = (chip: SimulatedI2cChip, length: number, buffer: Buffer): number => {
    const bytes = chip.read(length);
    buffer.set(bytes.subarray(0, length));
    return Math.min(bytes.length, length);
  };

  return {
    attach(address, chip) {
      checkAddress(address);
      if (chips.has(address)) throw new Error(`a simulated chip is already attached at 0x${address.toString(16)}`);
      chips.set(address, chip);
    },
    detach: (address) => void chips.delete(address),
    injectNack: (fault = {}) => void faults.push({ address: fault.address, after: fault.after ?? 0, count: fault.count ?? 1 }),
    setDelay: (ms) => void (delayMs = ms),
    get transfers() {
      return transfers;
    },

    async readByte(address, cmd) {
      checkAddress(address);
      checkCommand(cmd);
      return transfer('readByte', address, (chip) => {
        chip.write(Uint8Array.of(cmd));
        return chip.read(1)[0] ?? 0xff;
      });
    },
    async readWord(address, cmd) {
      checkAddress(address);
      checkCommand(cmd);
      return transfer('readWord', address, (chip) => {
        chip.write(Uint8Array.of(cmd));
        const [lo = 0xff, hi = 0xff] = chip.read(2);
        return lo | (hi << 8); // SMBus: the first byte on the wire is the low byte
      });
    },
    async writeByte(address, cmd, byte) {
      checkAddress(address);
      checkCommand(cmd);
      checkByte(byte);
      return transfer('writeByte', address, (chip) => chip.write(Uint8Array.of(cmd, byte)));
    },
    async writeWord(address, cmd, word) {
      checkAddress(address);
      checkCommand(cmd);
      checkWord(word);
      return transfer('writeWord', address, (chip) => chip.write(Uint8Array.of(cmd, word & 0xff, word >> 8)));
    },
    async readI2cBlock(address, cmd, length, buffer) {
      checkAddress(address);
      checkCommand(cmd);
      checkBufferAndLength(length, buffer, 32);
      return transfer('readI2cBlock', address, (chip) => {
        chip.write(Uint8Array.of(cmd));
        return { bytesRead: readInto(chip, length, buffer), buffer };
      });
    },
    async writeI2cBlock(address, cmd, length, buffer) {
      checkAddress(address);
      checkCommand(cmd);
      checkBufferAndLength(length, buffer, 32);
      return transfer('writeI2cBlock', address, (chip) => {
        chip.write(Uint8Array.of(cmd, ...buffer.subarray(0, length)));
        return { bytesWritten: length, buffer };
      });
    },
    async i2cRead(address, length, buffer) {
      checkAddress(address);
      checkBufferAndLength(length, buffer);
      return transfer('read', address, (chip) => ({ bytesRead: readInto(chip, length, buffer), buffer }));
    },
    async i2cWrite(address, length, buffer) {
      checkAddress(address);
      checkBufferAndLength(length, buffer);
      return transfer('write', address, (chip) => {
        chip.write(Uint8Array.from(buffer.subarray(0, length)));
        return { bytesWritten: length, buffer };
      });
    },
    async receiveByte(address) {
      checkAddress(address);
      return transfer('receiveByte', address, (chip) => chip.read(1)[0] ?? 0xff);
    },
    async sendByte(address, byte) {
      checkAddress(address);
      checkByte(byte);
      return transfer('sendByte', address, (chip) => chip.write(Uint8Array.of(byte)));
    },
    async scan(startAddress, endAddress) {
      const start = startAddress ?? FIRST_SCAN_ADDRESS;
      const end = startAddress === undefined ? LAST_SCAN_ADDRESS : (endAddress ?? start);
      checkAddress(start);
      checkAddress(end);
      const found: number[] = [];
      for (let address = start; address <= end; address += 1) {
        // i2c-bus probes with receiveByte and keeps the addresses that did not fail.
        try {
          await transfer('receiveByte', address, (chip) => chip.read(1));
          found.push(address);
        } catch {
          // no device there
        }
      }
      return found;
    },
    async close() {
      closed = true;
    },
  };
}
