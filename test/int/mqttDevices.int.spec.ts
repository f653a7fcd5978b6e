import { spawn, type ChildProcess } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { resolveConfig } from '../../src/config.js';
import type { RecordedEvent } from '../../src/eventstore/eventStore.js';
import { startControlPlane, type ControlPlane } from '../../src/main.js';
import { mqttServerConfig, type MqttDevice } from '../../src/mqtt/index.js';
import { energyReport } from '../../src/projections/index.js';
import { createLogger } from '../../src/shared/logger.js';
import { createCommandBus, type CommandBus } from '../../src/transport/commandBus.js';
import { connectNats } from '../../src/transport/natsConnection.js';
import { freePort } from '../../src/transport/natsServer.js';
import { eventually, setupNats, tempDir, type TestNats } from '../helpers/nats.js';

/**
 * Devices as their users run them, with clients nobody here wrote: Debian's mosquitto_pub /
 * mosquitto_sub and the mqtt npm client, each logging in with its own credentials to
 * nats-server's MQTT listener, with the control plane (and its bridge) in this process.
 */
const DEVICES: MqttDevice[] = [
  { user: 'plug-1', password: 'pw-plug-1', topic: 'daemons/plug-1' },
  { user: 'plug-2', password: 'pw-plug-2', topic: 'daemons/plug-2' },
  { user: 'plug-3', password: 'pw-plug-3', topic: 'daemons/plug-3' },
  { user: 'ecp-n2', password: 'pw-n2', topic: 'nodes/n2' },
];
const KEEPALIVE_S = 5; // mosquitto_sub's smallest
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5, 10);

type Reply = { ok: boolean; error?: { code: string } };

/** A mosquitto client with its output line-buffered (through a pipe it would be block-buffered); `exited` waits for 'close', which comes after the last output, not 'exit', which can come before it. */
function mosquitto(bin: 'mosquitto_pub' | 'mosquitto_sub', args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn('stdbuf', ['-oL', bin, '-d', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, out: () => out, exited };
}

describe('MQTT devices through nats-server: real clients, per-device credentials, the bridge', () => {
  let nats: TestNats;
  let dir: ReturnType<typeof tempDir>;
  let cp: ControlPlane;
  let nc: NatsConnection;
  let bus: CommandBus;
  let mqttPort: number;
  const clients: MqttClient[] = [];
  const auth = (d: MqttDevice) => ['-h', '127.0.0.1', '-p', String(mqttPort), '-u', d.user, '-P', d.password];
  const events = async (kind: string, id: string, type?: string): Promise<RecordedEvent[]> =>
    (await cp.store.readStream(`${kind}-${id}`).catch(() => [])).filter((e) => type === undefined || e.type === type);
  const ok = async (kind: string, id: string, type: string, data: Record<string, unknown>, cmdId?: string) => {
    const r = await bus.send<Reply>(kind, id, { type, data, ...(cmdId ? { id: cmdId } : {}) });
    expect(r, JSON.stringify(r.error)).toMatchObject({ ok: true });
  };
  const connectDevice = async (d: MqttDevice, clientId: string) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: d.user, password: d.password, clientId, protocolVersion: 4, clean: true, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    mqttPort = await freePort();
    nats = await setupNats(
      mqttServerConfig({ port: mqttPort, host: '127.0.0.1', serverName: 'ep-mqtt-test', devices: DEVICES, controlPlane: { user: 'edgeplane', password: 'cp-pw' }, noAuthControlPlane: true }),
    );
    dir = tempDir('ep-mqtt-');
    const config = resolveConfig({ httpPort: null, dataDir: dir.path, natsUrl: nats.url, heartbeatTimeoutMs: 600_000, mqtt: { port: mqttPort } }, {});
    cp = await startControlPlane(config, builtinDeciders, createLogger({ level: 'silent' }));
    nc = await connectNats({ servers: nats.url, name: 'mqtt-test' });
    bus = createCommandBus(nc, { partitions: config.partitions });
    for (const plug of ['plug-1', 'plug-2', 'plug-3']) await ok('daemon', plug, 'RegisterDaemon', { owner: 'u1' });
    await ok('node', 'n2', 'RegisterNode', { serial: 'SN-2', name: 'hall', description: '', hardware: { devices: [{ id: 'light', bus: 'gpio', address: 4, driver: 'gpio', role: 'actuator' }] } });
    await ok('sensor', 'n2', 'AttachSensor', { role: 'actuator', type: 'light', unit: '', parent: 'node/n2' });
    await eventually(() => expect(cp.mqtt).toBeDefined(), { timeoutMs: 15_000 });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    bus?.close();
    await nc?.close();
    await cp?.stop();
    await nats?.cleanup();
    dir?.cleanup();
  });

  it('a plug’s power readings become events and kWh: mosquitto_pub (QoS 1) for one plug, the mqtt npm client for another', async () => {
    // plug-1: 1,000 W every 10 s for an hour, JSON with the reading's time, one mosquitto_pub process.
    const lines = Array.from({ length: 361 }, (_, k) => JSON.stringify({ watts: 1000, at: new Date(T0 + k * 10_000).toISOString() }));
    const pub = mosquitto('mosquitto_pub', [...auth(DEVICES[0]!), '-i', 'plug-1', '-t', 'daemons/plug-1/power', '-q', '1', '-l']);
    pub.child.stdin!.end(`${lines.join('\n')}\n`);
    expect(await pub.exited, pub.out()).toBe(0);
    expect(pub.out().match(/received PUBACK/g)).toHaveLength(361);

    // plug-2: 2,000 W for half an hour, Paddy-style Unix seconds, through the mqtt npm client.
    const c = await connectDevice(DEVICES[1]!, 'plug-2');
    for (let k = 0; k <= 180; k++) await c.publishAsync('daemons/plug-2/power', JSON.stringify({ watts: 2000, at: (T0 + k * 10_000) / 1000 }), { qos: 1 });

    await eventually(async () => {
      expect(await events('daemon', 'plug-1', 'PowerRecorded')).toHaveLength(361);
      expect(await events('daemon', 'plug-2', 'PowerRecorded')).toHaveLength(181);
    }, { timeoutMs: 20_000 });
    await eventually(() => {
      expect(energyReport(cp.readModels, 'plug-1', 'hour')).toMatchObject({ buckets: [{ start: T0, end: T0 + HOUR, kwh: 1 }], totalKwh: 1 });
      expect(energyReport(cp.readModels, 'plug-2', 'hour').totalKwh).toBeCloseTo(1, 12);
    }, { timeoutMs: 20_000 });
    const first = (await events('daemon', 'plug-1', 'PowerRecorded'))[0]!;
    expect(first.data).toEqual({ watts: 1000, at: new Date(T0).toISOString() });
    expect(cp.mqtt!.stats()).toMatchObject({ received: { qos1: expect.any(Number) }, publishFailures: 0 });
    expect(cp.mqtt!.stats().dropped).toEqual({});
  });

  it('SwitchPower reaches the plug’s command topic (mosquitto_sub, QoS 1) and its confirmation closes the loop', async () => {
    const sub = mosquitto('mosquitto_sub', [...auth(DEVICES[0]!), '-i', 'plug-1-cmd', '-t', 'daemons/plug-1/set', '-q', '1', '-C', '1']);
    await eventually(() => expect(sub.out()).toContain('received SUBACK'));
    const requestId = `switch-${Date.now()}`;
    await ok('daemon', 'plug-1', 'SwitchPower', { on: true }, requestId);
    await eventually(() => expect(sub.out()).toContain(`"requestId":"${requestId}"`));
    expect(await sub.exited).toBe(0);
    const line = sub.out().split('\n').find((l) => l.startsWith('{'))!;
    expect(JSON.parse(line)).toMatchObject({ on: true, requestId });
    expect(sub.out()).toMatch(/received PUBLISH \(d0, q1/);

    const pub = mosquitto('mosquitto_pub', [...auth(DEVICES[0]!), '-i', 'plug-1', '-t', 'daemons/plug-1/state', '-q', '1', '-m', 'on']);
    expect(await pub.exited).toBe(0);
    await eventually(async () => {
      const confirmed = await events('daemon', 'plug-1', 'PowerConfirmed');
      expect(confirmed.map((e) => e.data)).toContainEqual(expect.objectContaining({ on: true, requestId }));
    });
    // The event is readable from the file as soon as the writer thread commits; the actor takes
    // the new state a moment later, when the commit's answer reaches its thread.
    await eventually(async () => {
      const { state } = await cp.host.inspect('daemon', 'plug-1');
      expect(state).toMatchObject({ on: true, desired: { requestId, status: 'confirmed' } });
    });
  });

  it('SetValue on an ECP node’s actuator reaches nodes/<id>/set (mqtt npm client) and the value it reports confirms it', async () => {
    const node = await connectDevice(DEVICES[3]!, 'ecp-n2');
    node.on('message', (_topic, payload) => {
      const { value } = JSON.parse(payload.toString()) as { value: number };
      void node.publishAsync('nodes/n2/state', String(value), { qos: 1 });
    });
    await node.subscribeAsync('nodes/n2/set', { qos: 1 });
    const requestId = `light-${Date.now()}`;
    await ok('sensor', 'n2', 'SetValue', { value: 1 }, requestId);
    await eventually(async () => {
      const { state } = await cp.host.inspect('sensor', 'n2');
      expect(state).toMatchObject({ reported: { value: 1 }, desired: { requestId, status: 'confirmed' } });
    });
  });

  it('kill -9 of a subscribed mosquitto_sub with a will marks the device offline within the keepalive bound (QoS 1 and QoS 0 wills); a clean disconnect does not', async () => {
    const reason = 'MQTT status offline (will or the device itself)';
    // Births: the devices say they are online.
    for (const [d, topic] of [[DEVICES[1]!, 'daemons/plug-2/status'], [DEVICES[2]!, 'daemons/plug-3/status'], [DEVICES[3]!, 'nodes/n2/status']] as const) {
      const birth = mosquitto('mosquitto_pub', [...auth(d), '-i', `${d.user}-birth`, '-t', topic, '-q', '1', '-m', 'online']);
      expect(await birth.exited).toBe(0);
    }
    await eventually(async () => {
      expect(await events('daemon', 'plug-2', 'DaemonWentOnline')).toHaveLength(1);
      expect(await events('daemon', 'plug-3', 'DaemonWentOnline')).toHaveLength(1);
      expect(await events('node', 'n2', 'NodeWentOnline')).toHaveLength(1);
    });

    const withWill = (d: MqttDevice, topic: string, qos: string) =>
      mosquitto('mosquitto_sub', [...auth(d), '-i', `${d.user}-live`, '-k', String(KEEPALIVE_S), '--will-topic', topic, '--will-payload', 'offline', '--will-qos', qos, '-t', `${d.topic}/set`, '-q', '1']);
    const plug2 = withWill(DEVICES[1]!, 'daemons/plug-2/status', '1');
    const node2 = withWill(DEVICES[3]!, 'nodes/n2/status', '0');
    const plug3 = withWill(DEVICES[2]!, 'daemons/plug-3/status', '1');
    await eventually(() => [plug2, node2, plug3].forEach((s) => expect(s.out()).toContain('received SUBACK')));

    const killedAt = Date.now();
    plug2.child.kill('SIGKILL');
    node2.child.kill('SIGKILL');
    plug3.child.kill('SIGTERM'); // mosquitto_sub sends DISCONNECT: no will
    await Promise.all([plug2.exited, node2.exited, plug3.exited]);
    expect(plug3.out()).toContain('sending DISCONNECT');

    const bound = 1.5 * KEEPALIVE_S * 1000;
    await eventually(
      async () => {
        expect((await events('daemon', 'plug-2', 'DaemonWentOffline')).map((e) => e.data)).toEqual([expect.objectContaining({ reason })]);
        expect((await events('node', 'n2', 'NodeWentOffline')).map((e) => e.data)).toEqual([expect.objectContaining({ reason })]);
      },
      { timeoutMs: bound, intervalMs: 50 },
    );
    expect(Date.now() - killedAt).toBeLessThan(bound);
    // The clean one stays online past the bound.
    await new Promise((r) => setTimeout(r, bound - (Date.now() - killedAt) + 500));
    expect(await events('daemon', 'plug-3', 'DaemonWentOffline')).toEqual([]);
    expect(((await cp.host.inspect('daemon', 'plug-3')).state as { online: boolean }).online).toBe(true);
    expect(cp.mqtt!.stats().received.qos0).toBeGreaterThanOrEqual(1);
  });
});
