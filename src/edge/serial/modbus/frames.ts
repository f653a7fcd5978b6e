import { ModbusCrcError, ModbusFrameError } from '../errors.js';
import { carriedCrc, crc16Modbus, withCrc } from './crc16.js';

/**
 * Modbus RTU frames (ADUs): slave address, PDU (function code + data), CRC. Pure building and
 * parsing for both sides, master and slave; timing lives in rtu.ts and the simulator.
 * Multi-byte fields in the PDU are big-endian; only the CRC goes low byte first.
 */
export const FC_READ_HOLDING_REGISTERS = 0x03;
export const FC_WRITE_SINGLE_REGISTER = 0x06;
export const EXCEPTION_BIT = 0x80;
/** Per request, as a response must fit 256 bytes (5 + 2×125). */
export const MAX_READ_QUANTITY = 125;

/** Exception codes as the Modbus application protocol names them. */
const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  0x01: 'ILLEGAL FUNCTION',
  0x02: 'ILLEGAL DATA ADDRESS',
  0x03: 'ILLEGAL DATA VALUE',
  0x04: 'SERVER DEVICE FAILURE',
  0x05: 'ACKNOWLEDGE',
  0x06: 'SERVER DEVICE BUSY',
  0x08: 'MEMORY PARITY ERROR',
  0x0a: 'GATEWAY PATH UNAVAILABLE',
  0x0b: 'GATEWAY TARGET DEVICE FAILED TO RESPOND',
};

export const EXCEPTION = {
  ILLEGAL_FUNCTION: 0x01,
  ILLEGAL_DATA_ADDRESS: 0x02,
  ILLEGAL_DATA_VALUE: 0x03,
  SERVER_DEVICE_FAILURE: 0x04,
} as const;

export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? `UNKNOWN EXCEPTION ${code}`;
}

/** A frame whose CRC checked out, split into its fields; `data` is the PDU after the function code. */
export interface RtuFrame {
  slave: number;
  functionCode: number;
  data: Uint8Array;
}

export function readHoldingRegistersRequest(slave: number, address: number, quantity: number): Uint8Array {
  return adu(slave, FC_READ_HOLDING_REGISTERS, [address >> 8, address & 0xff, quantity >> 8, quantity & 0xff]);
}

export function writeSingleRegisterRequest(slave: number, address: number, value: number): Uint8Array {
  return adu(slave, FC_WRITE_SINGLE_REGISTER, [address >> 8, address & 0xff, value >> 8, value & 0xff]);
}

export function readHoldingRegistersResponse(slave: number, values: readonly number[]): Uint8Array {
  return adu(slave, FC_READ_HOLDING_REGISTERS, [values.length * 2, ...values.flatMap((v) => [(v >> 8) & 0xff, v & 0xff])]);
}

/** A write single register response echoes the request. */
export function writeSingleRegisterResponse(slave: number, address: number, value: number): Uint8Array {
  return writeSingleRegisterRequest(slave, address, value);
}

export function exceptionResponse(slave: number, functionCode: number, exceptionCode: number): Uint8Array {
  return withCrc(Uint8Array.from([slave, functionCode | EXCEPTION_BIT, exceptionCode]));
}

/**
 * Total length of the response frame that starts with these bytes, once enough of it is here
 * to tell; undefined while too short or for function codes whose length only silence ends.
 */
export function responseLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 2) return undefined;
  const fc = bytes[1] as number;
  if (fc & EXCEPTION_BIT) return 5;
  if (fc >= 0x01 && fc <= 0x04) return bytes.length < 3 ? undefined : 5 + (bytes[2] as number);
  if (fc === 0x05 || fc === 0x06 || fc === 0x0f || fc === 0x10) return 8;
  return undefined;
}

/** The same for a request, as a slave sees it. */
export function requestLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 2) return undefined;
  const fc = bytes[1] as number;
  if (fc >= 0x01 && fc <= 0x06) return 8;
  if (fc === 0x0f || fc === 0x10) return bytes.length < 7 ? undefined : 9 + (bytes[6] as number);
  return undefined;
}

/** Checks the CRC and splits the frame; throws ModbusCrcError or, for a runt, ModbusFrameError. */
export function parseFrame(frame: Uint8Array): RtuFrame {
  if (frame.length < 4) throw new ModbusFrameError(`${frame.length} bytes is shorter than any frame`, toHex(frame));
  const computed = crc16Modbus(frame, 0, frame.length - 2);
  const received = carriedCrc(frame);
  if (computed !== received) throw new ModbusCrcError(received, computed, toHex(frame));
  return { slave: frame[0] as number, functionCode: frame[1] as number, data: frame.subarray(2, frame.length - 2) };
}

/** Register values of a read holding registers response, checked against the quantity asked. */
export function registersOf(f: RtuFrame, quantity: number): number[] {
  const byteCount = f.data[0];
  if (byteCount !== quantity * 2 || f.data.length !== 1 + quantity * 2) {
    throw new ModbusFrameError(`expected ${quantity} registers, byte count says ${byteCount ?? 'nothing'}`, frameHex(f));
  }
  const values: number[] = [];
  for (let i = 0; i < quantity; i++) values.push(((f.data[1 + 2 * i] as number) << 8) | (f.data[2 + 2 * i] as number));
  return values;
}

/** The two 16-bit fields of a 4-byte PDU body (address + quantity, or address + value). */
export function wordPairOf(f: RtuFrame): [number, number] {
  if (f.data.length !== 4) throw new ModbusFrameError(`expected 4 data bytes, got ${f.data.length}`, frameHex(f));
  return [((f.data[0] as number) << 8) | (f.data[1] as number), ((f.data[2] as number) << 8) | (f.data[3] as number)];
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

function frameHex(f: RtuFrame): string {
  return toHex(Uint8Array.from([f.slave, f.functionCode, ...f.data]));
}

function adu(slave: number, functionCode: number, data: readonly number[]): Uint8Array {
  return withCrc(Uint8Array.from([slave, functionCode, ...data]));
}
