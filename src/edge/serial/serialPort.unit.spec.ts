import { describe, expect, it } from 'vitest';
import { SerialClosedError, SerialOpenError, SerialUnavailableError } from './errors.js';
import { createSerialPair, openSerialPort } from './serialPort.js';

describe('serial links', () => {
  it('an in-memory pair carries bytes both ways, later and as a copy', async () => {
    const [a, b] = createSerialPair({ baudRate: 9600 });
    const atB: number[] = [];
    const atA: number[] = [];
    b.on('data', (c) => atB.push(...c));
    a.on('data', (c) => atA.push(...c));
    const sent = Uint8Array.of(1, 2, 3);
    await a.write(sent);
    sent[0] = 99;
    expect(atB).toEqual([]);
    await b.write(Uint8Array.of(4));
    await new Promise((r) => setImmediate(r));
    expect(atB).toEqual([1, 2, 3]);
    expect(atA).toEqual([4]);
    expect(a.baudRate).toBe(9600);
  });

  it('closing one end closes both; writes then fail with a typed error', async () => {
    const [a, b] = createSerialPair();
    const closed: string[] = [];
    a.on('close', () => closed.push('a'));
    b.on('close', () => closed.push('b'));
    await b.close();
    await new Promise((r) => setImmediate(r));
    expect(closed.sort()).toEqual(['a', 'b']);
    expect([a.isOpen, b.isOpen]).toEqual([false, false]);
    await expect(a.write(Uint8Array.of(1))).rejects.toBeInstanceOf(SerialClosedError);
  });

  it('reports a missing serialport module as ERR_SERIAL_UNAVAILABLE, keeping the cause', async () => {
    const missing = new Error("Cannot find package 'serialport'");
    const err = await openSerialPort('/dev/ttyUSB0', { baudRate: 9600 }, { load: () => Promise.reject(missing) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerialUnavailableError);
    expect(err).toMatchObject({ code: 'ERR_SERIAL_UNAVAILABLE', cause: missing });
  });

  it('reports a port that cannot be opened as ERR_SERIAL_OPEN', async () => {
    const err = await openSerialPort('/dev/edgeplane-no-such-tty', { baudRate: 9600 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerialOpenError);
    expect(err).toMatchObject({ code: 'ERR_SERIAL_OPEN', path: '/dev/edgeplane-no-such-tty' });
  });
});
