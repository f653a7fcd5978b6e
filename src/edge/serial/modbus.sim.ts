import type { ChannelValue } from '../driver.js';
import {
  EXCEPTION,
  FC_READ_HOLDING_REGISTERS,
  FC_WRITE_SINGLE_REGISTER,
  MAX_READ_QUANTITY,
  exceptionResponse,
  parseFrame,
  readHoldingRegistersResponse,
  requestLength,
  wordPairOf,
  writeSingleRegisterResponse,
  type RtuFrame,
} from './modbus/frames.js';
import { withCrc } from './modbus/crc16.js';
import { buildRegisterMap, decodeRegister, encodeRegister } from './modbus/registerMap.js';
import { silenceFor } from './modbus/rtu.js';
import type { RegisterSpec } from './options.js';
import type { SerialLink } from './serialPort.js';
import { isSwitch, type ValueSource } from './simValues.js';

/**
 * A simulated Modbus RTU slave on the far end of a SerialLink: a bank of holding registers
 * answering 03 and 06 frames byte for byte as a device would, with exception responses for
 * registers it does not have, silence for frames addressed to other slaves or with a bad CRC,
 * and faults to inject (set on `sim.faults`, counted down per reply).
 */
export interface ModbusSimOptions {
  slaveId: number;
  /** The registers the device has, address → raw 16-bit value; any other address is illegal. */
  registers: Iterable<[number, number]>;
  /** Addresses a master may write; default every register. Others answer ILLEGAL DATA ADDRESS. */
  writable?: Iterable<number>;
  /** False refuses a write with ILLEGAL DATA VALUE (a relay register takes only 0 or 1). */
  accepts?: (address: number, value: number) => boolean;
  /** Called before each read to bring live registers (sensor values) up to date. */
  refresh?: (bank: Map<number, number>, nowMs: number) => void;
  silenceMs?: number;
  now?: () => number;
}

export interface ModbusSimFaults {
  /** Requests to leave unanswered. */
  dropReplies: number;
  /** Replies sent with a flipped CRC byte. */
  corruptCrc: number;
  /** Valid replies from another slave id sent just before the real one (RS-485 cross-talk). */
  foreignReplies: number;
  /** Delay before every reply. */
  delayMs: number;
}

export interface ModbusSimStats {
  requests: number;
  exceptions: number;
  ignoredForeign: number;
  ignoredBadCrc: number;
}

export interface ModbusSim {
  readonly bank: Map<number, number>;
  readonly faults: ModbusSimFaults;
  readonly stats: Readonly<ModbusSimStats>;
  close(): void;
}

export function startModbusSim(link: SerialLink, options: ModbusSimOptions): ModbusSim {
  const bank = new Map(options.registers);
  const writable = new Set(options.writable ?? bank.keys());
  const silenceMs = options.silenceMs ?? silenceFor(link.baudRate);
  const now = options.now ?? Date.now;
  const faults: ModbusSimFaults = { dropReplies: 0, corruptCrc: 0, foreignReplies: 0, delayMs: 0 };
  const stats: ModbusSimStats = { requests: 0, exceptions: 0, ignoredForeign: 0, ignoredBadCrc: 0 };
  let rx: Uint8Array = new Uint8Array(0);
  let silenceTimer: NodeJS.Timeout | undefined;

  function answer(f: RtuFrame): Uint8Array {
    const fail = (code: number): Uint8Array => {
      stats.exceptions += 1;
      return exceptionResponse(options.slaveId, f.functionCode, code);
    };
    if (f.functionCode !== FC_READ_HOLDING_REGISTERS && f.functionCode !== FC_WRITE_SINGLE_REGISTER) return fail(EXCEPTION.ILLEGAL_FUNCTION);
    if (f.data.length !== 4) return fail(EXCEPTION.ILLEGAL_DATA_VALUE);
    const [address, second] = wordPairOf(f);
    if (f.functionCode === FC_READ_HOLDING_REGISTERS) {
      if (second < 1 || second > MAX_READ_QUANTITY) return fail(EXCEPTION.ILLEGAL_DATA_VALUE);
      for (let a = address; a < address + second; a++) if (!bank.has(a)) return fail(EXCEPTION.ILLEGAL_DATA_ADDRESS);
      options.refresh?.(bank, now());
      const values: number[] = [];
      for (let a = address; a < address + second; a++) values.push(bank.get(a) as number);
      return readHoldingRegistersResponse(options.slaveId, values);
    }
    if (!bank.has(address) || !writable.has(address)) return fail(EXCEPTION.ILLEGAL_DATA_ADDRESS);
    if (options.accepts && !options.accepts(address, second)) return fail(EXCEPTION.ILLEGAL_DATA_VALUE);
    bank.set(address, second);
    return writeSingleRegisterResponse(options.slaveId, address, second);
  }

  async function reply(frame: Uint8Array): Promise<void> {
    if (faults.dropReplies > 0) {
      faults.dropReplies -= 1;
      return;
    }
    await new Promise((r) => (faults.delayMs > 0 ? setTimeout(r, faults.delayMs) : setImmediate(r)));
    if (faults.foreignReplies > 0) {
      faults.foreignReplies -= 1;
      const body = frame.slice(0, frame.length - 2);
      body[0] = options.slaveId === 247 ? 1 : options.slaveId + 1;
      await link.write(withCrc(body));
    }
    if (faults.corruptCrc > 0) {
      faults.corruptCrc -= 1;
      frame = Uint8Array.from(frame);
      frame[frame.length - 1] = (frame[frame.length - 1] as number) ^ 0xff;
    }
    await link.write(frame);
  }

  function onFrame(bytes: Uint8Array): void {
    let f: RtuFrame;
    try {
      f = parseFrame(bytes);
    } catch {
      stats.ignoredBadCrc += 1;
      return;
    }
    if (f.slave === 0 && f.functionCode === FC_WRITE_SINGLE_REGISTER) {
      // Broadcast: applied by everyone, answered by no one.
      answer(f);
      return;
    }
    if (f.slave !== options.slaveId) {
      stats.ignoredForeign += 1;
      return;
    }
    stats.requests += 1;
    // A link closed while answering is the master's problem, not the device's.
    reply(answer(f)).catch(() => undefined);
  }

  const onData = (chunk: Uint8Array): void => {
    rx = Buffer.concat([rx, chunk]);
    for (let len = requestLength(rx); len !== undefined && rx.length >= len; len = requestLength(rx)) {
      const frame = rx.subarray(0, len);
      rx = rx.subarray(len);
      onFrame(frame);
    }
    clearTimeout(silenceTimer);
    if (rx.length > 0) {
      silenceTimer = setTimeout(() => {
        const frame = rx;
        rx = new Uint8Array(0);
        onFrame(frame);
      }, silenceMs);
    }
  };
  link.on('data', onData);

  return {
    bank,
    faults,
    stats,
    close() {
      clearTimeout(silenceTimer);
      link.off('data', onData);
    },
  };
}

/**
 * Simulator options for a device described by the driver's own register table: sensors follow
 * the value source at every read, actuators hold what the master wrote (switches start on, so a
 * simulated plug draws power until switched off).
 */
export function modbusSimOptionsFor(
  slaveId: number,
  registers: readonly RegisterSpec[],
  opts: { source?: ValueSource; initial?: Record<string, ChannelValue>; now?: () => number } = {},
): ModbusSimOptions {
  const map = buildRegisterMap('modbus-sim', registers);
  const channels = map.map((ch) => ch.info);
  const bank = new Map<number, number>();
  const put = (target: Map<number, number>, address: number, words: number[]): void => words.forEach((w, i) => target.set(address + i, w));
  for (const ch of map) put(bank, ch.address, encodeRegister('modbus-sim', ch, opts.initial?.[ch.info.name] ?? (isSwitch(ch.info) ? true : 0)));
  const actuators = map.filter((ch) => ch.info.role === 'actuator');
  const sensors = map.filter((ch) => ch.info.role === 'sensor');
  const bools = new Set(map.filter((ch) => ch.format === 'bool').map((ch) => ch.address));
  return {
    slaveId,
    registers: bank,
    writable: actuators.map((ch) => ch.address),
    accepts: (address, value) => !bools.has(address) || value === 0 || value === 1,
    ...(opts.now ? { now: opts.now } : {}),
    refresh: (b, nowMs) => {
      if (!opts.source) return;
      const outputs = new Map(actuators.map((ch) => [ch.info.name, decodeRegister(ch, [b.get(ch.address) as number])]));
      for (const ch of sensors) {
        const v = opts.source(ch.info, { channels, outputs }, nowMs);
        if (v === undefined) continue;
        try {
          put(b, ch.address, encodeRegister('modbus-sim', ch, v));
        } catch {
          // A source value the register cannot hold keeps the last one, as a saturated sensor would.
        }
      }
    },
  };
}
