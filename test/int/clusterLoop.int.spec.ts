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

/**
 * A host whose partition consumers take `startMs` to start and `drainMs` to drain: what a peer
 * holding the store's write lock does to them. `log` gets every start and drain, begun and ended.
 */
function slowHost(startMs: number, drainMs = 0, log: string[] = []) {
  const consuming = new Set<number>();
  const host: PartitionHost = {
    async acquirePartition(_nc, partition, _token, stillHeld) {
      log.push(`start ${partition}`);
      await new Promise((r) => setTimeout(r, startMs));
      if (!stillHeld()) throw new Error('lease gone');
      consuming.add(partition);
      log.push(`started ${partition}`);
    },
    async releasePartition(partition) {
      log.push(`drain ${partition}`);
      await new Promise((r) => setTimeout(r, drainMs));
      consuming.delete(partition);
      log.push(`drained ${partition}`);
    },
  };
  return { host, consuming, log };
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

  function join(processId: string, host: PartitionHost, o: { lostMs?: number; gainedMs?: number; log?: string[] } = {}) {
    const lost: string[] = [];
    const gained: number[] = [];
    const log = o.log ?? [];
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
        async gained(token, stillHeld) {
          await new Promise((r) => setTimeout(r, o.gainedMs ?? 0));
          if (!stillHeld()) throw new Error('lease gone');
          gained.push(token);
          log.push('gained');
        },
        async lost(_token, reason) {
          lost.push(reason);
          log.push('losing');
          await new Promise((r) => setTimeout(r, o.lostMs ?? 0));
          log.push('lost');
        },
      },
    });
    onTestFinished(() => cluster.stop());
    return { cluster, lost, gained };
  }

  /** A process that is there (its presence subject is subscribed) but answers nothing: paused. */
  function pausedHolder(): void {
    const sub = nc.subscribe(presenceSubject('paused'));
    onTestFinished(() => sub.unsubscribe());
  }

  /** Takes `key` from under its holder, as a newer holder would. */
  async function steal(key: string): Promise<void> {
    await eventually(async () => {
      const current = await leases.read(key);
      expect(current).toBeDefined();
      expect(await leases.replace(key, 'paused', 'new', current!.revision)).toBeDefined();
    });
  }

  it('takes over from a paused holder while its partitions are stuck starting, and loses no lease meanwhile', async () => {
    // A paused process: its leases are in the bucket and its presence subject is subscribed, but
    // it answers nothing, so it is not proven gone and its leases run out only with the TTL.
    pausedHolder();
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
    // The singletons start just after the lease is taken (the fake's gained waits a timer turn).
    await eventually(() => expect(b.gained).toHaveLength(1));

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

  it('a first round whose partition starts are stuck does not hold up the next rounds', async () => {
    // The partitions are free, the leader lease is a paused process's: the first round takes the
    // partitions (their starts hang), and the leader must still be taken when its lease runs out.
    pausedHolder();
    await leases.create(LEADER_KEY, 'paused');
    const startedAt = performance.now();
    const { host, consuming } = slowHost(3 * TTL);
    const d = join('d', host);
    let ready = false;
    void d.cluster.ready.then(() => (ready = true));
    await eventually(() => expect(d.cluster.status().leader?.processId).toBe('d'), { timeoutMs: 4 * TTL, intervalMs: 20 });
    expect(performance.now() - startedAt).toBeLessThan(TTL + 2000);
    expect(consuming.size).toBe(0);
    expect(ready).toBe(false);
    // Ready once its first round's starts have finished.
    await d.cluster.ready;
    expect(consuming.size).toBe(PARTITIONS);
    expect(d.lost).toEqual([]);
  });

  it('a tenure that takes longer than a TTL to wind down is not begun again before it has', async () => {
    // Alone, so it holds everything; then a newer holder takes the leader and partition 0 from it.
    const log: string[] = [];
    const { host } = slowHost(0, 2 * TTL, log);
    const e = join('e', host, { lostMs: 2 * TTL, log });
    await e.cluster.ready;
    log.length = 0;
    pausedHolder();
    await steal(LEADER_KEY);
    await steal(partitionKey(0));
    // The stolen keys run out with the TTL (their holder is paused) and are taken back.
    await eventually(() => expect(log).toEqual(expect.arrayContaining(['gained', 'started 0'])), { timeoutMs: 6 * TTL, intervalMs: 50 });
    expect(e.lost).toEqual(['renewal refused: another process holds it']);
    // Each new tenure began only after the old one had wound down.
    expect(log.indexOf('lost')).toBeGreaterThan(-1);
    expect(log.indexOf('gained')).toBeGreaterThan(log.indexOf('lost'));
    expect(log.indexOf('start 0')).toBeGreaterThan(log.indexOf('drained 0'));
    expect(e.cluster.isLeader).toBe(true);
  });

  it('stopping keeps renewing every key until it has drained, so no one takes a partition still draining', async () => {
    const { host, log } = slowHost(0, 0.9 * TTL);
    const f = join('f', host);
    await f.cluster.ready;
    log.length = 0;
    // Watched from outside while it stops: each partition's key stays f's until it has drained.
    const seen: Array<{ key: number; holder: string | undefined; drained: boolean }> = [];
    let stopping = true;
    const watcher = (async () => {
      while (stopping) {
        for (let p = 0; p < PARTITIONS; p++) {
          const drained = log.includes(`drained ${p}`);
          seen.push({ key: p, holder: (await leases.read(partitionKey(p)))?.holder, drained });
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    // Long after the last renewal before the stop: a stop that stopped renewing lets keys run out.
    await new Promise((r) => setTimeout(r, TTL / 3));
    await f.cluster.stop();
    stopping = false;
    await watcher;
    expect(seen.filter((s) => !s.drained && s.holder !== 'f')).toEqual([]);
    for (let p = 0; p < PARTITIONS; p++) expect(await leases.read(partitionKey(p))).toBeUndefined();
    expect(log.filter((l) => l.startsWith('drained'))).toHaveLength(PARTITIONS);
  });

  it('a leader start that outlives its lease is abandoned: the singletons never start under it', async () => {
    const log: string[] = [];
    const g = join('g', slowHost(0).host, { gainedMs: 1.5 * TTL, log });
    // Its singletons are still starting when a newer holder takes the lease.
    await eventually(async () => expect((await leases.read(LEADER_KEY))?.holder).toBe('g'), { timeoutMs: 3 * TTL });
    const first = (await leases.read(LEADER_KEY))!.token;
    pausedHolder();
    await steal(LEADER_KEY);
    // Once the paused holder's lease runs out, g leads again under a newer token.
    await eventually(() => expect(g.gained).toHaveLength(1), { timeoutMs: 8 * TTL, intervalMs: 50 });
    expect(g.gained[0]).toBeGreaterThan(first);
    // The first start was abandoned, then wound down before the second began.
    expect(log.filter((l) => l === 'gained')).toHaveLength(1);
    expect(log.indexOf('lost')).toBeGreaterThan(-1);
    expect(log.indexOf('lost')).toBeLessThan(log.indexOf('gained'));
  });
});
