import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModbusCrcError, ModbusFrameError } from '../errors.js';
import {
  exceptionName,
  exceptionResponse,
  parseFrame,
  readHoldingRegistersRequest,
  readHoldingRegistersResponse,
  registersOf,
  requestLength,
  responseLength,
  toHex,
  wordPairOf,
  writeSingleRegisterRequest,
} from './frames.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/ /g, ''), 'hex'));

describe('Modbus RTU frames', () => {
  it('builds the specification example read request (slave 0x11, registers 0x6B.., 3)', () => {
    expect(toHex(readHoldingRegistersRequest(0x11, 0x006b, 3))).toBe('11 03 00 6B 00 03 76 87');
  });

  it('builds the write single register request (slave 0x11, register 1 = 3)', () => {
    expect(toHex(writeSingleRegisterRequest(0x11, 1, 3))).toBe('11 06 00 01 00 03 9A 9B');
  });

  it('builds and parses the specification example read response', () => {
    const frame = readHoldingRegistersResponse(0x11, [0xae41, 0x5652, 0x4340]);
    expect(toHex(frame)).toBe('11 03 06 AE 41 56 52 43 40 49 AD');
    const f = parseFrame(frame);
    expect(f.slave).toBe(0x11);
    expect(f.functionCode).toBe(3);
    expect(registersOf(f, 3)).toEqual([0xae41, 0x5652, 0x4340]);
  });

  it('round-trips any register values through a response', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 247 }), fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 125 }), (slave, values) => {
        const frame = readHoldingRegistersResponse(slave, values);
        expect(responseLength(frame)).toBe(frame.length);
        expect(registersOf(parseFrame(frame), values.length)).toEqual(values);
      }),
    );
  });

  it('builds exception responses (function | 0x80, code) and names the codes', () => {
    const f = parseFrame(exceptionResponse(0x0a, 0x03, 0x02));
    expect([f.slave, f.functionCode, ...f.data]).toEqual([0x0a, 0x83, 0x02]);
    expect(exceptionName(1)).toBe('ILLEGAL FUNCTION');
    expect(exceptionName(2)).toBe('ILLEGAL DATA ADDRESS');
    expect(exceptionName(3)).toBe('ILLEGAL DATA VALUE');
    expect(exceptionName(4)).toBe('SERVER DEVICE FAILURE');
    expect(exceptionName(0x0b)).toBe('GATEWAY TARGET DEVICE FAILED TO RESPOND');
    expect(exceptionName(0x42)).toBe('UNKNOWN EXCEPTION 66');
  });

  it('tells a response length as soon as the header allows', () => {
    const read = bytes('11 03 06 AE 41 56 52 43 40 49 AD');
    expect(responseLength(read.subarray(0, 1))).toBeUndefined();
    expect(responseLength(read.subarray(0, 2))).toBeUndefined();
    expect(responseLength(read.subarray(0, 3))).toBe(11);
    expect(responseLength(bytes('11 83'))).toBe(5);
    expect(responseLength(bytes('11 06'))).toBe(8);
    expect(responseLength(bytes('11 2B 0E'))).toBeUndefined();
    expect(requestLength(bytes('11 03'))).toBe(8);
    expect(requestLength(bytes('11 10 00 01 00 02'))).toBeUndefined();
    expect(requestLength(bytes('11 10 00 01 00 02 04'))).toBe(13);
  });

  it('refuses a frame with a wrong CRC with the CRCs in the error', () => {
    const err = (() => {
      try {
        parseFrame(bytes('11 03 00 6B 00 03 76 88'));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ModbusCrcError);
    expect(err).toMatchObject({ code: 'ERR_MODBUS_CRC', received: 0x8876, computed: 0x8776 });
  });

  it('refuses runts and answers that do not fit the request', () => {
    expect(() => parseFrame(bytes('11 03 00'))).toThrow(ModbusFrameError);
    const three = parseFrame(readHoldingRegistersResponse(1, [1, 2, 3]));
    expect(() => registersOf(three, 2)).toThrow(ModbusFrameError);
    expect(() => wordPairOf(three)).toThrow(ModbusFrameError);
    expect(wordPairOf(parseFrame(writeSingleRegisterRequest(1, 0x1234, 0xbeef)))).toEqual([0x1234, 0xbeef]);
  });
});
