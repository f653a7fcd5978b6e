import type { NatsConnection } from 'nats';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorHost, createRegistry, type ActorHost } from '../../src/actors/index.js';
import type { CommandRequest } from '../../src/actors/commandEnvelope.js';
import type { EventStore } from '../../src/eventstore/eventStore.js';
import { getSqliteEventStore } from '../../src/eventstore/sqliteEventStore.js';
import { LeaseLostError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { partitionOf } from '../../src/shared/partition.js';
import { createCommandBus, type CommandBus } from '../../src/transport/commandBus.js';
import { ensureJetStream } from '../../src/transport/jetstreamSetup.js';
import { connectNats } from '../../src/transport/natsConnection.js';
import { counterDecider } from '../fixtures/counter.decider.mjs';
import { setupNats, tempDir, type TestNats } from '../helpers/nats.js';

const PARTITIONS = 4;
const logger = createLogger({ level: 'silent' });

/** An actor id in the given partition. */
const idIn = (partition: number, prefix: string) => {
  for (let i = 0; ; i++) if (partitionOf('counter', `${prefix}${i}`, PARTITIONS) === partition) return `${prefix}${i}`;
};

/** The actor host's side of a partition lease, against a real nats-server and SQLite file. */
describe('actor host: partitions taken and given up under leases', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let dir: ReturnType<typeof tempDir>;
  let store: EventStore;
  let bus: CommandBus;
  let host: ActorHost;
  /** Commands whose decision waits until released (by command id). */
  const held = new Map<string, Promise<void>>();

  beforeAll(async () => {
    nats = await setupNats();
    nc = await connectNats({ servers: nats.url, name: 'host-partitions-test', logger });
    await ensureJetStream(nc, { partitions: PARTITIONS });
    dir = tempDir('ep-hostparts-');
    store = getSqliteEventStore({ path: join(dir.path, 'events.db') });
    bus = createCommandBus(nc, { partitions: PARTITIONS });
    host = createActorHost({
      store,
      registry: createRegistry([counterDecider]),
      snapshots: undefined,
      partitions: PARTITIONS,
      logger,
      enrich: (_kind, _id, request: CommandRequest) => held.get(request.id)?.then(() => request) ?? request,
    });
  });
  afterAll(async () => {
    await host.stop();
    bus.close();
    await nc.close();
    await store.close();
    await nats.cleanup();
    dir.cleanup();
  });

  it('a start whose lease is already gone does nothing others can see: no fence raised, no consumer', async () => {
    await expect(host.acquirePartition(nc, 1, 50, () => false)).rejects.toBeInstanceOf(LeaseLostError);
    expect(host.held).toEqual([]);
    // Partition 1's fence was not raised to 50: an append under an older token still goes through.
    await expect(
      store.append('counter-fence-check', [{ id: crypto.randomUUID(), type: 'Incremented', data: { before: 0, by: 1 }, metadata: {} }], 'any', { fences: [{ key: 'partition.1', token: 7 }] }),
    ).resolves.toMatchObject({ nextRevision: 0 });
  });

  it('taking a partition back while its release is still draining waits for the release, then consumes it', async () => {
    await host.acquirePartition(nc, 0, 100, () => true);
    const actor = idIn(0, 'drain');
    // A command in flight that the release has to wait for.
    let finish!: () => void;
    held.set('slow-1', new Promise<void>((r) => (finish = r)));
    const slow = bus.send<{ ok: boolean }>('counter', actor, { id: 'slow-1', type: 'Increment' }, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 200));

    const order: string[] = [];
    const release = host.releasePartition(0).then(() => order.push('released'));
    const again = host.acquirePartition(nc, 0, 101, () => true).then(() => order.push('acquired'));
    await new Promise((r) => setTimeout(r, 200));
    expect(order).toEqual([]);
    finish();
    await Promise.all([release, again]);
    expect(order).toEqual(['released', 'acquired']);
    expect(await slow).toMatchObject({ ok: true });

    // Consumed under the new tenure: a new command is answered.
    expect(host.held).toEqual([0]);
    await expect(bus.send('counter', actor, { id: 'after-1', type: 'Increment' }, { timeoutMs: 10_000 })).resolves.toMatchObject({ ok: true, revision: 1 });
  });

  it('two releases of one partition at once are one release', async () => {
    await host.acquirePartition(nc, 2, 200, () => true);
    const a = host.releasePartition(2);
    const b = host.releasePartition(2);
    expect(b).toBe(a);
    await Promise.all([a, b]);
    expect(host.held).toEqual([0]);
  });
});
