import type { NatsConnection } from 'nats';
import { within } from '../shared/deadline.js';
import type { Logger } from '../shared/logger.js';
import type { LeaseRecord, LeaseStore } from './leaseStore.js';
import type { Presence } from './presence.js';

/** What the cluster needs of the actor host: take and give up partitions. */
export interface PartitionHost {
  /** Stops (throwing) before any step with effects once `stillHeld` says the lease is gone. */
  acquirePartition(nc: NatsConnection, partition: number, token: number, stillHeld: () => boolean): Promise<void>;
  releasePartition(partition: number): Promise<void>;
}

export interface Leadership {
  /**
   * Runs the singletons under `token`; the lease is given up again if this throws. It should
   * check `stillHeld` after any wait, before starting anything.
   */
  gained(token: number, stillHeld: () => boolean): Promise<void>;
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
  partitionLost(partition: number, token: number): void;
  /** Gives every lease up (singletons stopped, partitions drained) so survivors take over at once. */
  stop(): Promise<void>;
}

interface Held {
  record: LeaseRecord;
  renewedAt: number;
  /** Monotonic time after which this process no longer trusts that it holds the lease. */
  deadline: number;
  /** Being given back (its wind-down is in `releasing`): still held and renewed, no longer counted or used. */
  leaving?: true;
}

export const LEADER_KEY = 'leader';
export const partitionKey = (p: number) => `partition.${p}`;
const processKey = (id: string) => `process.${id}`;
const partitionOfKey = (key: string) => (key.startsWith('partition.') ? Number(key.slice('partition.'.length)) : undefined);

/**
 * One control-plane process's part in the cluster: it keeps its presence, campaigns for the leader
 * lease, and holds a fair share of the partition leases.
 *
 * Two loops, so that nothing slow can starve a renewal:
 * - **Renewals** are checked every TTL/12 and never wait on anything: each due lease gets one
 *   conditional write in flight (every TTL/3); a refused renewal, or the TTL (counted on the
 *   monotonic clock from when the last renewal was sent) coming within TTL/4 of running out, gives
 *   the lease up at once.
 * - **Campaign rounds** (one at a time, at most every TTL/12) read the keys and take what is due: a
 *   free key with create-if-absent; a held one only when its holder is proven gone (its presence
 *   subject has no responders), with a write conditional on the holder's revision. Every process
 *   aims at ceil(P / members) partitions: it takes free ones up to that, and gives one back per
 *   round above it, so a joining process gets its share without pausing the others.
 *
 * What a lease starts or stops — the singletons, a partition's consumer — can wait on the store (a
 * paused peer holding its write lock stalls every writer up to the busy timeout). That work runs
 * beside both loops: a key is not taken again until the work of its last tenure has finished.
 */
export function startCluster(opts: ClusterOptions): Cluster {
  const { leases, presence, logger, processId, ttlMs } = opts;
  const held = new Map<string, Held>();
  /** Keys whose tenure is starting (singletons, a partition's consumer): never rejects. */
  const starting = new Map<string, Promise<void>>();
  /** Keys given up whose tenure is still being wound down: never rejects. */
  const releasing = new Map<string, Promise<void>>();
  /** The renewal in flight per key: never rejects. */
  const renewing = new Map<string, Promise<void>>();
  const tickMs = Math.max(50, Math.floor(ttlMs / 12));
  const renewEveryMs = ttlMs / 3;
  const marginMs = ttlMs / 4;
  let members: string[] = [processId];
  let membersReadAt = -Infinity;
  let view: { leader: LeaseRecord | undefined; partitions: Map<number, LeaseRecord>; at: number } = { leader: undefined, partitions: new Map(), at: Date.now() };
  let stopped = false;
  let round: Promise<void> | undefined;

  const now = () => performance.now();
  const renewed = (h: Held, record: LeaseRecord, sentAt: number) => Object.assign(h, { record, renewedAt: sentAt, deadline: sentAt + ttlMs - marginMs });
  const hold = (record: LeaseRecord, sentAt: number) => {
    const h = renewed({} as Held, record, sentAt);
    held.set(record.key, h);
    return h;
  };
  const busy = (key: string) => held.has(key) || releasing.has(key);

  /**
   * Ends this process's tenure of `key` and winds down what it started (the singletons stop, the
   * partition drains); the key is busy — not taken again here — until that has finished.
   * - Lost (refused renewal, deadline): not ours any more, so forgotten at once.
   * - Given back (`giveBack`: a fair share, a failed start, stopping): still ours, so renewed
   *   while it winds down, then freed for the others. A wind-down longer than a TTL frees it then
   *   anyway (what it still writes late is fenced) and goes on.
   */
  function lose(key: string, reason: string, o: { giveBack?: boolean } = {}): Promise<void> {
    const h = held.get(key);
    if (!h) return releasing.get(key) ?? Promise.resolve();
    if (h.leaving) {
      // Already being given back; lost, it just stops being renewed.
      if (!o.giveBack) {
        held.delete(key);
        logger.warn({ key, token: h.record.token, reason }, 'lease lost while being given back');
      }
      return releasing.get(key)!;
    }
    if (o.giveBack) logger.info({ key, token: h.record.token, reason }, 'lease given back');
    else {
      held.delete(key);
      logger.warn({ key, token: h.record.token, reason }, 'lease lost');
    }
    const partition = partitionOfKey(key);
    const job = (async () => {
      await starting.get(key);
      const windDown = (key === LEADER_KEY ? opts.leadership.lost(h.record.token, reason) : partition !== undefined ? opts.host.releasePartition(partition) : Promise.resolve()).then(
        () => undefined,
        (err: unknown) => logger.warn({ err, key }, 'winding a tenure down failed'),
      );
      if ((await within(windDown.then(() => true), ttlMs)) === undefined) logger.warn({ key, ms: ttlMs }, 'still winding down after a TTL; the key is freed for the others now');
      if (o.giveBack) {
        if (held.get(key) === h) held.delete(key);
        await renewing.get(key);
        await leases.release(key, h.record.revision).catch(() => undefined);
      }
      await windDown;
    })().finally(() => {
      if (releasing.get(key) === job) releasing.delete(key);
    });
    releasing.set(key, job);
    if (o.giveBack) h.leaving = true;
    return job;
  }

  /** Runs what a new tenure starts beside the loops; a failure gives the lease back. */
  function begin(key: string, h: Held, work: (stillHeld: () => boolean) => Promise<void>, what: string): void {
    // The deadline too: renewDue notices it only at its next tick.
    const stillHeld = () => held.get(key) === h && !h.leaving && now() <= h.deadline;
    const job = Promise.resolve()
      .then(() => work(stillHeld))
      .then(
        () => true,
        (err: unknown) => {
          if (stillHeld()) logger.error({ err, key }, `${what} failed: giving the lease back`);
          else logger.info({ key }, `${what} abandoned: the lease is no longer held`);
          return false;
        },
      );
    const started = job.then((ok) => {
      if (starting.get(key) === started) starting.delete(key);
      if (!ok && stillHeld()) void lose(key, `${what} failed`, { giveBack: true });
    });
    starting.set(key, started);
  }

  function renewDue(): void {
    for (const [key, h] of held) {
      if (now() > h.deadline) {
        void lose(key, 'lease about to expire unrenewed');
        continue;
      }
      if (renewing.has(key) || now() - h.renewedAt < renewEveryMs) continue;
      const sentAt = now();
      const renewal = leases.replace(key, processId, h.record.token, h.record.revision).then(
        (next) => {
          // Kept even when the key was given up meanwhile: its release needs the latest revision.
          if (next) renewed(h, next, sentAt);
          else if (held.get(key) === h) void lose(key, 'renewal refused: another process holds it');
        },
        (err: unknown) => logger.warn({ err, key }, 'lease renewal failed; retrying until its deadline'),
      );
      renewing.set(
        key,
        renewal.finally(() => renewing.delete(key)),
      );
    }
  }

  /** Takes a key that is free, ours from an earlier run, or held by a process proven gone. */
  async function take(key: string, current: LeaseRecord | undefined, gone: (holder: string) => Promise<boolean>): Promise<Held | undefined> {
    const sentAt = now();
    let record: LeaseRecord | undefined;
    if (!current) record = await leases.create(key, processId);
    else if (current.holder === processId || (await gone(current.holder))) record = await leases.replace(key, processId, 'new', current.revision);
    return record && hold(record, sentAt);
  }

  async function campaign(): Promise<void> {
    const goneCache = new Map<string, Promise<boolean>>();
    const gone = (holder: string) => {
      let p = goneCache.get(holder);
      if (!p) goneCache.set(holder, (p = presence.isGone(holder)));
      return p;
    };

    // Membership: our own key, renewed like a lease; the member list is read every TTL/3.
    if (!busy(processKey(processId))) await take(processKey(processId), await leases.read(processKey(processId)), async () => false);
    if (now() - membersReadAt > renewEveryMs) {
      // Listing keys runs an ordered consumer, which can stall on an overloaded server: keep the
      // last list rather than wait.
      const keys = await within(leases.keys('process.'), renewEveryMs);
      if (keys) members = [...new Set([processId, ...keys.map((k) => k.slice('process.'.length))])];
      membersReadAt = now();
    }

    // Leader.
    const leader = await leases.read(LEADER_KEY);
    if (!busy(LEADER_KEY) && !stopped) {
      const won = await take(LEADER_KEY, leader, gone);
      if (won) {
        logger.info({ token: won.record.token }, 'leadership gained');
        begin(LEADER_KEY, won, (stillHeld) => opts.leadership.gained(won.record.token, stillHeld), 'starting the singletons');
      }
    }
    view = { ...view, leader: held.get(LEADER_KEY)?.record ?? leader, at: Date.now() };

    // Partitions.
    const records = await Promise.all(Array.from({ length: opts.partitions }, (_, p) => leases.read(partitionKey(p))));
    const partitions = new Map<number, LeaseRecord>();
    records.forEach((r, p) => r && partitions.set(p, r));
    // A member proven gone no longer counts: its share goes to the survivors now, not at its TTL.
    const gones = await Promise.all(members.map((m) => gone(m)));
    const live = members.filter((_, i) => !gones[i]);
    const target = Math.ceil(opts.partitions / Math.max(1, live.length));
    const mine = () => [...held].filter(([k, h]) => partitionOfKey(k) !== undefined && !h.leaving).map(([k]) => k);
    for (let p = 0; p < opts.partitions && mine().length < target && !stopped; p++) {
      const key = partitionKey(p);
      if (busy(key)) continue;
      const current = partitions.get(p);
      if (current && current.holder !== processId && !(await gone(current.holder))) continue;
      const won = await take(key, current, gone);
      if (!won) continue;
      partitions.set(p, won.record);
      begin(key, won, (stillHeld) => opts.host.acquirePartition(opts.nc, p, won.record.token, stillHeld), `starting partition ${p}'s consumer`);
    }
    // One per round, so a join moves partitions gradually and never pauses everything at once.
    const surplus = mine()
      .filter((k) => !starting.has(k))
      .sort((a, b) => partitionOfKey(a)! - partitionOfKey(b)!)
      .at(-1);
    if (mine().length > target && surplus) {
      void lose(surplus, `handed back for a fair share of ${target}`, { giveBack: true });
      partitions.delete(partitionOfKey(surplus)!);
    }
    view = { leader: held.get(LEADER_KEY)?.record ?? (await leases.read(LEADER_KEY)), partitions, at: Date.now() };
  }

  const campaignRound = () =>
    campaign()
      .catch((err: unknown) => logger.warn({ err }, 'cluster round failed'))
      .finally(() => (round = undefined));
  round = campaignRound();
  // Ready once the first round's starts have finished too: a process alone holds everything then.
  const ready = round.then(() => Promise.all(starting.values())).then(() => undefined);
  const timer = setInterval(() => {
    renewDue();
    // One round at a time; every await in it is bounded (KV and presence requests time out).
    if (!stopped) round ??= campaignRound();
  }, tickMs);
  // Never what keeps the process alive (a stop abandoned half-way must not hang its exit).
  timer.unref();

  return {
    ready,
    get isLeader() {
      const h = held.get(LEADER_KEY);
      return h !== undefined && !h.leaving;
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
    partitionLost(partition, token) {
      const key = partitionKey(partition);
      if (held.get(key)?.record.token !== token) return;
      held.delete(key);
      logger.warn({ partition, token }, 'partition lost: a newer holder wrote to it');
    },
    async stop() {
      stopped = true;
      try {
        await round;
        await Promise.all(starting.values());
        // Renewed all along (the timer runs until the end), so no peer takes a key while it drains.
        // The singletons first: they stop writing before the partitions drain.
        await lose(LEADER_KEY, 'process stopping', { giveBack: true });
        await Promise.all([...held.keys()].map((key) => lose(key, 'process stopping', { giveBack: true })));
        await Promise.all(releasing.values());
      } finally {
        clearInterval(timer);
        presence.stop();
      }
    },
  };
}
