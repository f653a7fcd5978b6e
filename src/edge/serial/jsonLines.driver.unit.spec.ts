import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelInfo } from '../driver.js';
import { ChannelNotWritableError, JsonLinesTimeoutError, SerialDriverConfigError, UnknownChannelError } from './errors.js';
import { openJsonLinesDriver } from './jsonLines.driver.js';
import { startJsonLinesSim } from './jsonLines.sim.js';
import { createSerialPair } from './serialPort.js';
import type { ValueSource } from './simValues.js';

const CHANNELS: ChannelInfo[] = [
  { name: 'temperature', role: 'sensor', type: 'temperature', unit: '°C' },
  { name: 'relay', role: 'actuator', type: 'relay', unit: '' },
  { name: 'mode', role: 'actuator', type: 'mode', unit: '' },
];
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const rising: ValueSource = (channel, _device, nowMs) => (channel.name === 'temperature' ? 20 + nowMs / 1000 : undefined);

async function device(driverOptions: unknown = {}) {
  let now = 0;
  const [host, dev] = createSerialPair();
  const sim = startJsonLinesSim(dev, { channels: CHANNELS, initial: { mode: 'eco' }, source: rising, now: () => now, device: { model: 'th-1' } });
  closers.push(() => sim.close());
  const driver = await openJsonLinesDriver(host, driverOptions);
  closers.push(() => driver.close());
  return { driver, sim, advance: (ms: number) => (now += ms) };
}

describe('JSON-lines driver', () => {
  it('learns its channels from hello', async () => {
    const { driver, sim } = await device();
    expect(driver.driver).toBe('jsonlines');
    expect(driver.channels).toEqual(CHANNELS);
    expect(driver.device).toEqual({ model: 'th-1' });
    expect(sim.stats.requests).toBe(1);
  });

  it('uses channels from its options without asking', async () => {
    const { driver, sim } = await device({ channels: CHANNELS.slice(0, 2) });
    expect(driver.channels.map((c) => c.name)).toEqual(['temperature', 'relay']);
    expect(sim.stats.requests).toBe(0);
    expect((await driver.read()).map((r) => r.channel)).toEqual(['temperature', 'relay']);
  });

  it('reads every channel, sensors following the device', async () => {
    const { driver, advance } = await device();
    expect(await driver.read()).toEqual([
      { channel: 'temperature', value: 20 },
      { channel: 'relay', value: true },
      { channel: 'mode', value: 'eco' },
    ]);
    advance(1500);
    expect((await driver.read())[0]).toEqual({ channel: 'temperature', value: 21.5 });
  });

  it('writes an actuator and returns the value the device reports', async () => {
    const { driver, sim } = await device();
    expect(await driver.write('relay', false)).toBe(false);
    expect(await driver.write('mode', 'boost')).toBe('boost');
    expect(sim.values.get('mode')).toBe('boost');
  });

  it('refuses writes to sensors and unknown channels without asking the device', async () => {
    const { driver, sim } = await device();
    const before = sim.stats.requests;
    await expect(driver.write('temperature', 3)).rejects.toBeInstanceOf(ChannelNotWritableError);
    await expect(driver.write('fan', true)).rejects.toBeInstanceOf(UnknownChannelError);
    expect(sim.stats.requests).toBe(before);
  });

  it('fails to open when the device never answers hello', async () => {
    const [host] = createSerialPair();
    await expect(openJsonLinesDriver(host, { timeoutMs: 20 })).rejects.toBeInstanceOf(JsonLinesTimeoutError);
  });

  it('refuses bad options', async () => {
    const [host] = createSerialPair();
    await expect(openJsonLinesDriver(host, { timeoutMs: 0 })).rejects.toBeInstanceOf(SerialDriverConfigError);
    await expect(openJsonLinesDriver(host, { channels: [{ name: 'x', role: 'both', type: 't', unit: '' }] })).rejects.toMatchObject({ code: 'ERR_SERIAL_DRIVER_CONFIG' });
  });
});
