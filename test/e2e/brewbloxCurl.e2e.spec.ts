import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnControlPlane, type ControlPlaneProcess } from '../helpers/controlPlaneProcess.js';
import { eventually, setupNats, tempDir, type TestNats } from '../helpers/nats.js';

const run = promisify(execFile);
const FIXTURES = resolve(import.meta.dirname, '../fixtures');
const SEED = resolve(import.meta.dirname, '../../../shared/seeds/brewblox-block-sync.txt');
const masterCurl = readFileSync(join(FIXTURES, 'brewblox-master.curl.sh'), 'utf8');
const slaveCurl = readFileSync(join(FIXTURES, 'brewblox-slave.curl.sh'), 'utf8');

describe("Brewblox's curl examples, verbatim, against edgeplane start --http 5000", () => {
  let nats: TestNats;
  let dir: ReturnType<typeof tempDir>;
  let cp: ControlPlaneProcess;
  const api = 'http://localhost:5000';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    return (await res.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    // The examples name port 5000, so the control plane listens there.
    nats = await setupNats();
    dir = tempDir('ep-brewblox-');
    cp = await spawnControlPlane({ dataDir: dir.path, natsUrl: nats.url, args: ['--http', '5000', '--http-host', '127.0.0.1'] });
  });
  afterAll(async () => {
    await cp?.stop();
    await nats.cleanup();
    dir.cleanup();
  });

  it('the fixtures are the seed text, character for character', () => {
    if (!existsSync(SEED)) return; // CI clones only this repository; the fixtures were copied from the seed.
    const seed = readFileSync(SEED, 'utf8');
    expect(seed).toContain(masterCurl.trimEnd());
    expect(seed).toContain(slaveCurl.trimEnd());
  });

  it('makes a master and a slave; the slave takes the master data; with the translation table it reaches the seed "after"', async () => {
    const master = { value: 123, other_value: 567, nested: { value: 456, other_value: 890 } };
    const before = { targetvalue: 0, value: 0, nested: { target: { thing: 0 }, thang: 0 } };
    await call('PUT', '/v1/blocks/spark-master/master-sensor', { data: master });
    await call('PUT', '/v1/blocks/spark-slave/dummy-sensor', { data: before });

    const m = await run('bash', ['-c', masterCurl]);
    expect(JSON.parse(m.stdout)).toEqual({ key: 'spark-master.master-sensor' });
    const s = await run('bash', ['-c', slaveCurl]);
    expect(JSON.parse(s.stdout)).toMatchObject({ key: 'spark-master.master-sensor' });
    // interval 5 s: the first broadcast copies everything (empty table).
    await eventually(async () => expect((await call('GET', '/v1/blocks/spark-slave/dummy-sensor')).data).toEqual(master), { timeoutMs: 15_000, intervalMs: 250 });

    // The seed's translation example, through the same route.
    await call('PUT', '/v1/blocks/spark-slave/dummy-sensor', { data: before });
    await call('POST', '/spark-slave/remote/slave', { id: 'dummy-sensor', key: 'spark-master.master-sensor', translations: { value: 'targetvalue', 'nested/value': 'nested/target/value' } });
    // A new master revision is broadcast (and applied through the table) at the next interval.
    await call('PATCH', '/v1/blocks/spark-master/master-sensor', { data: { other_value: 568 } });
    await eventually(
      async () => expect((await call('GET', '/v1/blocks/spark-slave/dummy-sensor')).data).toEqual({ targetvalue: 123, value: 0, nested: { target: { value: 456, thing: 0 }, thang: 0 } }),
      { timeoutMs: 15_000, intervalMs: 250 },
    );
  }, 60_000);
});
