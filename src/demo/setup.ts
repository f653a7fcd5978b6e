import type { Logger } from '../shared/logger.js';
import { ok, waitFor, type Api } from './api.js';

/**
 * What the demo does to the five systems once their boards are up, through the HTTP API:
 *
 * - ECP: two interactions on the node pair — motion > 5 turns the light on, ≤ 5 off (no conflict:
 *   they cannot hold at once), so the light follows the motion sensor's square wave;
 * - Brewblox: spark-master:master-sensor becomes a master (every 5 s) and spark-slave:dummy-sensor
 *   its slave through the seed's translation table, starting from the seed's slave data;
 * - edge-node-manager: the gateway's dependents are provisioned and valve-1 gets the next firmware
 *   version, so one update is in progress whenever the demo has just started.
 * Every step is safe to repeat: a second run of the demo keeps its data.
 */
export async function setUpDemo(api: Api, logger: Logger, say: (line: string) => void): Promise<void> {
  await Promise.all([interactions(api, say), blockSync(api, say), firmware(api, logger, say)]);
}

const attached = (api: Api, sensor: string) =>
  waitFor(`sensor/${sensor} to be attached by its board`, async () => ((await api.get(`/v1/actors/sensor/${sensor}`)).body?.state?.attached ? true : undefined));

async function interactions(api: Api, say: (line: string) => void): Promise<void> {
  await Promise.all([attached(api, 'motion-1'), attached(api, 'light-1')]);
  const rules = [
    { id: 'motion-light-on', when: { source: 'sensor/motion-1', op: '>', value: 5 }, then: { target: 'sensor/light-1', value: 1 } },
    { id: 'motion-light-off', when: { source: 'sensor/motion-1', op: '<=', value: 5 }, then: { target: 'sensor/light-1', value: 0 } },
  ];
  for (const rule of rules) {
    if ((await api.get(`/v1/interactions/${rule.id}`)).status === 404) ok(`adding interaction ${rule.id}`, await api.send('POST', '/v1/interactions', rule));
  }
  say('ECP      interactions: if sensor/motion-1 > 5 then sensor/light-1 = 1 (and <= 5 → 0)');
}

async function blockSync(api: Api, say: (line: string) => void): Promise<void> {
  // The seed's "slave data (before write)", so the translated merge is the seed's worked example.
  if ((await api.get('/v1/blocks/spark-slave/dummy-sensor')).status === 404) {
    ok('writing spark-slave.dummy-sensor', await api.send('PUT', '/v1/blocks/spark-slave/dummy-sensor', { data: { targetvalue: 0, value: 0, nested: { target: { thing: 0 }, thang: 0 } } }));
  }
  await waitFor('spark-master to write master-sensor', async () => ((await api.get('/v1/blocks/spark-master/master-sensor')).status === 200 ? true : undefined));
  ok('making master-sensor a master', await api.send('POST', '/spark-master/remote/master', { id: 'master-sensor', interval: 5 }));
  ok(
    'making dummy-sensor its slave',
    await api.send('POST', '/spark-slave/remote/slave', { id: 'dummy-sensor', key: 'spark-master.master-sensor', translations: { value: 'targetvalue', 'nested/value': 'nested/target/value' } }),
  );
  say('Brewblox spark-slave.dummy-sensor follows spark-master.master-sensor every 5 s (value → targetvalue, nested/value → nested/target/value)');
}

async function firmware(api: Api, logger: Logger, say: (line: string) => void): Promise<void> {
  const gw = 'gateway-1';
  const devices = await waitFor('gateway-1 to detect its three dependent devices', async () => {
    const r = await api.get<Array<{ LocalUUID: string; BoardType: string }>>(`/v1/gateways/${gw}/devices`);
    return r.status === 200 && r.body.length >= 3 ? r.body : undefined;
  });
  devices.sort((a, b) => a.LocalUUID.localeCompare(b.LocalUUID));
  const names = ['valve-1', 'valve-2', 'pump-1'];
  for (const [i, d] of devices.entries()) {
    const name = names[i] ?? `device-${i + 1}`;
    const r = await api.command('gateway', gw, 'ProvisionDevice', { localId: d.LocalUUID, name, application: 'greenhouse' });
    if (r.status !== 200 && r.body?.code !== 'ERR_DEVICE_ALREADY_PROVISIONED') ok(`provisioning ${d.LocalUUID}`, r);
  }
  const target = devices[0]!.LocalUUID;
  const current = (await api.get(`/v1/gateways/${gw}/devices/${target}`)).body as { Commit?: string | null; TargetCommit?: string | null };
  const next = nextVersion(current.TargetCommit ?? current.Commit ?? null);
  const r = await api.send('PUT', `/v1/gateways/${gw}/devices/${target}/firmware`, { commit: next, maxAttempts: 3 });
  if (r.status === 409 || r.status === 422) logger.info({ answer: r.body }, 'firmware target not changed (an update is already running)');
  else ok(`setting firmware ${next} on ${target}`, r);
  say(`ENM      gateway-1: 3 dependents provisioned; firmware ${next} → ${target} (valve-1), in progress`);
}

/** v1.0.0 → v1.0.1: every demo run flashes the next version, so an update is always under way after start. */
export function nextVersion(current: string | null): string {
  const m = current ? /^v(\d+)\.(\d+)\.(\d+)$/.exec(current) : null;
  return m ? `v${m[1]}.${m[2]}.${Number(m[3]) + 1}` : 'v1.0.1';
}
