import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { resolveConfig } from '../../src/config.js';
import { startControlPlane, type ControlPlane } from '../../src/main.js';
import { mqttDeviceUsers, type MqttDevice } from '../../src/mqtt/index.js';
import { createLogger } from '../../src/shared/logger.js';
import { freePort } from '../../src/transport/natsServer.js';
import { eventually, setupNats, tempDir, type TestNats } from '../helpers/nats.js';

const MQTT_CONF = resolve(import.meta.dirname, '../../deploy/nats/mqtt.conf');
const PLUG: MqttDevice = { user: 'plug-1', password: 'pw-plug-1', topic: 'daemons/plug-1' };

function mosquittoPub(port: number, user: string, password: string, topic: string, message: string): Promise<{ code: number | null; out: string }> {
  const child = spawn('mosquitto_pub', ['-d', '-h', '127.0.0.1', '-p', String(port), '-u', user, '-P', password, '-i', `${user}-pub`, '-t', topic, '-q', '1', '-m', message]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.once('close', (code) => r({ code, out })));
}

describe('deploy/nats/mqtt.conf with accounts (the cluster layout): devices as users of the control plane’s account', () => {
  let nats: TestNats;
  let dir: ReturnType<typeof tempDir>;
  let cp: ControlPlane;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    // The shipped block, on a free port and at R1 (one server here, three in the cluster).
    const mqttBlock = readFileSync(MQTT_CONF, 'utf8').replace('port: 1883', `port: ${port}`).replace('stream_replicas: 3', 'stream_replicas: 1');
    expect(mqttBlock).toContain(`port: ${port}`);
    nats = await setupNats(
      [
        'server_name: ep-mqtt-deploy',
        mqttBlock,
        'accounts {',
        '  EDGEPLANE {',
        '    jetstream: enabled',
        '    users: [',
        '      { user: control-plane, password: cp-secret, allowed_connection_types: ["STANDARD"] }',
        mqttDeviceUsers([PLUG]),
        '    ]',
        '  }',
        '}',
      ].join('\n'),
    );
    dir = tempDir('ep-mqtt-deploy-');
    const env = { EDGEPLANE_NATS_USER: 'control-plane', EDGEPLANE_NATS_PASS: 'cp-secret' };
    cp = await startControlPlane(resolveConfig({ httpPort: null, dataDir: dir.path, natsUrl: nats.url, heartbeatTimeoutMs: 600_000, mqtt: { port } }, env), builtinDeciders, createLogger({ level: 'silent' }));
    const [r] = await cp.host.dispatch('daemon', 'plug-1', [{ id: 'register-plug-1', type: 'RegisterDaemon', data: { owner: 'u1' } }]);
    expect(r).toMatchObject({ ok: true });
    await eventually(() => expect(cp.mqtt).toBeDefined(), { timeoutMs: 15_000 });
  });
  afterAll(async () => {
    await cp?.stop();
    await nats?.cleanup();
    dir?.cleanup();
  });

  it('a plug in the account publishes a reading that becomes an event; the control plane’s user is refused over MQTT', async () => {
    const pub = await mosquittoPub(port, PLUG.user, PLUG.password, 'daemons/plug-1/power', '{"watts": 60, "at": "2026-01-05T10:00:00Z"}');
    expect(pub.code, pub.out).toBe(0);
    await eventually(async () => {
      const events = await cp.store.readStream('daemon-plug-1');
      expect(events.filter((e) => e.type === 'PowerRecorded').map((e) => e.data)).toEqual([{ watts: 60, at: '2026-01-05T10:00:00.000Z' }]);
    });
    const asControlPlane = await mosquittoPub(port, 'control-plane', 'cp-secret', 'daemons/plug-1/power', '1');
    expect(asControlPlane.code).not.toBe(0);
    const otherTopic = await mosquittoPub(port, PLUG.user, PLUG.password, 'daemons/plug-2/power', '{"watts": 1}');
    expect(otherTopic.code).toBe(0); // PUBACKed by 2.9, but dropped: nothing reaches the bridge
    await new Promise((r) => setTimeout(r, 300));
    expect(cp.mqtt!.stats().received.qos1).toBe(1);
  });
});
