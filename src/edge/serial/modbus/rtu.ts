import { performance } from 'node:perf_hooks';
import type { Logger } from '../../../shared/logger.js';
import { ModbusCrcError, ModbusExceptionError, ModbusFrameError, ModbusRequestError, ModbusTimeoutError, SerialClosedError } from '../errors.js';
import { componentLogger } from '../log.js';
import type { SerialLink } from '../serialPort.js';
import {
  EXCEPTION_BIT,
  FC_READ_HOLDING_REGISTERS,
  FC_WRITE_SINGLE_REGISTER,
  MAX_READ_QUANTITY,
  exceptionName,
  parseFrame,
  readHoldingRegistersRequest,
  registersOf,
  responseLength,
  toHex,
  wordPairOf,
  writeSingleRegisterRequest,
  type RtuFrame,
} from './frames.js';

/**
 * Modbus RTU master over a SerialLink: one request at a time on the bus, the response framed by
 * its expected length or, failing that, by inter-frame silence; a timeout per attempt, retries
 * on silence and on damaged frames, exception responses as typed errors, frames from other
 * slaves ignored (on RS-485 everyone hears everyone).
 */
export interface RtuRequestOptions {
  /** Per attempt, from the moment the request has left. Default 1000 ms. */
  timeoutMs?: number;
  /** Further attempts after a timeout, CRC error or malformed answer. Default 2. */
  retries?: number;
}

export interface RtuMasterOptions {
  /** Inter-frame silence; default from the link's baud rate (see silenceFor). */
  silenceMs?: number;
  logger?: Logger;
}

export interface RtuMasterStats {
  requests: number;
  retries: number;
  timeouts: number;
  crcErrors: number;
  frameErrors: number;
  exceptions: number;
  /** Complete, valid frames from a slave other than the one asked. */
  foreignFrames: number;
  /** Bytes that arrived while no request was waiting. */
  strayBytes: number;
}

export interface RtuMaster {
  readonly silenceMs: number;
  readonly stats: Readonly<RtuMasterStats>;
  readHoldingRegisters(slave: number, address: number, quantity: number, opts?: RtuRequestOptions): Promise<number[]>;
  writeSingleRegister(slave: number, address: number, value: number, opts?: RtuRequestOptions): Promise<void>;
  /** Stops listening to the link (which stays open); requests still queued fail. */
  close(): void;
}

/**
 * t3.5: 3.5 characters of 11 bits (start, 8 data, parity or second stop, stop). The spec fixes
 * 1.75 ms above 19200 baud; timers are not finer than a millisecond or two, so never below 2 ms.
 */
export function silenceFor(baudRate: number | undefined): number {
  return Math.max(2, (3.5 * 11 * 1000) / (baudRate ?? 9600));
}

interface Pending {
  slave: number;
  succeed(f: RtuFrame): void;
  fail(e: Error): void;
}

const EMPTY = new Uint8Array(0);

export function createRtuMaster(link: SerialLink, opts: RtuMasterOptions = {}): RtuMaster {
  const silenceMs = opts.silenceMs ?? silenceFor(link.baudRate);
  const log = componentLogger('modbus-rtu', { link: link.name }, opts.logger);
  const stats: RtuMasterStats = { requests: 0, retries: 0, timeouts: 0, crcErrors: 0, frameErrors: 0, exceptions: 0, foreignFrames: 0, strayBytes: 0 };
  let rx = EMPTY;
  let lastActivity = -Infinity;
  let silenceTimer: NodeJS.Timeout | undefined;
  let pending: Pending | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;

  function onData(chunk: Uint8Array): void {
    lastActivity = performance.now();
    if (!pending) {
      stats.strayBytes += chunk.length;
      return;
    }
    rx = rx.length === 0 ? Uint8Array.from(chunk) : Buffer.concat([rx, chunk]);
    // A foreign frame and ours may arrive in one chunk: take complete frames while there are any.
    for (let len = responseLength(rx); pending && len !== undefined && rx.length >= len; len = responseLength(rx)) {
      const frame = rx.subarray(0, len);
      rx = rx.subarray(len);
      onFrame(frame);
    }
    clearTimeout(silenceTimer);
    if (rx.length > 0) silenceTimer = setTimeout(onSilence, silenceMs);
  }

  /** Silence ends whatever is buffered: a frame of unknown length, or a truncated one. */
  function onSilence(): void {
    const frame = rx;
    rx = EMPTY;
    if (frame.length === 0 || !pending) return;
    const expected = responseLength(frame);
    if (expected !== undefined && frame.length < expected) {
      stats.frameErrors += 1;
      pending.fail(new ModbusFrameError(`truncated: ${frame.length} of ${expected} bytes, then silence`, toHex(frame)));
      return;
    }
    onFrame(frame);
  }

  function onFrame(bytes: Uint8Array): void {
    if (!pending) return;
    let f: RtuFrame;
    try {
      f = parseFrame(bytes);
    } catch (e) {
      if (e instanceof ModbusCrcError) stats.crcErrors += 1;
      else stats.frameErrors += 1;
      pending.fail(e as Error);
      return;
    }
    if (f.slave !== pending.slave) {
      stats.foreignFrames += 1;
      log.debug({ slave: f.slave, expected: pending.slave }, 'ignored a frame from another slave');
      return;
    }
    pending.succeed(f);
  }

  const onClose = (): void => pending?.fail(new SerialClosedError(link.name));
  link.on('data', onData);
  link.on('close', onClose);

  async function exchange(slave: number, functionCode: number, request: Uint8Array, timeoutMs: number): Promise<RtuFrame> {
    // The previous frame, ours or anyone's, must be followed by silence before we talk.
    // Timers may fire a little early; look again until the silence really has passed.
    for (let wait = lastActivity + silenceMs - performance.now(); wait > 0; wait = lastActivity + silenceMs - performance.now()) {
      await new Promise((r) => setTimeout(r, Math.ceil(wait)));
    }
    // Leftovers of a failed attempt are not part of this answer.
    clearTimeout(silenceTimer);
    rx = EMPTY;
    return new Promise<RtuFrame>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (): void => {
        clearTimeout(timer);
        if (pending === mine) pending = undefined;
      };
      const mine: Pending = {
        slave,
        succeed: (f) => (settle(), resolve(f)),
        fail: (e) => (settle(), reject(e)),
      };
      pending = mine;
      link.write(request).then(
        () => {
          lastActivity = performance.now();
          if (pending !== mine) return;
          timer = setTimeout(() => {
            stats.timeouts += 1;
            mine.fail(new ModbusTimeoutError(slave, functionCode, timeoutMs));
          }, timeoutMs);
        },
        (e: unknown) => mine.fail(e instanceof Error ? e : new Error(String(e))),
      );
    });
  }

  function transact<T>(slave: number, functionCode: number, request: Uint8Array, opts: RtuRequestOptions, interpret: (f: RtuFrame) => T): Promise<T> {
    const run = async (): Promise<T> => {
      if (closed) throw new SerialClosedError(link.name);
      const retries = opts.retries ?? 2;
      stats.requests += 1;
      let last: unknown;
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) stats.retries += 1;
        try {
          const f = await exchange(slave, functionCode, request, opts.timeoutMs ?? 1000);
          return answerOf(f, functionCode, interpret);
        } catch (e) {
          if (!(e instanceof ModbusTimeoutError || e instanceof ModbusCrcError || e instanceof ModbusFrameError)) throw e;
          last = e;
          log.debug({ err: e, slave, attempt }, 'modbus attempt failed');
        }
      }
      throw last;
    };
    const result = tail.then(run, run);
    tail = result.catch(() => undefined);
    return result;
  }

  function answerOf<T>(f: RtuFrame, functionCode: number, interpret: (f: RtuFrame) => T): T {
    if (f.functionCode === (functionCode | EXCEPTION_BIT) && f.data.length === 1) {
      stats.exceptions += 1;
      const code = f.data[0] as number;
      throw new ModbusExceptionError(f.slave, functionCode, code, exceptionName(code));
    }
    try {
      if (f.functionCode !== functionCode) throw new ModbusFrameError(`answer has function ${f.functionCode}, asked ${functionCode}`, toHex(f.data));
      return interpret(f);
    } catch (e) {
      stats.frameErrors += 1;
      throw e;
    }
  }

  return {
    silenceMs,
    stats,
    async readHoldingRegisters(slave, address, quantity, o = {}) {
      checkSlave(slave);
      checkRange('quantity', quantity, 1, MAX_READ_QUANTITY);
      checkRange('address', address, 0, 0x10000 - quantity);
      return transact(slave, FC_READ_HOLDING_REGISTERS, readHoldingRegistersRequest(slave, address, quantity), o, (f) => registersOf(f, quantity));
    },
    async writeSingleRegister(slave, address, value, o = {}) {
      checkSlave(slave);
      checkRange('address', address, 0, 0xffff);
      checkRange('value', value, 0, 0xffff);
      return transact(slave, FC_WRITE_SINGLE_REGISTER, writeSingleRegisterRequest(slave, address, value), o, (f) => {
        const [a, v] = wordPairOf(f);
        if (a !== address || v !== value) throw new ModbusFrameError(`echo says register ${a} = ${v}, sent ${address} = ${value}`, toHex(f.data));
      });
    },
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(silenceTimer);
      link.off('data', onData);
      link.off('close', onClose);
      pending?.fail(new SerialClosedError(link.name));
    },
  };
}

const shared = new WeakMap<SerialLink, { master: RtuMaster; users: number }>();

/**
 * The one master of a link, made on first use: several slaves on one RS-485 link must take turns,
 * so their drivers share it. Each user's close() lets go; the last one stops the master. The
 * first user's options (silence, logger) are the ones in force.
 */
export function acquireRtuMaster(link: SerialLink, opts: RtuMasterOptions = {}): RtuMaster {
  let entry = shared.get(link);
  if (!entry) {
    entry = { master: createRtuMaster(link, opts), users: 0 };
    shared.set(link, entry);
  }
  const e = entry;
  e.users += 1;
  let released = false;
  return {
    silenceMs: e.master.silenceMs,
    stats: e.master.stats,
    readHoldingRegisters: (...args) => e.master.readHoldingRegisters(...args),
    writeSingleRegister: (...args) => e.master.writeSingleRegister(...args),
    close() {
      if (released) return;
      released = true;
      e.users -= 1;
      if (e.users === 0) {
        shared.delete(link);
        e.master.close();
      }
    },
  };
}

function checkSlave(slave: number): void {
  // 0 is broadcast, which has no answer to wait for; not offered here.
  checkRange('slave id', slave, 1, 247);
}

function checkRange(what: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new ModbusRequestError(`${what} ${v} is outside ${min}..${max}`);
}
