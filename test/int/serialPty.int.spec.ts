import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelInfo } from '../../src/edge/driver.js';
import {
  createModbusDriver,
  JsonLinesTimeoutError,
  ModbusExceptionError,
  ModbusTimeoutError,
  modbusSimOptionsFor,
  openJsonLinesDriver,
  openSerialPort,
  SMART_PLUG_REGISTERS,
  startJsonLinesSim,
  startModbusSim,
  type JsonLinesSim,
  type ModbusDriver,
  type ModbusSim,
  type SerialLink,
  type ValueSource,
} from '../../src/edge/serial/index.js';
import { socatPtyPair } from '../helpers/pty.js';

/**
 * The serial drivers over a real pseudo-terminal pair made by socat, with the real `serialport`
 * module on both ends: the driver on one, the protocol-level simulated device on the other.
 */
interface PtyPair {
  host: SerialLink;
  device: SerialLink;
  close(): Promise<void>;
}

async function ptyPair(): Promise<PtyPair> {
  const pair = await socatPtyPair();
  const links: SerialLink[] = [];
  const close = async (): Promise<void> => {
    for (const l of links) await l.close();
    await pair.close();
  };
  try {
    links.push(await openSerialPort(pair.paths[0], { baudRate: 9600 }));
    links.push(await openSerialPort(pair.paths[1], { baudRate: 9600 }));
  } catch (e) {
    await close();
    throw e;
  }
  return { host: links[0] as SerialLink, device: links[1] as SerialLink, close };
}

describe('Modbus RTU over a pty pair', () => {
  let pty: PtyPair;
  let sim: ModbusSim;
  let plug: ModbusDriver;
  const watts: ValueSource = (channel, device) => (channel.name === 'power' ? (device.outputs.get('relay') === false ? 0 : 61.5) : channel.name === 'energy' ? 1234 : undefined);

  beforeAll(async () => {
    pty = await ptyPair();
    sim = startModbusSim(pty.device, modbusSimOptionsFor(5, SMART_PLUG_REGISTERS, { source: watts }));
    // No retries, so a dropped reply surfaces; a timeout generous enough for socat on a busy machine
    // (the one test that expects a timeout just waits it out).
    plug = createModbusDriver(pty.host, { slaveId: 5, registers: SMART_PLUG_REGISTERS, timeoutMs: 2000, retries: 0 });
  });
  afterAll(async () => {
    await plug?.close();
    sim?.close();
    await pty?.close();
  });

  it('reads the plug', async () => {
    expect(await plug.read()).toEqual([
      { channel: 'power', value: 61.5 },
      { channel: 'relay', value: true },
      { channel: 'energy', value: 1234 },
    ]);
  });

  it('switches the relay and reads it back', async () => {
    expect(await plug.write('relay', false)).toBe(false);
    expect(sim.bank.get(1)).toBe(0);
    expect((await plug.read()).slice(0, 2)).toEqual([
      { channel: 'power', value: 0 },
      { channel: 'relay', value: false },
    ]);
    expect(await plug.write('relay', true)).toBe(true);
  });

  it('gets an exception for a register the device does not have', async () => {
    const missing = createModbusDriver(pty.host, { slaveId: 5, registers: [{ name: 'x', address: 40, role: 'sensor', type: 'voltage', unit: 'V' }], timeoutMs: 2000 });
    try {
      const err = await missing.read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModbusExceptionError);
      expect(err).toMatchObject({ exceptionCode: 2, exceptionName: 'ILLEGAL DATA ADDRESS' });
    } finally {
      await missing.close();
    }
  });

  it('times out when the device drops the reply, then recovers', async () => {
    sim.faults.dropReplies = 1;
    await expect(plug.read()).rejects.toBeInstanceOf(ModbusTimeoutError);
    expect((await plug.read())[0]).toEqual({ channel: 'power', value: 61.5 });
  });

  it('ignores an answer from another slave on the line', async () => {
    sim.faults.foreignReplies = 1;
    const before = plug.stats.foreignFrames;
    expect((await plug.read())[1]).toEqual({ channel: 'relay', value: true });
    expect(plug.stats.foreignFrames).toBe(before + 1);
  });
});

describe('JSON lines over a pty pair', () => {
  const channels: ChannelInfo[] = [
    { name: 'power', role: 'sensor', type: 'power', unit: 'W' },
    { name: 'relay', role: 'actuator', type: 'relay', unit: '' },
  ];
  let pty: PtyPair;
  let sim: JsonLinesSim;

  beforeAll(async () => {
    pty = await ptyPair();
    sim = startJsonLinesSim(pty.device, { channels, initial: { power: 12.5 }, device: { model: 'pty-plug' } });
  });
  afterAll(async () => {
    sim?.close();
    await pty?.close();
  });

  it('says hello, reads and writes', async () => {
    const driver = await openJsonLinesDriver(pty.host, { timeoutMs: 2000 });
    try {
      expect(driver.channels).toEqual(channels);
      expect(await driver.read()).toEqual([
        { channel: 'power', value: 12.5 },
        { channel: 'relay', value: true },
      ]);
      expect(await driver.write('relay', false)).toBe(false);
      expect(sim.values.get('relay')).toBe(false);
      expect((await driver.read())[1]).toEqual({ channel: 'relay', value: false });
    } finally {
      await driver.close();
    }
  });

  it('frames replies written in small pieces with noise lines in between, and times out on a dropped one', async () => {
    // Long enough for the chunked reply through socat on a busy machine; the dropped one waits it out.
    const driver = await openJsonLinesDriver(pty.host, { timeoutMs: 2000, channels });
    try {
      sim.faults.chunkBytes = 5;
      sim.faults.garbageLines = 1;
      expect((await driver.read())[0]).toEqual({ channel: 'power', value: 12.5 });
      sim.faults.chunkBytes = 0;
      sim.faults.dropReplies = 1;
      await expect(driver.read()).rejects.toBeInstanceOf(JsonLinesTimeoutError);
      expect(await driver.read()).toHaveLength(2);
    } finally {
      await driver.close();
    }
  });
});
