import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { LEADER_KEY, partitionKey, startCluster, type Cluster, type PartitionHost } from '../../src/cluster/cluster.js';
import { openKvLeaseStore, type LeaseStore } from '../../src/cluster/leaseStore.js';
import { startPresence } from '../../src/cluster/presence.js';
import { createLogger } from '../../src/shared/logger.js';
import { connectNats } from '../../src/transport/natsConnection.js';
import { presenceSubject } from '../../src/transport/subjects.js';
import { eventually, setupNats, type TestNats } from '../helpers/nats.js';

const TTL = 1200;
const PARTITIONS = 4;
const logger = createLogger({ level: 'silent' });

/** A host whose partition consumers take `startMs` to start: what a peer holding the store's write lock does to it. */
function slowHost(startMs: number) {
  const consuming = new Set<number>();
  const host: PartitionHost = {
    async acquirePartition(_nc, partition) {
      await new Promise((r) => setTimeout(r, startMs));
      consuming.add(partition);
    },
    async releasePartition(partition) {
      consuming.delete(partition);
    },
  };
  return { host, consuming };
}

/**
 * The cluster loop against a real NATS KV bucket: what a lease starts (a partition's consumer, the
 * singletons) may wait on the store for longer than the TTL, and the leases must outlive that.
 */
describe('cluster loop: renewals and campaigns do not wait on what a lease starts', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let leases: LeaseStore;

  beforeAll(async () => {
    nats = await setupNats();
    nc = await connectNats({ servers: nats.url, name: 'cluster-loop-test', logger });
    leases = await openKvLeaseStore(nc, { ttlMs: TTL });
  });
  afterAll(async () => {
    await nc.close();
    await nats.cleanup();
  });

  function join(processId: string, host: PartitionHost) {
    const lost: string[] = [];
    const gained: number[] = [];
    const cluster: Cluster = startCluster({
      nc,
      processId,
      ttlMs: TTL,
      partitions: PARTITIONS,
      host,
      leases,
      presence: startPresence(nc, processId),
      logger,
      leadership: {
        async gained(token) {
          gained.push(token);
        },
        async lost(_token, reason) {
          lost.push(reason);
        },
      },
    });
    onTestFinished(() => cluster.stop());
    return { cluster, lost, gained };
  }

  it('takes over from a paused holder while its partitions are stuck starting, and loses no lease meanwhile', async () => {
    // A paused process: its leases are in the bucket and its presence subject is subscribed, but
    // it answers nothing, so it is not proven gone and its leases run out only with the TTL.
    const paused = nc.subscribe(presenceSubject('paused'));
    onTestFinished(() => paused.unsubscribe());
    await leases.create(LEADER_KEY, 'paused');
    for (let p = 0; p < PARTITIONS; p++) await leases.create(partitionKey(p), 'paused');
    const startedAt = performance.now();

    // Each partition's consumer takes 2.5 TTLs to start (the busy timeout on the store's lock).
    const { host, consuming } = slowHost(2.5 * TTL);
    const b = join('b', host);
    await b.cluster.ready;

    // The leader lease is taken as soon as the paused holder's runs out, not after the partitions.
    await eventually(() => expect(b.cluster.status().leader?.processId).toBe('b'), { timeoutMs: 3 * TTL, intervalMs: 20 });
    // Its lease runs out at TTL; waiting on a start (2.5 TTLs) would show here.
    const tookOverAfter = performance.now() - startedAt;
    expect(tookOverAfter).toBeLessThan(TTL + 2000);
    expect(b.gained).toHaveLength(1);

    // The partitions were taken too, and their consumers are still starting.
    await eventually(async () => {
      for (let p = 0; p < PARTITIONS; p++) expect((await leases.read(partitionKey(p)))?.holder).toBe('b');
    });
    expect(consuming.size).toBe(0);

    // Held through the stall: renewed every TTL/3 although the starts take longer than the TTL.
    await eventually(() => expect(consuming.size).toBe(PARTITIONS), { timeoutMs: 5 * TTL, intervalMs: 50 });
    expect(b.lost).toEqual([]);
    expect(b.cluster.isLeader).toBe(true);
    const leader = await leases.read(LEADER_KEY);
    expect(leader).toMatchObject({ holder: 'b', token: b.gained[0] });
    expect(b.cluster.status().processes.find((p) => p.processId === 'b')?.partitions).toEqual([0, 1, 2, 3]);
  });

  it('stopping while a partition is still starting waits for it, then drains it and frees every key', async () => {
    const { host, consuming } = slowHost(TTL);
    const c = join('c', host);
    await eventually(async () => expect((await leases.read(partitionKey(0)))?.holder).toBe('c'), { timeoutMs: 3 * TTL });
    expect(consuming.size).toBe(0);
    await c.cluster.stop();
    expect(consuming.size).toBe(0);
    expect(c.lost).toEqual(['process stopping']);
    expect(await leases.read(LEADER_KEY)).toBeUndefined();
    for (let p = 0; p < PARTITIONS; p++) expect(await leases.read(partitionKey(p))).toBeUndefined();
    expect(await leases.read('process.c')).toBeUndefined();
  });
});
