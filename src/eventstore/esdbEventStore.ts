import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError as EsdbStreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type JSONType,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { FencedError, StoreClosedError, StreamNotFoundError, WrongExpectedRevisionError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { streamMatcher, type AppendOptions, type AppendResult, type EventData, type EventStore, type ExpectedRevision, type Fence, type RecordedEvent } from './eventStore.js';

export interface EsdbEventStoreOptions {
  /** e.g. `esdb://localhost:2113?tls=false` or a cluster `esdb+discover://…`. */
  connectionString: string;
  logger?: Logger;
}

/**
 * EventStoreDB adapter. Positions are the commit positions of `$all` as numbers (safe below
 * 2^53 bytes of log). EventStoreDB does not return `$all` positions when reading a single
 * stream, so events from readStream carry position -1.
 */
export function getEsdbEventStore(opts: EsdbEventStoreOptions): EventStore {
  const client = EventStoreDBClient.connectionString(opts.connectionString);
  let closed = false;
  // Exact $all positions handed out by this process, so resuming after one is exact even when
  // several events share a commit position.
  const exactPositions = new Map<number, Position>();

  const translate = (stream: string, expected: ExpectedRevision, e: unknown): unknown => {
    if (e instanceof WrongExpectedVersionError) {
      const actual = e.actualVersion === NO_STREAM ? 'no_stream' : Number(e.actualVersion);
      return new WrongExpectedRevisionError(stream, expected, actual as number | 'no_stream', e);
    }
    if (e instanceof EsdbStreamNotFoundError) return new StreamNotFoundError(stream, e);
    return e;
  };

  function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
    const e = resolved.event;
    if (!e || !e.isJson) return undefined;
    const pos = e.position;
    let position = -1;
    if (pos) {
      position = Number(pos.commit);
      exactPositions.set(position, pos);
      if (exactPositions.size > 10_000) exactPositions.delete(exactPositions.keys().next().value as number);
    }
    return {
      id: e.id,
      type: e.type,
      data: e.data,
      metadata: (e.metadata ?? {}) as RecordedEvent['metadata'],
      stream: e.streamId,
      revision: Number(e.revision),
      position,
    };
  }

  function fromPosition(after: number | undefined): { from: Position | typeof START; skip: (p: Position) => boolean } {
    if (after === undefined) return { from: START, skip: () => false };
    const exact = exactPositions.get(after) ?? { commit: BigInt(after), prepare: BigInt(after) };
    return {
      from: exact,
      skip: (p) => p.commit < exact.commit || (p.commit === exact.commit && p.prepare <= exact.prepare),
    };
  }

  function expectedFor(expected: ExpectedRevision): AppendExpectedRevision {
    if (expected === 'any') return ANY;
    if (expected === 'no_stream') return NO_STREAM;
    if (expected === 'stream_exists') return STREAM_EXISTS;
    return BigInt(expected);
  }

  const guard = () => {
    if (closed) throw new StoreClosedError();
  };

  /**
   * Fences live in one stream per key (`ep-fence-<key>`, an event per new token). EventStoreDB has
   * no multi-stream transaction, so an append's fence check is a read just before the write: a
   * holder replaced in the milliseconds between the two can still land one append. The per-stream
   * expected revision still stops two holders interleaving on the same actor.
   */
  const fenceStream = (key: string) => `ep-fence-${key}`;
  async function currentToken(key: string): Promise<{ token: number; revision: number | undefined }> {
    try {
      for await (const resolved of client.readStream(fenceStream(key), { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
        if (resolved.event) return { token: Number((resolved.event.data as { token: number }).token), revision: Number(resolved.event.revision) };
      }
    } catch (e) {
      if (!(e instanceof EsdbStreamNotFoundError)) throw e;
    }
    return { token: 0, revision: undefined };
  }
  async function checkFences(fences: readonly Fence[] | undefined): Promise<void> {
    for (const f of fences ?? []) {
      const { token } = await currentToken(f.key);
      if (token > f.token) throw new FencedError(f.key, f.token, token);
    }
  }

  return {
    name: 'esdb',

    async raiseFence(fence) {
      guard();
      for (;;) {
        const { token, revision } = await currentToken(fence.key);
        if (token >= fence.token) return token;
        try {
          await client.appendToStream(fenceStream(fence.key), jsonEvent({ type: 'FenceRaised', data: { token: fence.token } }), {
            expectedRevision: revision === undefined ? NO_STREAM : BigInt(revision),
          });
          return fence.token;
        } catch (e) {
          if (!(e instanceof WrongExpectedVersionError)) throw e;
        }
      }
    },

    async append(stream, events: readonly EventData[], expected, o: AppendOptions = {}): Promise<AppendResult> {
      guard();
      if (events.length === 0) throw new RangeError('append needs at least one event');
      await checkFences(o.fences);
      try {
        const result = await client.appendToStream(
          stream,
          events.map((e) => jsonEvent({ id: e.id, type: e.type, data: (e.data ?? null) as JSONType, metadata: e.metadata as JSONType })),
          { expectedRevision: expectedFor(expected) },
        );
        return { nextRevision: Number(result.nextExpectedRevision), position: result.position ? Number(result.position.commit) : -1 };
      } catch (e) {
        throw translate(stream, expected, e);
      }
    },

    async readStream(stream, o = {}) {
      guard();
      const backwards = o.direction === 'backwards';
      const out: RecordedEvent[] = [];
      try {
        for await (const resolved of client.readStream(stream, {
          direction: backwards ? BACKWARDS : FORWARDS,
          fromRevision: o.fromRevision === undefined ? (backwards ? END : START) : BigInt(o.fromRevision),
          maxCount: o.limit ?? Number.MAX_SAFE_INTEGER,
        })) {
          const r = toRecorded(resolved);
          if (r) out.push(r);
        }
      } catch (e) {
        throw translate(stream, 'any', e);
      }
      return out;
    },

    async streamRevision(stream) {
      guard();
      try {
        for await (const resolved of client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
          if (resolved.event) return Number(resolved.event.revision);
        }
      } catch (e) {
        if (e instanceof EsdbStreamNotFoundError) return undefined;
        throw e;
      }
      return undefined;
    },

    async readAll(o = {}) {
      guard();
      const { from, skip } = fromPosition(o.after);
      const limit = o.limit ?? Number.MAX_SAFE_INTEGER;
      const out: RecordedEvent[] = [];
      const reader = client.readAll({ fromPosition: from, direction: FORWARDS, maxCount: limit + 1 });
      for await (const resolved of reader) {
        const p = resolved.event?.position;
        if (!p || skip(p) || resolved.event!.type.startsWith('$') || resolved.event!.streamId.startsWith('$')) continue;
        const r = toRecorded(resolved);
        if (r) out.push(r);
        if (out.length >= limit) {
          await reader.cancel();
          break;
        }
      }
      return out;
    },

    subscribeAll(o = {}) {
      const { from, skip } = fromPosition(o.after);
      const wanted = streamMatcher(o.streamPrefixes);
      const subscription = client.subscribeToAll({ fromPosition: from, filter: excludeSystemEvents() });
      const stop = () => void subscription.unsubscribe();
      o.signal?.addEventListener('abort', stop, { once: true });
      return (async function* () {
        try {
          for await (const resolved of subscription) {
            if (o.signal?.aborted || closed) break;
            const p = resolved.event?.position;
            if (!p || skip(p)) continue;
            const r = toRecorded(resolved);
            // Filtered here, in order, so a checkpoint is reported only once what precedes it is handed out.
            if (r && wanted(r.stream)) yield [r];
            if (r && o.onCheckpoint) o.onCheckpoint(r.position);
          }
        } finally {
          o.signal?.removeEventListener('abort', stop);
          await subscription.unsubscribe().catch((err: unknown) => opts.logger?.debug({ err }, 'unsubscribe failed'));
        }
      })();
    },

    async headPosition() {
      guard();
      for await (const resolved of client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 10_000 })) {
        const e = resolved.event;
        if (e && !e.type.startsWith('$') && !e.streamId.startsWith('$') && e.position) return Number(e.position.commit);
      }
      return 0;
    },

    async close() {
      if (closed) return;
      closed = true;
      await client.dispose();
    },
  };
}
