import type { NatsConnection } from 'nats';
import { finishWithin, within } from '../shared/deadline.js';
import type { Logger } from '../shared/logger.js';
import type { LeaseRecord, LeaseStore } from './leaseStore.js';
import type { Presence } from './presence.js';

/** What the cluster needs of the actor host: take and give up partitions. */
export interface PartitionHost {
  acquirePartition(nc: NatsConnection, partition: number, token: number): Promise<void>;
  releasePartition(partition: number): Promise<void>;
}

export interface Leadership {
  /** Runs the singletons under `token`; the lease is given up again if this throws. */
  gained(token: number): Promise<void>;
  /** Stops them; must finish well inside the TTL's margin. */
  lost(token: number, reason: string): Promise<void>;
}

export interface ClusterOptions {
  nc: NatsConnection;
  processId: string;
  ttlMs: number;
  partitions: number;
  host: PartitionHost;
  leases: LeaseStore;
  presence: Presence;
  leadership: Leadership;
  logger: Logger;
}

export interface ClusterStatus {
  processId: string;
  partitions: number;
  ttlMs: number;
  leader: { processId: string; token: number; leaseAgeMs: number } | null;
  processes: Array<{ processId: string; leader: boolean; partitions: number[]; leaseAgeMs: number | null }>;
}

export interface Cluster {
  /** Resolves after the first round: a process alone holds the leader lease and every partition by then. */
  readonly ready: Promise<void>;
  readonly isLeader: boolean;
  readonly leaderToken: number | undefined;
  status(): ClusterStatus;
  /** The host found (through a fenced append) that a newer holder has this partition: stop holding it. */
  partitionLost(partition: number): void;
  /** Gives every lease up (singletons stopped, partitions drained) so survivors take over at once. */
  stop(): Promise<void>;
}

interface Held {
  record: LeaseRecord;
  renewedAt: number;
  /** Monotonic time after which this process no longer trusts that it holds the lease. */
  deadline: number;
}

export const LEADER_KEY = 'leader';
export const partitionKey = (p: number) => `partition.${p}`;
const processKey = (id: string) => `process.${id}`;

/**
 * One control-plane process's part in the cluster: it keeps its presence, campaigns for the leader
 * lease, and holds a fair share of the partition leases — all in one loop ticking at TTL/12.
 *
 * - Renewal every TTL/3, conditional on the revision last written; a refused renewal, or the TTL
 *   (counted on the monotonic clock from when the renewal was sent) coming within TTL/4 of running
 *   out, gives the lease up at once: singletons stop / the partition is drained.
 * - A free key is taken with create-if-absent; a held one only when its holder is proven gone
 *   (its presence subject has no responders), with a write conditional on the holder's revision.
 * - Every process aims at ceil(P / members) partitions: it takes free ones up to that, and gives
 *   one back per tick above it, so a joining process gets its share without pausing the others.
 */
export function startCluster(opts: ClusterOptions): Cluster {
  const { leases, presence, logger, processId, ttlMs } = opts;
  const held = new Map<string, Held>();
  const tickMs = Math.max(50, Math.floor(ttlMs / 12));
  const renewEveryMs = ttlMs / 3;
  const marginMs = ttlMs / 4;
  let members: string[] = [processId];
  let membersReadAt = -Infinity;
  let view: { leader: LeaseRecord | undefined; partitions: Map<number, LeaseRecord>; at: number } = { leader: undefined, partitions: new Map(), at: Date.now() };
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const now = () => performance.now();
  const hold = (record: LeaseRecord, sentAt: number) => held.set(record.key, { record, renewedAt: sentAt, deadline: sentAt + ttlMs - marginMs });

  async function lose(key: string, reason: string): Promise<void> {
    const h = held.get(key);
    if (!h) return;
    held.delete(key);
    if (reason === 'process stopping') logger.info({ key, token: h.record.token }, 'lease given back');
    else logger.warn({ key, token: h.record.token, reason }, 'lease lost');
    // Bounded: the cluster loop must go on renewing and campaigning even if stopping hangs (its
    // late writes are fenced anyway).
    if (key === LEADER_KEY) await finishWithin(opts.leadership.lost(h.record.token, reason), ttlMs, 'stopping the singletons', logger);
    else if (key.startsWith('partition.')) await finishWithin(opts.host.releasePartition(Number(key.slice(10))), ttlMs, `draining partition ${key.slice(10)}`, logger);
  }

  async function renewAll(): Promise<void> {
    await Promise.all(
      [...held].map(async ([key, h]) => {
        if (now() > h.deadline) return lose(key, 'lease about to expire unrenewed');
        if (now() - h.renewedAt < renewEveryMs) return;
        const sentAt = now();
        try {
          const next = await leases.replace(key, processId, h.record.token, h.record.revision);
          if (!next) return lose(key, 'renewal refused: another process holds it');
          if (held.get(key) === h) hold(next, sentAt);
        } catch (err) {
          logger.warn({ err, key }, 'lease renewal failed; retrying until its deadline');
        }
      }),
    );
  }

  /** Takes a key that is free, ours from an earlier run, or held by a process proven gone. */
  async function take(key: string, current: LeaseRecord | undefined, gone: (holder: string) => Promise<boolean>): Promise<LeaseRecord | undefined> {
    const sentAt = now();
    let record: LeaseRecord | undefined;
    if (!current) record = await leases.create(key, processId);
    else if (current.holder === processId || (await gone(current.holder))) record = await leases.replace(key, processId, 'new', current.revision);
    if (record) hold(record, sentAt);
    return record;
  }

  async function tick(): Promise<void> {
    await renewAll();
    if (stopped) return;
    const goneCache = new Map<string, Promise<boolean>>();
    const gone = (holder: string) => {
      let p = goneCache.get(holder);
      if (!p) goneCache.set(holder, (p = presence.isGone(holder)));
      return p;
    };

    // Membership: our own key, renewed like a lease; the member list is read every TTL/3.
    if (!held.has(processKey(processId))) await take(processKey(processId), await leases.read(processKey(processId)), async () => false);
    if (now() - membersReadAt > renewEveryMs) {
      // Listing keys runs an ordered consumer, which can stall on an overloaded server: keep the
      // last list rather than wait.
      const keys = await within(leases.keys('process.'), renewEveryMs);
      if (keys) members = [...new Set([processId, ...keys.map((k) => k.slice('process.'.length))])];
      membersReadAt = now();
    }

    // Leader.
    const leader = await leases.read(LEADER_KEY);
    if (!held.has(LEADER_KEY)) {
      const won = await take(LEADER_KEY, leader, gone);
      if (won) {
        logger.info({ token: won.token }, 'leadership gained');
        // Shown at once: starting the singletons may wait (e.g. on a store lock a paused peer holds).
        view = { ...view, leader: won, at: Date.now() };
        try {
          await opts.leadership.gained(won.token);
        } catch (err) {
          logger.error({ err }, 'starting the singletons failed: giving leadership up');
          held.delete(LEADER_KEY);
          await opts.leadership.lost(won.token, 'start failed').catch(() => undefined);
          await leases.release(LEADER_KEY, won.revision).catch(() => undefined);
        }
      }
    }

    // Shown before the partitions: taking one can wait on the store (a paused peer holding its
    // write lock stalls every writer up to the busy timeout), and the leader must not look stale
    // meanwhile.
    view = { ...view, leader: held.get(LEADER_KEY)?.record ?? leader, at: Date.now() };

    // Partitions.
    const records = await Promise.all(Array.from({ length: opts.partitions }, (_, p) => leases.read(partitionKey(p))));
    const partitions = new Map<number, LeaseRecord>();
    records.forEach((r, p) => r && partitions.set(p, r));
    // A member proven gone no longer counts: its share goes to the survivors now, not at its TTL.
    const gones = await Promise.all(members.map((m) => gone(m)));
    const live = members.filter((_, i) => !gones[i]);
    const target = Math.ceil(opts.partitions / Math.max(1, live.length));
    const mine = () => [...held.keys()].filter((k) => k.startsWith('partition.')).length;
    for (let p = 0; p < opts.partitions && mine() < target && !stopped; p++) {
      const key = partitionKey(p);
      if (held.has(key)) continue;
      const current = partitions.get(p);
      if (current && current.holder !== processId && !(await gone(current.holder))) continue;
      const won = await take(key, current, gone);
      if (!won) continue;
      try {
        await opts.host.acquirePartition(opts.nc, p, won.token);
        partitions.set(p, won);
        logger.info({ partition: p, token: won.token }, 'partition acquired');
      } catch (err) {
        logger.error({ err, partition: p }, 'could not start consuming a partition: giving it back');
        held.delete(key);
        await leases.release(key, won.revision).catch(() => undefined);
      }
    }
    if (mine() > target) {
      // One per tick, so a join moves partitions gradually and never pauses everything at once.
      const key = [...held.keys()].filter((k) => k.startsWith('partition.')).sort().at(-1)!;
      const h = held.get(key)!;
      held.delete(key);
      await opts.host.releasePartition(Number(key.slice(10)));
      await leases.release(key, h.record.revision).catch(() => undefined);
      partitions.delete(Number(key.slice(10)));
      logger.info({ partition: Number(key.slice(10)), target }, 'partition handed back for a fair share');
    }
    view = { leader: held.get(LEADER_KEY)?.record ?? (await leases.read(LEADER_KEY)), partitions, at: Date.now() };
  }

  // A round that hangs (a request the server never answers) must not stop the next ones: each is
  // given the TTL, then the loop goes on.
  const round = async () => {
    if (stopped) return;
    if ((await within(tick().then(() => true), ttlMs)) === undefined) logger.warn({ ms: ttlMs }, 'cluster round did not finish in time; going on');
  };
  const timer = setInterval(() => {
    running = running.then(round).catch((err: unknown) => logger.warn({ err }, 'cluster tick failed'));
  }, tickMs);
  running = running.then(tick).catch((err: unknown) => logger.warn({ err }, 'cluster tick failed'));
  const ready = running;

  return {
    ready,
    get isLeader() {
      return held.has(LEADER_KEY);
    },
    get leaderToken() {
      return held.get(LEADER_KEY)?.record.token;
    },
    status() {
      const ageOf = (r: LeaseRecord | undefined) => (r ? Math.max(0, view.at - r.writtenAt.getTime()) : null);
      const byHolder = new Map<string, number[]>();
      for (const [p, r] of view.partitions) byHolder.set(r.holder, [...(byHolder.get(r.holder) ?? []), p]);
      const ids = [...new Set([...members, ...byHolder.keys()])].sort();
      // Another process's age: its most recently renewed lease we have seen.
      const youngest = (id: string) => {
        const ages = [...view.partitions.values(), ...(view.leader ? [view.leader] : [])].filter((r) => r.holder === id).map((r) => ageOf(r)!);
        return ages.length > 0 ? Math.min(...ages) : null;
      };
      return {
        processId,
        partitions: opts.partitions,
        ttlMs,
        leader: view.leader ? { processId: view.leader.holder, token: view.leader.token, leaseAgeMs: ageOf(view.leader)! } : null,
        processes: ids.map((id) => ({
          processId: id,
          leader: view.leader?.holder === id,
          partitions: (byHolder.get(id) ?? []).sort((a, b) => a - b),
          leaseAgeMs: id === processId ? ageOf(held.get(processKey(id))?.record) : youngest(id),
        })),
      };
    },
    partitionLost(partition) {
      if (held.delete(partitionKey(partition))) logger.warn({ partition }, 'partition lost: a newer holder wrote to it');
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      const order = [...held.keys()].sort((a, b) => (a === LEADER_KEY ? -1 : b === LEADER_KEY ? 1 : 0));
      for (const key of order) {
        const h = held.get(key)!;
        await lose(key, 'process stopping');
        await leases.release(key, h.record.revision).catch(() => undefined);
      }
      presence.stop();
    },
  };
}
