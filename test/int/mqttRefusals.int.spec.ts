import { spawn } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { resolveConfig } from '../../src/config.js';
import { startControlPlane, type ControlPlane } from '../../src/main.js';
import { BRIDGE_DURABLE, MQTT_MSGS_STREAM, mqttServerConfig, type MqttDevice } from '../../src/mqtt/index.js';
import { createLogger } from '../../src/shared/logger.js';
import { createCommandBus, type CommandBus } from '../../src/transport/commandBus.js';
import { connectNats } from '../../src/transport/natsConnection.js';
import { freePort } from '../../src/transport/natsServer.js';
import { eventually, setupNats, tempDir, type TestNats } from '../helpers/nats.js';

const PLUG1: MqttDevice = { user: 'plug-1', password: 'pw-plug-1', topic: 'daemons/plug-1' };
const PLUG2: MqttDevice = { user: 'plug-2', password: 'pw-plug-2', topic: 'daemons/plug-2' };
const CP = { user: 'edgeplane', password: 'cp-pw' };
const T0 = Date.UTC(2026, 0, 5, 10);
const at = (k: number) => new Date(T0 + k * 10_000).toISOString();

/** Runs a mosquitto client to the end: its exit code and everything it printed. */
function mosquitto(bin: 'mosquitto_pub' | 'mosquitto_sub', args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(bin, ['-d', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.once('close', (code) => r({ code, out })));
}

/**
 * A device speaking MQTT packets itself, so it can retransmit a PUBLISH with the same packet id
 * and the DUP flag exactly as a client does when its PUBACK was lost.
 */
async function rawDevice(port: number, d: MqttDevice) {
  const sock = tcpConnect(port, '127.0.0.1');
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const got: Packet[] = [];
  parser.on('packet', (p) => got.push(p));
  sock.on('data', (b) => parser.parse(b));
  const send = (p: Parameters<typeof mqttPacket.generate>[0]) => sock.write(mqttPacket.generate(p));
  send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `${d.user}-raw`, keepalive: 30, username: d.user, password: Buffer.from(d.password) });
  await eventually(() => expect(got.some((p) => p.cmd === 'connack' && p.returnCode === 0)).toBe(true));
  return {
    publish(topic: string, payload: string, messageId: number, dup: boolean) {
      send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, messageId, dup, retain: false });
    },
    pubacks: (messageId: number) => got.filter((p) => p.cmd === 'puback' && p.messageId === messageId).length,
    close: () => sock.destroy(),
  };
}

describe('what MQTT devices cannot do: refused by nats-server or dropped by the bridge with a counter, nothing stored, the bridge healthy', () => {
  let nats: TestNats;
  let dir: ReturnType<typeof tempDir>;
  let cp: ControlPlane;
  let nc: NatsConnection;
  let bus: CommandBus;
  let port: number;
  let plug1: MqttClient;
  const auth = (d: { user: string; password: string }) => ['-h', '127.0.0.1', '-p', String(port), '-u', d.user, '-P', d.password];
  const recorded = async (id: string) => (await cp.store.readStream(`daemon-${id}`).catch(() => [])).filter((e) => e.type === 'PowerRecorded');

  beforeAll(async () => {
    port = await freePort();
    nats = await setupNats(mqttServerConfig({ port, host: '127.0.0.1', serverName: 'ep-mqtt-refusals', devices: [PLUG1, PLUG2], controlPlane: CP, noAuthControlPlane: true }));
    dir = tempDir('ep-mqtt-');
    const config = resolveConfig({ httpPort: null, dataDir: dir.path, natsUrl: nats.url, heartbeatTimeoutMs: 600_000, mqtt: { port } }, {});
    cp = await startControlPlane(config, builtinDeciders, createLogger({ level: 'silent' }));
    nc = await connectNats({ servers: nats.url, name: 'mqtt-refusals' });
    bus = createCommandBus(nc, { partitions: config.partitions });
    for (const plug of ['plug-1', 'plug-2']) expect(await bus.send('daemon', plug, { type: 'RegisterDaemon', data: { owner: 'u1' } })).toMatchObject({ ok: true });
    await eventually(() => expect(cp.mqtt).toBeDefined(), { timeoutMs: 15_000 });
    plug1 = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: PLUG1.user, password: PLUG1.password, clientId: 'plug-1', protocolVersion: 4, reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await plug1?.endAsync(true).catch(() => undefined);
    bus?.close();
    await nc?.close();
    await cp?.stop();
    await nats?.cleanup();
    dir?.cleanup();
  });

  it('malformed payloads, unknown topics and oversized messages are dropped and counted by reason; a good reading after them is stored', async () => {
    const before = cp.mqtt!.stats();
    const bad: Array<[string, string | Buffer]> = [
      ['daemons/plug-1/power', '{"watts": '],
      ['daemons/plug-1/power', '{"watts": "lots", "at": "2026-01-05T10:00:00Z"}'],
      ['daemons/plug-1/power', Buffer.from([0xc3, 0x28])],
      ['daemons/plug-1/power', ''],
      ['daemons/plug-1/state', 'maybe'],
      ['daemons/plug-1/status', 'sleeping'],
      ['daemons/plug-1/colour', 'red'],
      ['daemons/plug-1/power/extra', '5'],
      ['daemons/plug-1/power', JSON.stringify({ watts: 5, at: at(1), padding: 'x'.repeat(20_000) })],
    ];
    for (const [topic, payload] of bad) await plug1.publishAsync(topic, payload, { qos: 1 });
    await plug1.publishAsync('daemons/plug-1/power', JSON.stringify({ watts: 42, at: at(2) }), { qos: 1 });

    await eventually(async () => expect((await recorded('plug-1')).map((e) => e.data)).toEqual([{ watts: 42, at: at(2) }]));
    const after = cp.mqtt!.stats();
    expect(after.received.qos1 - before.received.qos1).toBe(bad.length + 1);
    expect(after.dropped).toEqual({ ERR_MQTT_BAD_PAYLOAD: 6, ERR_MQTT_UNKNOWN_TOPIC: 2, ERR_MQTT_PAYLOAD_TOO_LARGE: 1 });
    expect(after.commands - before.commands).toBe(1);
    expect(after.publishFailures).toBe(0);
    // Nothing of the refused ones reached the store in any form.
    const all = await cp.store.readStream('daemon-plug-1');
    expect(all.map((e) => e.type)).toEqual(['DaemonRegistered', 'PowerRecorded']);
  });

  it('a message over the server’s max_payload (which nats-server 2.9 still takes over MQTT, and PUBACKs) is dropped by the bridge and counted', async () => {
    const before = cp.mqtt!.stats().dropped.ERR_MQTT_PAYLOAD_TOO_LARGE ?? 0;
    await plug1.publishAsync('daemons/plug-1/power', Buffer.alloc(2 * 1024 * 1024, 0x31), { qos: 1 });
    await eventually(() => expect(cp.mqtt!.stats().dropped.ERR_MQTT_PAYLOAD_TOO_LARGE).toBe(before + 1));
    expect((await recorded('plug-1')).length).toBe(1);
  });

  it('a device publishing as another device is refused by nats-server (nothing reaches the bridge or the store), and may not subscribe to its commands', async () => {
    const before = cp.mqtt!.stats();
    const seen: string[] = [];
    const spy = nc.subscribe('daemons.plug-2.>', { callback: (_e, m) => seen.push(m.subject) });
    // The mqtt npm client: nats-server 2.9 still sends PUBACK (MQTT 3.1.1 has no way to refuse a
    // PUBLISH) but drops the message for the permission violation.
    await plug1.publishAsync('daemons/plug-2/power', JSON.stringify({ watts: 999, at: at(3) }), { qos: 1 });
    const pub = await mosquitto('mosquitto_pub', [...auth(PLUG1), '-i', 'plug-1-x', '-t', 'daemons/plug-2/status', '-q', '1', '-m', 'offline']);
    expect(pub.code).toBe(0);
    const sub = await mosquitto('mosquitto_sub', [...auth(PLUG1), '-i', 'plug-1-spy', '-t', 'daemons/plug-2/set', '-q', '1', '-W', '2']);
    expect(sub.out).toMatch(/denied|failure|128/i);
    await new Promise((r) => setTimeout(r, 500));
    spy.unsubscribe();
    expect(seen).toEqual([]);
    expect(await recorded('plug-2')).toEqual([]);
    expect((await cp.store.readStream('daemon-plug-2')).map((e) => e.type)).toEqual(['DaemonRegistered']);
    expect(cp.mqtt!.stats().received).toEqual(before.received);
  });

  it('wrong passwords, no credentials and the control plane’s own user are refused at CONNECT', async () => {
    const wrong = await mosquitto('mosquitto_pub', [...auth({ user: 'plug-1', password: 'guess' }), '-i', 'x1', '-t', 'daemons/plug-1/power', '-q', '1', '-m', '1']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toMatch(/not authori[sz]ed|refused/i);
    const anonymous = await mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-i', 'x2', '-t', 'daemons/plug-1/power', '-q', '1', '-m', '1']);
    expect(anonymous.code).not.toBe(0);
    const controlPlane = await mosquitto('mosquitto_pub', [...auth(CP), '-i', 'x3', '-t', 'daemons/plug-1/power', '-q', '1', '-m', '1']);
    expect(controlPlane.code).not.toBe(0);
    expect((await recorded('plug-1')).length).toBe(1);
  });

  it('the bridge makes its consumer again when someone deletes it, and goes on', async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.delete(MQTT_MSGS_STREAM, BRIDGE_DURABLE);
    await eventually(async () => expect((await jsm.consumers.info(MQTT_MSGS_STREAM, BRIDGE_DURABLE)).config.filter_subject).toBe('$MQTT.msgs.>'), { timeoutMs: 10_000 });
    await plug1.publishAsync('daemons/plug-1/power', JSON.stringify({ watts: 43, at: at(4) }), { qos: 1 });
    await eventually(async () => expect((await recorded('plug-1')).map((e) => e.data)).toContainEqual({ watts: 43, at: at(4) }), { timeoutMs: 10_000 });
  });

  it('a QoS 1 retransmission (same packet id, DUP) of a reading with its time is stored once', async () => {
    const raw = await rawDevice(port, PLUG1);
    const payload = JSON.stringify({ watts: 7, at: at(10) });
    raw.publish('daemons/plug-1/power', payload, 11, false);
    raw.publish('daemons/plug-1/power', payload, 11, true);
    await eventually(() => expect(raw.pubacks(11)).toBe(2));
    await eventually(async () => expect((await recorded('plug-1')).filter((e) => (e.data as { at: string }).at === at(10))).toHaveLength(1));
    await eventually(() => expect(cp.mqtt!.stats().duplicates).toBeGreaterThanOrEqual(1));
    raw.close();
  });

  it('without a time in the payload a retransmission cannot be told apart (nats-server passes on neither the packet id nor DUP): it is recorded twice', async () => {
    const raw = await rawDevice(port, PLUG2);
    raw.publish('daemons/plug-2/power', '123.5', 12, false);
    await eventually(() => expect(raw.pubacks(12)).toBe(1));
    await new Promise((r) => setTimeout(r, 20));
    raw.publish('daemons/plug-2/power', '123.5', 12, true);
    await eventually(async () => expect((await recorded('plug-2')).map((e) => (e.data as { watts: number }).watts)).toEqual([123.5, 123.5]));
    raw.close();
  });
});
