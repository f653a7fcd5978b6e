import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_DURABLE, MQTT_MSGS_STREAM, mqttServerConfig, type MqttDevice } from '../../src/mqtt/index.js';
import { createCommandBus, type CommandBus } from '../../src/transport/commandBus.js';
import { connectNats } from '../../src/transport/natsConnection.js';
import { freePort } from '../../src/transport/natsServer.js';
import { spawnControlPlane, type ControlPlaneProcess } from '../helpers/controlPlaneProcess.js';
import { eventually, setupNats, tempDir, type TestNats } from '../helpers/nats.js';

const PLUGS = 10;
const PER_PLUG = 1000;
const TOTAL = PLUGS * PER_PLUG;
const KILL_AFTER = 3000;
const T0 = Date.UTC(2026, 0, 5, 0);
const DEVICES: MqttDevice[] = Array.from({ length: PLUGS }, (_, i) => ({ user: `plug-${i}`, password: `pw-${i}`, topic: `daemons/plug-${i}` }));

describe('10,000 QoS 1 readings while the control plane is killed (-9) and restarted: every PUBACKed reading stored exactly once', () => {
  let nats: TestNats;
  let dir: ReturnType<typeof tempDir>;
  let nc: NatsConnection;
  let bus: CommandBus;
  let port: number;
  let cp: ControlPlaneProcess | undefined;
  const clients: MqttClient[] = [];
  const start = () => spawnControlPlane({ dataDir: dir.path, natsUrl: nats.url, args: ['--mqtt', String(port), '--heartbeat-timeout-ms', '600000'] });
  const bridgeStarted = (p: ControlPlaneProcess) => eventually(() => expect(readFileSync(p.logFile, 'utf8')).toContain('MQTT bridge started'), { timeoutMs: 20_000 });

  beforeAll(async () => {
    port = await freePort();
    nats = await setupNats(mqttServerConfig({ port, host: '127.0.0.1', serverName: 'ep-mqtt-e2e', devices: DEVICES, controlPlane: { user: 'edgeplane', password: 'cp-pw' }, noAuthControlPlane: true }));
    dir = tempDir('ep-mqtt-e2e-');
    nc = await connectNats({ servers: nats.url, name: 'mqtt-e2e' });
    bus = createCommandBus(nc);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await cp?.stop();
    bus?.close();
    await nc?.close();
    await nats?.cleanup();
    dir?.cleanup();
  });

  it('the readings PUBACKed while the control plane was dead are stored after it restarts; none twice', async () => {
    cp = await start();
    await bridgeStarted(cp);
    for (const d of DEVICES) expect(await bus.send('daemon', d.user, { type: 'RegisterDaemon', data: { owner: 'u1' } })).toMatchObject({ ok: true });
    for (const d of DEVICES) {
      clients.push(await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: d.user, password: d.password, clientId: d.user, protocolVersion: 4, clean: true, reconnectPeriod: 0 }));
    }

    const acked = new Set<string>(); // `${plug}@${at}` of every PUBACKed reading
    let killed: Promise<void> | undefined;
    // Counted from the signal: SIGKILL ends the process at once, its exit event comes later (on
    // a loaded machine, after the remaining readings may all have been acknowledged).
    let ackedAtKill = 0;
    const plug = async (i: number) => {
      const client = clients[i]!;
      const inFlight = new Set<Promise<void>>();
      for (let k = 0; k < PER_PLUG; k++) {
        const at = new Date(T0 + k * 10_000).toISOString();
        const p = client.publishAsync(`daemons/plug-${i}/power`, JSON.stringify({ watts: k % 3000, at }), { qos: 1 }).then(() => {
          acked.add(`plug-${i}@${at}`);
          if (acked.size === KILL_AFTER && !killed) {
            ackedAtKill = acked.size;
            killed = cp!.kill9();
          }
        });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        if (inFlight.size >= 50) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    };
    const publishing = Promise.all(DEVICES.map((_, i) => plug(i)));
    await eventually(() => expect(killed).toBeDefined(), { timeoutMs: 30_000 });
    await killed;
    await new Promise((r) => setTimeout(r, 1000));
    // Devices kept publishing while no control plane ran, and the broker kept acknowledging.
    const ackedWhileDead = acked.size - ackedAtKill;
    cp = await start();
    await bridgeStarted(cp);
    await publishing;
    expect(acked.size).toBe(TOTAL);
    expect(ackedWhileDead).toBeGreaterThan(0);

    const db = new Database(join(dir.path, 'events.db'), { readonly: true });
    const rows = () =>
      db.prepare("SELECT stream, json_extract(data, '$.at') AS at FROM events WHERE type = 'PowerRecorded'").all() as Array<{ stream: string; at: string }>;
    await eventually(() => expect(rows().length).toBeGreaterThanOrEqual(TOTAL), { timeoutMs: 45_000, intervalMs: 250 });
    const stored = rows().map((r) => `${r.stream.slice('daemon-'.length)}@${r.at}`);
    db.close();
    expect(stored.length).toBe(TOTAL);
    expect(new Set(stored).size).toBe(TOTAL);
    expect(new Set(stored)).toEqual(acked);

    // Everything taken from the broker was acknowledged there: nothing left for a third start.
    const jsm = await nc.jetstreamManager();
    await eventually(async () => expect((await jsm.consumers.info(MQTT_MSGS_STREAM, BRIDGE_DURABLE)).num_pending + (await jsm.consumers.info(MQTT_MSGS_STREAM, BRIDGE_DURABLE)).num_ack_pending).toBe(0));
  });
});
