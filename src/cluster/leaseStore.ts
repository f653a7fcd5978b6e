import type { KV, KvEntry, NatsConnection } from 'nats';
import { KV_LEASES } from '../transport/subjects.js';

/**
 * Leases in a NATS KV bucket whose max age is the lease TTL: a lease nobody renews disappears on
 * its own (nats-server 2.9 has no per-message TTL; the bucket's max age does it). Every write is
 * conditional on the revision last seen, so two processes never both believe they won a key.
 *
 * The fencing token of a tenure is the KV revision of the write that began it: revisions grow
 * across the whole bucket, so a later tenure always has a larger token. Renewals keep the token.
 */
export interface LeaseRecord {
  key: string;
  holder: string;
  token: number;
  /** KV revision of the latest write (what the next renewal must match). */
  revision: number;
  /** Server time of the latest write (its age is the lease's age). */
  writtenAt: Date;
}

export interface LeaseStore {
  read(key: string): Promise<LeaseRecord | undefined>;
  /** Takes a free key; undefined when someone holds it. */
  create(key: string, holder: string): Promise<LeaseRecord | undefined>;
  /** Rewrites the key if it is still at `revision` (a renewal, or taking over a dead holder's key). */
  replace(key: string, holder: string, token: number | 'new', revision: number): Promise<LeaseRecord | undefined>;
  /** Gives the key up if it is still at `revision`. */
  release(key: string, revision: number): Promise<void>;
  keys(prefix: string): Promise<string[]>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function openKvLeaseStore(nc: NatsConnection, opts: { ttlMs: number; replicas?: number }): Promise<LeaseStore> {
  const kv: KV = await nc.jetstream().views.kv(KV_LEASES, { history: 1, ttl: opts.ttlMs, replicas: opts.replicas ?? 1 });
  const value = (holder: string, token: number) => encoder.encode(JSON.stringify({ holder, token }));
  const record = (e: KvEntry): LeaseRecord | undefined => {
    if (e.operation !== 'PUT' || e.value.length === 0) return undefined;
    const v = JSON.parse(decoder.decode(e.value)) as { holder: string; token: number };
    return { key: e.key, holder: v.holder, token: v.token === 0 ? e.revision : v.token, revision: e.revision, writtenAt: e.created };
  };
  const conditional = async (write: () => Promise<number>): Promise<number | undefined> => {
    try {
      return await write();
    } catch (e) {
      // "wrong last sequence": someone else wrote the key first.
      if (/wrong last sequence|10071|key exists/i.test(String((e as Error).message))) return undefined;
      throw e;
    }
  };
  return {
    async read(key) {
      const e = await kv.get(key);
      return e ? record(e) : undefined;
    },
    async create(key, holder) {
      const revision = await conditional(() => kv.create(key, value(holder, 0)));
      return revision === undefined ? undefined : { key, holder, token: revision, revision, writtenAt: new Date() };
    },
    async replace(key, holder, token, revision) {
      const next = await conditional(() => kv.update(key, value(holder, token === 'new' ? 0 : token), revision));
      return next === undefined ? undefined : { key, holder, token: token === 'new' ? next : token, revision: next, writtenAt: new Date() };
    },
    async release(key, revision) {
      await conditional(() => kv.delete(key, { previousSeq: revision }).then(() => 0));
    },
    async keys(prefix) {
      const out: string[] = [];
      for await (const k of await kv.keys(`${prefix}>`)) out.push(k);
      return out;
    },
  };
}
