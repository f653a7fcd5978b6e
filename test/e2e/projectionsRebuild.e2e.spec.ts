import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats } from '../../src/transport/natsConnection.js';
import { createCommandBus } from '../../src/transport/commandBus.js';
import { CLI, spawnControlPlane } from '../helpers/controlPlaneProcess.js';
import { eventually, setupNats, tempDir, type TestNats } from '../helpers/nats.js';

const run = promisify(execFile);

/** Every table of the read-model file except the runner's own bookkeeping, as text. */
function dumpReadModels(path: string): string {
  const db = new Database(path, { readonly: true });
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('projection_checkpoints', 'process_checkpoints') ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
  // Rows sorted as text: some tables are WITHOUT ROWID, and the content is what must match.
  const out = tables.map((t) => `${t}\n${(db.prepare(`SELECT * FROM "${t}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort().join('\n')}`).join('\n');
  db.close();
  return out;
}

describe('edgeplane projections rebuild (real processes)', () => {
  let nats: TestNats;
  let dir: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    nats = await setupNats();
    dir = tempDir('ep-rebuild-');
  });
  afterAll(async () => {
    await nats.cleanup();
    dir.cleanup();
  });

  it('folds every read model again from position 0 to byte-identical tables, and refuses while the control plane runs', async () => {
    const cp = await spawnControlPlane({ dataDir: dir.path, natsUrl: nats.url });
    const nc = await connectNats({ servers: nats.url, name: 'rebuild-test' });
    const bus = createCommandBus(nc);
    await bus.send('reactor', 'r1', { type: 'MarkOnline' });
    await bus.send('sensor', 't1', { type: 'AttachSensor', data: { role: 'sensor', type: 'temperature', unit: '°C', parent: 'reactor/r1' } });
    for (let i = 0; i < 20; i++) await bus.send('sensor', 't1', { type: 'RecordReading', data: { value: 20 + i / 10 } });
    await bus.send('daemon', 'p1', { type: 'RegisterDaemon', data: { owner: 'bob' } });
    await bus.sendBatch('daemon', 'p1', Array.from({ length: 50 }, (_, i) => ({ type: 'RecordPower', data: { watts: 100 + i, at: new Date(Date.UTC(2026, 10, 21, 10, 0, i * 10)).toISOString() } })));
    await bus.send('block', 'spark:b1', { type: 'WriteBlock', data: { data: { a: 1 } } });
    await bus.send('interactions', 'default', { type: 'AddInteraction', data: { id: 'hot', when: { source: 'sensor/t1', op: '>', value: 30 }, then: { target: 'sensor/fan', value: 1 } } });

    const refused = await run(process.execPath, [CLI, 'projections', 'rebuild', '--data-dir', dir.path]).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr).toContain('is running');

    // Stopping does not wait for the projection thread: let it fold everything stored first
    // (lag 0 exactly; /readyz calls a small lag ready).
    await eventually(
      async () => {
        const ready = (await (await fetch(`${cp.runtime.httpUrl!}/readyz`)).json()) as { checks: { projections: { lag: number | null } } };
        expect(ready.checks.projections.lag).toBe(0);
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    bus.close();
    await nc.close();
    await cp.stop();

    const readModels = join(dir.path, 'readmodels.db');
    const before = dumpReadModels(readModels);
    expect(before).toContain('sv_entities');
    const { stdout } = await run(process.execPath, [CLI, 'projections', 'rebuild', '--data-dir', dir.path]);
    expect(stdout).toMatch(/rebuilt all projections from position 0 to \d+/);
    expect(dumpReadModels(readModels)).toBe(before);

    const one = await run(process.execPath, [CLI, 'projections', 'rebuild', 'energy', '--data-dir', dir.path]);
    expect(one.stdout).toContain('rebuilt energy');
    expect(dumpReadModels(readModels)).toBe(before);
  });
});
