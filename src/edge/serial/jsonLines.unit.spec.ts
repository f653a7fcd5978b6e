import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelInfo } from '../driver.js';
import { JsonLinesDeviceError, JsonLinesProtocolError, JsonLinesTimeoutError, SerialClosedError } from './errors.js';
import { createJsonLinesClient, decodeRequest, encodeLine, type JsonLinesClient } from './jsonLines.js';
import { startJsonLinesSim, type JsonLinesSim } from './jsonLines.sim.js';
import { createLineFramer } from './lineFramer.js';
import { createSerialPair, type SerialLink } from './serialPort.js';

const CHANNELS: ChannelInfo[] = [
  { name: 'power', role: 'sensor', type: 'power', unit: 'W' },
  { name: 'relay', role: 'actuator', type: 'relay', unit: '' },
];
const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

function withSim(timeoutMs = 200): { client: JsonLinesClient; sim: JsonLinesSim; host: SerialLink } {
  const [host, device] = createSerialPair();
  const sim = startJsonLinesSim(device, { channels: CHANNELS, initial: { power: 61.5 }, device: { model: 'plug-s1' } });
  const client = createJsonLinesClient(host, { timeoutMs });
  closers.push(() => client.close(), () => sim.close());
  return { client, sim, host };
}

/** A hand-driven device end: collects request lines and lets the test answer them. */
function manualDevice(device: SerialLink): { requests: Array<Record<string, unknown>>; say(line: string): Promise<void> } {
  const framer = createLineFramer();
  const requests: Array<Record<string, unknown>> = [];
  device.on('data', (c) => framer.push(c).forEach((l) => requests.push(JSON.parse(l) as Record<string, unknown>)));
  return { requests, say: (line) => device.write(Buffer.from(line)) };
}

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('JSON-lines client', () => {
  it('says hello, reads and writes against a simulated device', async () => {
    const { client, sim } = withSim();
    expect(await client.hello()).toEqual({ device: { model: 'plug-s1' }, channels: CHANNELS });
    expect(await client.read()).toEqual({ power: 61.5, relay: true });
    expect(await client.write('relay', false)).toEqual({ relay: false });
    expect(sim.values.get('relay')).toBe(false);
    expect(client.stats).toMatchObject({ sent: 3, answered: 3, garbage: 0, timeouts: 0 });
  });

  it('frames answers that arrive a few bytes at a time', async () => {
    const { client, sim } = withSim();
    sim.faults.chunkBytes = 3;
    expect(await client.read()).toEqual({ power: 61.5, relay: true });
  });

  it('counts and ignores garbage lines between answers', async () => {
    const { client, sim } = withSim();
    sim.faults.garbageLines = 2;
    expect(await client.read()).toEqual({ power: 61.5, relay: true });
    expect(client.stats.garbage).toBe(2);
  });

  it('matches answers to requests by id, in whatever order they come', async () => {
    const [host, device] = createSerialPair();
    const client = createJsonLinesClient(host, { timeoutMs: 500 });
    closers.push(() => client.close());
    const dev = manualDevice(device);
    const first = client.read();
    const second = client.write('relay', true);
    await tick();
    expect(dev.requests).toEqual([{ id: 1, op: 'read' }, { id: 2, op: 'write', channel: 'relay', value: true }]);
    await dev.say('{"id":2,"ok":true,"values":{"relay":true}}\n{"id":1,"ok":true,"values":{"power":1}}\n');
    expect(await first).toEqual({ power: 1 });
    expect(await second).toEqual({ relay: true });
  });

  it('times out a request nobody answers, and counts the late answer as unmatched', async () => {
    const { client, sim } = withSim(30);
    sim.faults.delayMs = 60;
    const err = await client.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JsonLinesTimeoutError);
    expect(err).toMatchObject({ code: 'ERR_JSONLINES_TIMEOUT', op: 'read', timeoutMs: 30 });
    await tick(60);
    expect(client.stats).toMatchObject({ timeouts: 1, unmatched: 1 });
  });

  it('turns ok:false into a device error carrying the device message', async () => {
    const { client } = withSim();
    const err = await client.write('power', 5).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JsonLinesDeviceError);
    expect((err as JsonLinesDeviceError).deviceMessage).toBe('channel power is read-only');
    await expect(client.write('relay', 1)).rejects.toThrow(/takes a boolean/);
    await expect(client.write('fan', true)).rejects.toThrow(/unknown channel "fan"/);
  });

  it('refuses answers that break the protocol', async () => {
    const [host, device] = createSerialPair();
    const client = createJsonLinesClient(host, { timeoutMs: 500 });
    closers.push(() => client.close());
    const dev = manualDevice(device);
    const read = client.read();
    const hello = client.hello();
    await tick();
    await dev.say('{"id":1,"ok":true,"values":{"power":{"nested":1}}}\n{"id":2,"ok":true,"channels":[{"name":"x"}]}\n');
    await expect(read).rejects.toBeInstanceOf(JsonLinesProtocolError);
    await expect(hello).rejects.toThrow(/channels\[0\] needs name, role/);
  });

  it('fails what is waiting when the link closes', async () => {
    const { client, sim, host } = withSim(5000);
    sim.faults.dropReplies = 1;
    const waiting = client.read();
    await tick();
    await host.close();
    await expect(waiting).rejects.toBeInstanceOf(SerialClosedError);
    await expect(client.read()).rejects.toBeInstanceOf(SerialClosedError);
  });

  it('reads requests as a device would, answering bad ones with an error', () => {
    expect(decodeRequest('{"id":4,"op":"read"}')).toEqual({ id: 4, op: 'read' });
    expect(decodeRequest('{"id":4,"op":"reboot"}')).toEqual({ id: 4, error: 'unknown op "reboot"' });
    expect(decodeRequest('{"id":4,"op":"write","channel":"relay"}')).toMatchObject({ id: 4, error: expect.stringMatching(/value/) });
    expect(decodeRequest('{"op":"read"}')).toBeUndefined();
    expect(decodeRequest('not json')).toBeUndefined();
    expect(Buffer.from(encodeLine({ id: 1, op: 'read' })).toString()).toBe('{"id":1,"op":"read"}\n');
  });

  it('a simulated device answers an unknown op with ok:false and skips unreadable lines', async () => {
    const [host, device] = createSerialPair();
    const sim = startJsonLinesSim(device, { channels: CHANNELS });
    closers.push(() => sim.close());
    const answers: string[] = [];
    const framer = createLineFramer();
    host.on('data', (c) => answers.push(...framer.push(c)));
    await host.write(Buffer.from('hello there\n{"id":9,"op":"reboot"}\n'));
    await tick();
    expect(answers).toEqual(['{"id":9,"ok":false,"error":"unknown op \\"reboot\\""}']);
    expect(sim.stats).toEqual({ requests: 1, unreadable: 1 });
  });
});
