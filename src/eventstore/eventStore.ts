/**
 * The event store port. Two adapters implement it (`sqlite`, `esdb`) and both pass the one
 * contract suite in test/int/eventStore.contract.ts.
 *
 * Revisions are per stream and start at 0 (EventStoreDB's numbering). Positions are global,
 * increasing, and define the order of `$all`; a checkpoint is the position of the last event
 * a reader has handled.
 */
export interface EventMetadata {
  commandId?: string;
  causationId?: string;
  correlationId?: string;
  /** ISO-8601 time the event was decided. */
  timestamp?: string;
  [key: string]: unknown;
}

export interface EventData<Type extends string = string, Data = unknown> {
  id: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> extends EventData<Type, Data> {
  stream: string;
  revision: number;
  position: number;
}

/**
 * An adapter that already holds an event as JSON text may expose it under this key, so a
 * forwarder (the relay) can send it without parsing and re-serialising it.
 */
export const SERIALIZED = Symbol.for('edgeplane.serialized');

export function serializeEvent(e: RecordedEvent): string {
  const fast = (e as { [SERIALIZED]?: () => string })[SERIALIZED];
  return fast ? fast.call(e) : JSON.stringify(e);
}

/**
 * A fencing token: the revision of the lease its writer holds (`leader`, `partition.<n>`). The
 * store remembers the newest token per key and refuses an append carrying an older one.
 */
export interface Fence {
  key: string;
  token: number;
}

export interface AppendOptions {
  fences?: readonly Fence[];
}

export type ExpectedRevision = 'no_stream' | 'any' | 'stream_exists' | number;

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  nextRevision: number;
  /** Global position of the last appended event. */
  position: number;
  /** Global position of the first appended event, where the store assigns positions contiguously within an append (sqlite). */
  firstPosition?: number;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** First revision to return (inclusive); default: the start (forwards) or the end (backwards). */
  fromRevision?: number;
  limit?: number;
}

export interface ReadAllOptions {
  /** Return events after this position (exclusive); omitted: from the beginning. */
  after?: number;
  limit?: number;
}

export interface SubscribeAllOptions {
  after?: number;
  /** Aborting ends the iteration. */
  signal?: AbortSignal;
  /**
   * Only events of streams whose name starts with one of these (`sensor-`), as EventStoreDB's
   * stream-name filter: a follower does not read, parse or wake for what it would ignore.
   */
  streamPrefixes?: readonly string[];
  /**
   * How far `$all` has been read, matching or not, called once every event before it has been
   * handed out and its batch processed: a filtered follower's checkpoint moves past what it skipped.
   */
  onCheckpoint?: (position: number) => void;
  /**
   * Once caught up, read again at most this often (ms): the commits landing meanwhile are read
   * together. For followers that need not see each commit at once (the relay, the projections):
   * fewer wake-ups and larger batches, leaving the CPU to the command path. 0 (the default): read
   * at every commit. The first commit after a quiet spell is read at once either way. A hint: the
   * SQLite store batches; EventStoreDB pushes each event as it comes.
   */
  batchWindowMs?: number;
}

/** A subscription's prefixes in force: undefined when it takes every stream (none given, or `''`). */
export function activePrefixes(prefixes: readonly string[] | undefined): readonly string[] | undefined {
  return prefixes?.length && !prefixes.includes('') ? prefixes : undefined;
}

/** Whether a stream name starts with one of the prefixes (every stream when undefined). */
export function streamMatcher(prefixes: readonly string[] | undefined): (stream: string) => boolean {
  const active = activePrefixes(prefixes);
  return active ? (stream) => active.some((p) => stream.startsWith(p)) : () => true;
}

/**
 * For a runner of several followers that each name the actor kinds they fold (projections,
 * process managers): the subscription's filter (their union, or everything when one of them
 * names none) and each follower's own test.
 */
export function kindFilters(followers: ReadonlyArray<{ kinds?: readonly string[] }>): {
  streamPrefixes: string[] | undefined;
  wants: Array<(e: RecordedEvent) => boolean>;
} {
  const prefixesOf = (kinds: readonly string[]) => [...new Set(kinds)].sort().map((k) => `${k}-`);
  const wants = followers.map((f) => {
    const matches = streamMatcher(f.kinds && prefixesOf(f.kinds));
    return (e: RecordedEvent) => matches(e.stream);
  });
  return { streamPrefixes: followers.every((f) => f.kinds) ? prefixesOf(followers.flatMap((f) => f.kinds!)) : undefined, wants };
}

export interface EventStore {
  readonly name: string;
  /** Throws FencedError when a fence's token is older than the newest the store has seen for its key. */
  append(stream: string, events: readonly EventData[], expected: ExpectedRevision, opts?: AppendOptions): Promise<AppendResult>;
  /** Records a new holder's token (no-op when a newer one is known); returns the newest token for the key. */
  raiseFence(fence: Fence): Promise<number>;
  /** Throws StreamNotFoundError when the stream has no events. */
  readStream(stream: string, opts?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The stream's last revision, or undefined when it has no events. */
  streamRevision(stream: string): Promise<number | undefined>;
  readAll(opts?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * Catches up from `after`, then follows live appends, in global order, until aborted. Yields
   * non-empty batches (whatever is available, up to a page), so a follower can handle many events
   * per turn: publish them in one write, apply them in one transaction.
   */
  subscribeAll(opts?: SubscribeAllOptions): AsyncIterable<RecordedEvent[]>;
  /** Position of the last event in `$all`, or 0 when empty. */
  headPosition(): Promise<number>;
  close(): Promise<void>;
}
