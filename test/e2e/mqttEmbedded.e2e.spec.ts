import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttDevice } from '../../src/mqtt/index.js';
import { freePort } from '../../src/transport/natsServer.js';
import { CLI, spawnControlPlane, type ControlPlaneProcess } from '../helpers/controlPlaneProcess.js';
import { eventually, tempDir } from '../helpers/nats.js';

const PLUG: MqttDevice = { user: 'plug-1', password: 'pw-plug-1', topic: 'daemons/plug-1' };

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(cmd, args, { env: { ...process.env, EDGEPLANE_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.once('close', (code) => r({ code, out })));
}

describe('edgeplane start --mqtt <port> --mqtt-devices <file>: the embedded nats-server gets the listener and the device users', () => {
  let dir: ReturnType<typeof tempDir>;
  let cp: ControlPlaneProcess | undefined;
  let port: number;
  const pub = (user: string, password: string, message: string) =>
    run('mosquitto_pub', ['-d', '-h', '127.0.0.1', '-p', String(port), '-u', user, '-P', password, '-i', `${user}-pub`, '-t', 'daemons/plug-1/power', '-q', '1', '-m', message]);
  const readings = () => {
    const db = new Database(join(dir.path, 'events.db'), { readonly: true });
    try {
      return (db.prepare("SELECT data FROM events WHERE stream = 'daemon-plug-1' AND type = 'PowerRecorded' ORDER BY position").all() as Array<{ data: string }>).map((r) => JSON.parse(r.data) as unknown);
    } finally {
      db.close();
    }
  };
  const start = async () => {
    const p = await spawnControlPlane({ dataDir: dir.path, args: ['--mqtt', String(port), '--mqtt-devices', join(dir.path, 'devices.json')] });
    await eventually(() => expect(readFileSync(p.logFile, 'utf8')).toContain('MQTT bridge started'), { timeoutMs: 20_000 });
    return p;
  };

  beforeAll(async () => {
    dir = tempDir('ep-mqtt-embedded-');
    port = await freePort();
    writeFileSync(join(dir.path, 'devices.json'), JSON.stringify({ devices: [PLUG] }));
  });
  afterAll(async () => {
    await cp?.stop();
    dir?.cleanup();
  });

  it('a device with its credentials is stored, an anonymous one is refused, `edgeplane send` still works without credentials, across a restart', async () => {
    cp = await start();
    const register = await run(process.execPath, [CLI, 'send', 'daemon/plug-1', 'RegisterDaemon', '{"owner":"u1"}', '--data-dir', dir.path]);
    expect(register.code, register.out).toBe(0);

    expect((await pub(PLUG.user, PLUG.password, '{"watts": 10, "at": "2026-01-05T10:00:00Z"}')).code).toBe(0);
    const anonymous = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-i', 'anon', '-t', 'daemons/plug-1/power', '-q', '1', '-m', '99']);
    expect(anonymous.code).not.toBe(0);
    await eventually(() => expect(readings()).toEqual([{ watts: 10, at: '2026-01-05T10:00:00.000Z' }]));
    // The leader's /metrics carries the bridge's counters.
    const metrics = await (await fetch(`${cp.runtime.httpUrl}/metrics`)).text();
    const metric = (series: string) => Number(metrics.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1));
    expect(metric('edgeplane_mqtt_received_total{qos="1"}')).toBe(1);
    expect(metric('edgeplane_mqtt_commands_total')).toBe(1);
    expect(metric('edgeplane_mqtt_publish_failures_total')).toBe(0);

    // Restarted (its nats-server too): the same listener, the same users, the same durable consumer.
    await cp.stop();
    cp = await start();
    expect((await pub(PLUG.user, PLUG.password, '{"watts": 20, "at": "2026-01-05T10:00:10Z"}')).code).toBe(0);
    await eventually(() => expect(readings()).toEqual([{ watts: 10, at: '2026-01-05T10:00:00.000Z' }, { watts: 20, at: '2026-01-05T10:00:10.000Z' }]));
  });
});
