import { afterEach, describe, expect, it } from 'vitest';
import { ModbusCrcError, ModbusExceptionError, ModbusFrameError, ModbusRequestError, ModbusTimeoutError, SerialClosedError } from '../errors.js';
import { startModbusSim, type ModbusSim } from '../modbus.sim.js';
import { createSerialPair, type SerialLink } from '../serialPort.js';
import { readHoldingRegistersResponse, toHex } from './frames.js';
import { acquireRtuMaster, createRtuMaster, silenceFor, type RtuMaster } from './rtu.js';

const opened: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
});

function bus(registers: Array<[number, number]> = [[0, 100], [1, 200], [2, 300]]): { host: SerialLink; device: SerialLink; master: RtuMaster; sim: ModbusSim } {
  const [host, device] = createSerialPair({ baudRate: 19200 });
  const sim = startModbusSim(device, { slaveId: 7, registers });
  const master = createRtuMaster(host);
  opened.push(master, sim);
  return { host, device, master, sim };
}

/** A device end that answers each request with whatever `respond` writes, for byte-level misbehaviour. */
function scripted(device: SerialLink, respond: (request: Uint8Array) => Promise<void>): void {
  device.on('data', (chunk) => void respond(chunk));
}

const fast = { timeoutMs: 40, retries: 0 };

describe('Modbus RTU master', () => {
  it('reads holding registers and writes one, against a simulated slave', async () => {
    const { master, sim } = bus();
    expect(await master.readHoldingRegisters(7, 0, 3)).toEqual([100, 200, 300]);
    await master.writeSingleRegister(7, 1, 0xbeef);
    expect(sim.bank.get(1)).toBe(0xbeef);
    expect(await master.readHoldingRegisters(7, 1, 1)).toEqual([0xbeef]);
    expect(master.stats).toMatchObject({ requests: 3, retries: 0, timeouts: 0 });
  });

  it('turns an exception response into a typed error with the code name, without retrying', async () => {
    const { master, sim } = bus();
    const err = await master.readHoldingRegisters(7, 2, 5, { retries: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusExceptionError);
    expect(err).toMatchObject({ code: 'ERR_MODBUS_EXCEPTION', slave: 7, functionCode: 3, exceptionCode: 2, exceptionName: 'ILLEGAL DATA ADDRESS' });
    expect(sim.stats.requests).toBe(1);
  });

  it('times out when the slave stays silent', async () => {
    const { master, sim } = bus();
    sim.faults.dropReplies = 1;
    const started = performance.now();
    const err = await master.readHoldingRegisters(7, 0, 1, fast).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusTimeoutError);
    expect(err).toMatchObject({ code: 'ERR_MODBUS_TIMEOUT', slave: 7, timeoutMs: 40 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(39);
    expect(master.stats.timeouts).toBe(1);
  });

  it('retries after a timeout and succeeds when the slave answers again', async () => {
    const { master, sim } = bus();
    sim.faults.dropReplies = 2;
    expect(await master.readHoldingRegisters(7, 0, 2, { timeoutMs: 30, retries: 2 })).toEqual([100, 200]);
    expect(sim.stats.requests).toBe(3);
    expect(master.stats).toMatchObject({ retries: 2, timeouts: 2 });
  });

  it('gives up after the retries with the last error', async () => {
    const { master, sim } = bus();
    sim.faults.dropReplies = 3;
    await expect(master.readHoldingRegisters(7, 0, 1, { timeoutMs: 20, retries: 2 })).rejects.toBeInstanceOf(ModbusTimeoutError);
    expect(sim.stats.requests).toBe(3);
  });

  it('reports a CRC error, and recovers from one by retrying', async () => {
    const { master, sim } = bus();
    sim.faults.corruptCrc = 1;
    const err = await master.readHoldingRegisters(7, 0, 1, fast).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusCrcError);
    expect(err).toMatchObject({ code: 'ERR_MODBUS_CRC' });
    sim.faults.corruptCrc = 1;
    expect(await master.readHoldingRegisters(7, 0, 1, { timeoutMs: 40, retries: 1 })).toEqual([100]);
    expect(master.stats.crcErrors).toBe(2);
  });

  it('ignores a valid answer from another slave and takes its own', async () => {
    const { master, sim } = bus();
    sim.faults.foreignReplies = 1;
    expect(await master.readHoldingRegisters(7, 0, 3, fast)).toEqual([100, 200, 300]);
    expect(master.stats.foreignFrames).toBe(1);
  });

  it('times out when only another slave answers', async () => {
    const [host, device] = createSerialPair({ baudRate: 19200 });
    const master = createRtuMaster(host);
    opened.push(master);
    scripted(device, () => device.write(readHoldingRegistersResponse(8, [1])));
    await expect(master.readHoldingRegisters(7, 0, 1, fast)).rejects.toBeInstanceOf(ModbusTimeoutError);
    expect(master.stats.foreignFrames).toBe(1);
  });

  it('assembles a response that arrives a byte at a time', async () => {
    const [host, device] = createSerialPair({ baudRate: 19200 });
    const master = createRtuMaster(host);
    opened.push(master);
    scripted(device, async () => {
      for (const b of readHoldingRegistersResponse(7, [0x1234, 0x5678])) {
        await device.write(Uint8Array.of(b));
        await new Promise((r) => setImmediate(r));
      }
    });
    expect(await master.readHoldingRegisters(7, 0, 2, fast)).toEqual([0x1234, 0x5678]);
  });

  it('drops a frame cut short by silence as truncated, before the timeout', async () => {
    const [host, device] = createSerialPair({ baudRate: 19200 });
    const master = createRtuMaster(host);
    opened.push(master);
    scripted(device, () => device.write(readHoldingRegistersResponse(7, [1, 2, 3]).subarray(0, 6)));
    const started = performance.now();
    const err = await master.readHoldingRegisters(7, 0, 3, { timeoutMs: 500, retries: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusFrameError);
    expect((err as Error).message).toMatch(/truncated: 6 of 11 bytes/);
    expect(performance.now() - started).toBeLessThan(400);
  });

  it('refuses an answer with the wrong register count as a frame error', async () => {
    const [host, device] = createSerialPair({ baudRate: 19200 });
    const master = createRtuMaster(host);
    opened.push(master);
    scripted(device, () => device.write(readHoldingRegistersResponse(7, [1])));
    await expect(master.readHoldingRegisters(7, 0, 2, fast)).rejects.toBeInstanceOf(ModbusFrameError);
  });

  it('keeps t3.5 of silence between the last frame on the bus and its next request', async () => {
    const [host, device] = createSerialPair({ baudRate: 19200 });
    const master = createRtuMaster(host, { silenceMs: 15 });
    opened.push(master);
    const arrivals: number[] = [];
    let answeredAt = 0;
    scripted(device, async () => {
      arrivals.push(performance.now());
      await device.write(readHoldingRegistersResponse(7, [1]));
      answeredAt = performance.now();
    });
    await master.readHoldingRegisters(7, 0, 1, fast);
    const firstAnswer = answeredAt;
    await master.readHoldingRegisters(7, 0, 1, fast);
    expect((arrivals[1] as number) - firstAnswer).toBeGreaterThanOrEqual(14);
  });

  it('takes requests one at a time: two slaves sharing a link answer concurrent reads correctly', async () => {
    const [host, device] = createSerialPair({ baudRate: 19200 });
    const a = startModbusSim(device, { slaveId: 1, registers: [[0, 11]] });
    const b = startModbusSim(device, { slaveId: 2, registers: [[0, 22]] });
    const m1 = acquireRtuMaster(host);
    const m2 = acquireRtuMaster(host);
    opened.push(a, b, m1, m2);
    const results = await Promise.all([m1.readHoldingRegisters(1, 0, 1), m2.readHoldingRegisters(2, 0, 1), m1.readHoldingRegisters(1, 0, 1)]);
    expect(results).toEqual([[11], [22], [11]]);
    expect(m1.stats).toBe(m2.stats);
    expect([a.stats.ignoredForeign, b.stats.ignoredForeign]).toEqual([1, 2]);
  });

  it('refuses out-of-range requests before sending anything', async () => {
    const { master, sim } = bus();
    await expect(master.readHoldingRegisters(0, 0, 1)).rejects.toBeInstanceOf(ModbusRequestError);
    await expect(master.readHoldingRegisters(7, 0, 126)).rejects.toBeInstanceOf(ModbusRequestError);
    await expect(master.readHoldingRegisters(7, 65535, 2)).rejects.toBeInstanceOf(ModbusRequestError);
    await expect(master.writeSingleRegister(7, 0, 0x10000)).rejects.toBeInstanceOf(ModbusRequestError);
    await expect(master.writeSingleRegister(7, 0, -1)).rejects.toBeInstanceOf(ModbusRequestError);
    expect(sim.stats.requests).toBe(0);
  });

  it('fails a waiting request when the link closes, and later ones at once', async () => {
    const { host, master, sim } = bus();
    sim.faults.dropReplies = 1;
    const waiting = master.readHoldingRegisters(7, 0, 1, { timeoutMs: 5000, retries: 0 });
    await new Promise((r) => setTimeout(r, 5));
    await host.close();
    await expect(waiting).rejects.toBeInstanceOf(SerialClosedError);
    await expect(master.readHoldingRegisters(7, 0, 1)).rejects.toBeInstanceOf(SerialClosedError);
  });

  it('derives the inter-frame silence from the baud rate: 3.5 characters of 11 bits, at least 2 ms', () => {
    expect(silenceFor(9600)).toBeCloseTo(4.01, 2);
    expect(silenceFor(1200)).toBeCloseTo(32.08, 2);
    expect(silenceFor(115200)).toBe(2);
    expect(toHex(Uint8Array.of(1, 0xab))).toBe('01 AB');
  });
});
