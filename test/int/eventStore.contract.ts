import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventData, EventStore, RecordedEvent } from '../../src/eventstore/eventStore.js';
import { StreamNotFoundError, WrongExpectedRevisionError } from '../../src/shared/errors.js';

/**
 * The one contract every EventStore adapter passes (Emmett's runEventStoreContract idea).
 * Stream names are unique per test so the suite runs against a shared, non-empty server too.
 */
export function runEventStoreContract(name: string, factory: () => Promise<{ store: EventStore; cleanup: () => Promise<void> }>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await factory());
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    const stream = () => `contract-${randomUUID().replaceAll('-', '')}`;
    const ev = (type: string, data: unknown = {}, meta: Record<string, unknown> = {}): EventData => ({
      id: randomUUID(),
      type,
      data,
      metadata: { commandId: 'c1', correlationId: 'corr', causationId: 'cause', timestamp: '2026-11-22T00:00:00.000Z', ...meta },
    });

    it('appends to a new stream with no_stream and reads it back with data and metadata', async () => {
      const s = stream();
      const e1 = ev('Attached', { role: 'sensor', nested: { a: [1, 2] } });
      const e2 = ev('ReadingRecorded', { value: 21.5 });
      const r = await store.append(s, [e1, e2], 'no_stream');
      expect(r.nextRevision).toBe(1);
      expect(r.position).toBeGreaterThanOrEqual(0);
      const read = await store.readStream(s);
      expect(read.map((e) => [e.id, e.type, e.revision, e.stream])).toEqual([
        [e1.id, 'Attached', 0, s],
        [e2.id, 'ReadingRecorded', 1, s],
      ]);
      expect(read[0]!.data).toEqual({ role: 'sensor', nested: { a: [1, 2] } });
      expect(read[1]!.metadata).toMatchObject({ commandId: 'c1', correlationId: 'corr', causationId: 'cause', timestamp: '2026-11-22T00:00:00.000Z' });
    });

    it('checks the expected revision: exact, no_stream, stream_exists, any', async () => {
      const s = stream();
      await expect(store.append(s, [ev('A')], 'stream_exists')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await store.append(s, [ev('A')], 'no_stream');
      const err = await store.append(s, [ev('B')], 'no_stream').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WrongExpectedRevisionError);
      expect(err).toMatchObject({ code: 'ERR_WRONG_EXPECTED_REVISION', expected: 'no_stream', actual: 0 });
      await store.append(s, [ev('B')], 0);
      const stale = await store.append(s, [ev('C')], 0).catch((e: unknown) => e);
      expect(stale).toMatchObject({ code: 'ERR_WRONG_EXPECTED_REVISION', expected: 0, actual: 1 });
      expect((await store.append(s, [ev('C')], 'stream_exists')).nextRevision).toBe(2);
      expect((await store.append(s, [ev('D')], 'any')).nextRevision).toBe(3);
      expect(await store.streamRevision(s)).toBe(3);
      expect(await store.streamRevision(stream())).toBeUndefined();
    });

    it('a refused multi-event append stores none of its events', async () => {
      const s = stream();
      await store.append(s, [ev('A')], 'no_stream');
      await expect(store.append(s, [ev('B'), ev('C'), ev('D')], 5)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect((await store.readStream(s)).map((e) => e.type)).toEqual(['A']);
    });

    it('appending the same event ids at the same place again is idempotent', async () => {
      const s = stream();
      const batch = [ev('A'), ev('B')];
      const first = await store.append(s, batch, 'no_stream');
      const again = await store.append(s, batch, 'no_stream');
      expect(again.nextRevision).toBe(first.nextRevision);
      expect(again.position).toBe(first.position);
      const next = [ev('C')];
      const r2 = await store.append(s, next, 1);
      expect(await store.append(s, next, 1)).toMatchObject({ nextRevision: r2.nextRevision, position: r2.position });
      expect((await store.readStream(s)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    });

    it('of concurrent appends at the same expected revision exactly one wins', async () => {
      const s = stream();
      await store.append(s, [ev('A')], 'no_stream');
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.append(s, [ev(`W${i}`)], 0)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof WrongExpectedRevisionError)).toBe(true);
      expect(await store.readStream(s)).toHaveLength(2);
    });

    it('fencing: an append carrying an older token than one seen is refused and stores nothing; a newer token moves the fence', async () => {
      const key = `partition.${Math.floor(Math.random() * 1e6)}`;
      const s = stream();
      await store.append(s, [ev('A')], 'no_stream', { fences: [{ key, token: 5 }] });
      expect(await store.raiseFence({ key, token: 9 })).toBe(9);
      expect(await store.raiseFence({ key, token: 7 })).toBe(9);
      const err = await store.append(s, [ev('B')], 0, { fences: [{ key, token: 5 }] }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_FENCED', details: { key, token: 5, current: 9 } });
      expect((await store.readStream(s)).map((e) => e.type)).toEqual(['A']);
      await store.append(s, [ev('C')], 0, { fences: [{ key, token: 9 }] });
      await store.append(s, [ev('D')], 1, { fences: [{ key, token: 12 }] });
      await expect(store.append(s, [ev('E')], 2, { fences: [{ key, token: 9 }] })).rejects.toMatchObject({ code: 'ERR_FENCED' });
      expect((await store.readStream(s)).map((e) => e.type)).toEqual(['A', 'C', 'D']);
    });

    it('reads a stream forwards and backwards from a revision with a limit', async () => {
      const s = stream();
      await store.append(s, Array.from({ length: 10 }, (_, i) => ev(`E${i}`)), 'no_stream');
      expect((await store.readStream(s, { fromRevision: 3, limit: 4 })).map((e) => e.revision)).toEqual([3, 4, 5, 6]);
      expect((await store.readStream(s, { direction: 'backwards', limit: 3 })).map((e) => e.revision)).toEqual([9, 8, 7]);
      expect((await store.readStream(s, { direction: 'backwards', fromRevision: 4, limit: 2 })).map((e) => e.revision)).toEqual([4, 3]);
      expect(await store.readStream(s, { fromRevision: 10 })).toEqual([]);
    });

    it('reading a stream that does not exist is a typed error', async () => {
      const s = stream();
      const err = await store.readStream(s).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StreamNotFoundError);
      expect(err).toMatchObject({ code: 'ERR_STREAM_NOT_FOUND', stream: s });
    });

    it('reads $all in global order after a position, with a limit', async () => {
      const a = stream();
      const b = stream();
      const before = await store.headPosition();
      await store.append(a, [ev('A0')], 'no_stream');
      await store.append(b, [ev('B0'), ev('B1')], 'no_stream');
      await store.append(a, [ev('A1')], 0);
      const all = (await store.readAll({ after: before })).filter((e) => e.stream === a || e.stream === b);
      expect(all.map((e) => e.type)).toEqual(['A0', 'B0', 'B1', 'A1']);
      for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThan(all[i - 1]!.position);
      const page = await store.readAll({ after: all[0]!.position, limit: 2 });
      expect(page.map((e) => e.type)).toEqual(['B0', 'B1']);
      expect(await store.headPosition()).toBe(all.at(-1)!.position);
    });

    it('subscribes to $all: catches up from a position, then goes live, in order', async () => {
      const s = stream();
      const before = await store.headPosition();
      await store.append(s, [ev('Old0'), ev('Old1')], 'no_stream');
      const abort = new AbortController();
      const seen: RecordedEvent[] = [];
      const done = (async () => {
        for await (const batch of store.subscribeAll({ after: before, signal: abort.signal })) {
          expect(batch.length).toBeGreaterThan(0);
          seen.push(...batch.filter((e) => e.stream === s));
          if (seen.length >= 5) abort.abort();
        }
      })();
      await waitUntil(() => seen.length === 2);
      await store.append(s, [ev('New0')], 1);
      await store.append(s, [ev('New1'), ev('New2')], 2);
      await done;
      expect(seen.map((e) => e.type)).toEqual(['Old0', 'Old1', 'New0', 'New1', 'New2']);
      expect(seen.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
    });

    it('a subscription started after a position skips what came before it', async () => {
      const s = stream();
      const r = await store.append(s, [ev('Skip')], 'no_stream');
      await store.append(s, [ev('Take')], 0);
      const abort = new AbortController();
      const types: string[] = [];
      for await (const batch of store.subscribeAll({ after: r.position, signal: abort.signal })) {
        types.push(...batch.filter((e) => e.stream === s).map((e) => e.type));
        if (types.length > 0) abort.abort();
      }
      expect(types).toEqual(['Take']);
    });

    it('a subscription filtered by stream prefix sees only those streams, in order, catching up then live, and its checkpoints pass what it skipped', async () => {
      const tag = randomUUID().replaceAll('-', '').slice(0, 12);
      const [wanted, alsoWanted, other] = [`wanted${tag}-a`, `alsowanted${tag}-b`, `other${tag}-c`];
      const start = await store.headPosition();
      await store.append(other, [ev('O0')], 'no_stream');
      await store.append(wanted, [ev('W0')], 'no_stream');
      await store.append(other, [ev('O1')], 0);
      const abort = new AbortController();
      const seen: RecordedEvent[] = [];
      const checkpoints: number[] = [];
      const done = (async () => {
        const streamPrefixes = [`wanted${tag}-`, `alsowanted${tag}-`];
        for await (const batch of store.subscribeAll({ after: start, signal: abort.signal, streamPrefixes, onCheckpoint: (p) => checkpoints.push(p) })) {
          // A checkpoint never runs ahead of an event not yet handed out.
          for (const e of batch) expect(checkpoints.every((c) => c < e.position)).toBe(true);
          seen.push(...batch);
        }
      })();
      await waitUntil(() => seen.length === 1);
      const live = await store.append(alsoWanted, [ev('A0'), ev('A1')], 'no_stream');
      const lastOther = await store.append(other, [ev('O2')], 1);
      await waitUntil(() => seen.length === 3 && (checkpoints.at(-1) ?? 0) >= lastOther.position);
      abort.abort();
      await done;
      expect(seen.map((e) => [e.stream, e.type])).toEqual([[wanted, 'W0'], [alsoWanted, 'A0'], [alsoWanted, 'A1']]);
      expect(seen.at(-1)!.position).toBe(live.position);
      // Checkpoints only move forward.
      expect(checkpoints).toEqual([...checkpoints].sort((a, b) => a - b));
    });
  });
}

async function waitUntil(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
