import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import type { EventStore, Fence } from '../eventstore/eventStore.js';
import type { SnapshotStore } from '../eventstore/snapshotStore.js';
import { InvalidIdError, LeaseLostError, WrongPartitionError, toErrorBody, type ErrorBody, type FencedError } from '../shared/errors.js';
import { DEFAULT_PARTITIONS, partitionOf } from '../shared/partition.js';
import { resetPartitionConsumer } from '../transport/jetstreamSetup.js';
import { validateId, validateKind } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { HEADER, commandStream, parseCommandSubject, partitionConsumer } from '../transport/subjects.js';
import { Actor, type HostMetrics } from './actor.js';
import { DEFAULT_MAX_COMMAND_BYTES, parseCommandMessage, type CommandRequest, type CommandResult } from './commandEnvelope.js';
import type { DeciderRegistry } from './registry.js';

export interface ActorHostOptions {
  store: EventStore;
  registry: DeciderRegistry;
  logger: Logger;
  snapshots?: SnapshotStore;
  /** Snapshot after this many new events (0 disables). */
  snapshotEvery?: number;
  /** Actors idle this long are passivated (state dropped from memory). */
  idleMs?: number;
  maxCommandBytes?: number;
  now?: () => Date;
  /** Adds what a command's decider needs from elsewhere (e.g. device roles), before it is decided. */
  enrich?: (kind: string, id: string, request: CommandRequest) => CommandRequest | Promise<CommandRequest>;
  /** Actor partitions (a cluster-wide constant; default 16). */
  partitions?: number;
  /** Told when the store says another process now holds one of ours (the tenure's token). */
  onPartitionLost?: (partition: number, token: number) => void;
}

export interface ActorHost {
  /** Runs commands for one actor in-process (used by the JetStream intake, the API and tests). */
  dispatch(kind: string, id: string, requests: CommandRequest[], opts?: { withEvents?: boolean }): Promise<CommandResult[]>;
  /** Current state of an actor (rehydrating it if needed). */
  inspect(kind: string, id: string): Promise<{ state: unknown; revision: number }>;
  readonly activeActors: number;
  /** Drops idle actors now (the timer does it every idleMs / 2). */
  passivateIdle(olderThanMs?: number): number;
  /** Starts consuming every partition's commands from JetStream, unfenced (one process alone). */
  consume(nc: NatsConnection): Promise<void>;
  /**
   * Takes a partition under a lease: records its token with the store (so the previous holder's
   * appends are refused from now on), starts its consumer afresh and consumes it.
   */
  acquirePartition(nc: NatsConnection, partition: number, token: number, stillHeld?: () => boolean): Promise<void>;
  /** Stops consuming a partition, waits for its commands in flight, and forgets its actors. */
  releasePartition(partition: number): Promise<void>;
  /** Partitions consumed here, or 'all' (unpartitioned). */
  readonly held: readonly number[] | 'all';
  /** Whether this process runs the actor's commands (else they go over the command bus). */
  owns(kind: string, id: string): boolean;
  readonly partitions: number;
  readonly processedMessages: number;
  readonly metrics: Readonly<HostMetrics>;
  stop(): Promise<void>;
}

const encoder = new TextEncoder();

export function createActorHost(opts: ActorHostOptions): ActorHost {
  const { store, registry, logger } = opts;
  const actors = new Map<string, Actor>();
  const idleMs = opts.idleMs ?? 5 * 60_000;
  const maxCommandBytes = opts.maxCommandBytes ?? DEFAULT_MAX_COMMAND_BYTES;
  const deps = {
    store,
    snapshots: opts.snapshots,
    snapshotEvery: opts.snapshotEvery ?? 100,
    logger: logger.child({ component: 'actor' }),
    now: opts.now ?? (() => new Date()),
    enrich: opts.enrich,
    partitions: opts.partitions ?? DEFAULT_PARTITIONS,
    partitionFence: (kind: string, id: string): Fence | null | undefined => {
      if (mode === 'all') return undefined;
      const held = consumers.get(partitionOf(kind, id, partitionCount));
      return held ? { key: `partition.${held.partition}`, token: held.token! } : null;
    },
    onPartitionFenced: (err: FencedError) => {
      const partition = Number(err.key.slice('partition.'.length));
      logger.warn({ partition, token: err.token, newer: err.current }, 'partition taken by a newer holder: releasing it');
      // Only when the refused token is the one this process consumes under now: an append still in
      // flight from an earlier tenure of ours is refused by our own newer token, which is no loss.
      const held = consumers.get(partition);
      const token = held?.token;
      if (token !== undefined && token <= err.token) {
        releasePartition(partition).then(
          () => opts.onPartitionLost?.(partition, token),
          (e: unknown) => logger.error({ err: e, partition }, 'releasing a fenced partition failed'),
        );
      }
    },
    metrics: { commands: 0, rejections: 0, appends: 0, eventsAppended: 0, appendSeconds: 0, fenced: 0 } as HostMetrics,
  };
  const partitionCount = deps.partitions;
  /** 'all': one process alone, every partition consumed unfenced; 'leased': only those held. */
  let mode: 'all' | 'leased' = 'all';
  interface PartitionIntake {
    partition: number;
    token: number | undefined;
    messages: ConsumerMessages;
    intake: Promise<void>;
    /** Its messages being handled, and whoever waits for none to be. */
    inFlight: { count: number; idle: Array<() => void> };
    /** Set once its release has begun; settles when the partition is no longer consumed. */
    released?: Promise<void>;
  }
  const consumers = new Map<number, PartitionIntake>();
  let processedMessages = 0;
  let nc: NatsConnection | undefined;

  function actorFor(kind: string, id: string): Actor {
    const key = `${kind}/${id}`;
    let actor = actors.get(key);
    if (!actor) {
      actor = new Actor(kind, id, registry.get(kind), deps);
      actors.set(key, actor);
    }
    return actor;
  }

  async function dispatch(kind: string, id: string, requests: CommandRequest[], o: { withEvents?: boolean } = {}): Promise<CommandResult[]> {
    validateKind(kind);
    validateId(id);
    for (const r of requests) registry.check(kind, r.type);
    const actor = actorFor(kind, id);
    const withEvents = o.withEvents ?? true;
    return Promise.all(requests.map((r) => actor.tell(r, withEvents)));
  }

  function passivateIdle(olderThanMs = idleMs): number {
    const cutoff = Date.now() - olderThanMs;
    let dropped = 0;
    for (const [key, actor] of actors) {
      if (actor.idle && actor.lastActive <= cutoff) {
        actors.delete(key);
        dropped++;
      }
    }
    return dropped;
  }
  const passivation = setInterval(() => passivateIdle(), Math.max(1000, idleMs / 2));
  passivation.unref();

  /** One JetStream message: answer, ack, whatever happens (a poison message is never redelivered). */
  async function handle(m: JsMsg): Promise<void> {
    const replyTo = m.headers?.get(HEADER.reply) || undefined;
    let reply: { results: CommandResult[] } | { error: ErrorBody };
    let batch = false;
    try {
      const address = parseCommandSubject(m.subject);
      if (!address) throw new InvalidIdError('command subject', m.subject, 'expected ep.cmd.<partition>.<kind>.<id>');
      // Only the partition's holder runs an actor: a command filed under another partition would
      // run it on a second process.
      if (address.partition !== partitionOf(address.kind, address.id, partitionCount)) throw new WrongPartitionError(m.subject, partitionOf(address.kind, address.id, partitionCount));
      const parsed = parseCommandMessage(m.data, maxCommandBytes);
      batch = parsed.batch;
      const results = await dispatch(address.kind, address.id, parsed.commands, { withEvents: replyTo !== undefined });
      if (results.some((r) => !r.ok && r.retryable)) {
        // The store failed: not the command's fault. Deliver it again later (what did get stored
        // is recognised then as already applied); the answer comes from that delivery.
        const delay = Math.min(30_000, 250 * 2 ** Math.min(m.info.redeliveryCount, 7));
        logger.warn({ subject: m.subject, redeliveries: m.info.redeliveryCount, delay }, 'store unavailable: command will be redelivered');
        m.nak(delay);
        return;
      }
      reply = { results };
    } catch (err) {
      logger.warn({ err, subject: m.subject, redelivered: m.redelivered }, 'command refused');
      reply = { error: toErrorBody(err) };
    }
    m.ack();
    processedMessages++;
    if (replyTo && nc) {
      const body = 'error' in reply ? { ok: false, error: reply.error } : batch ? reply.results : reply.results[0];
      nc.publish(replyTo, encoder.encode(JSON.stringify(body)));
    }
  }

  async function startIntake(conn: NatsConnection, partition: number, token: number | undefined): Promise<void> {
    const consumer = await conn.jetstream().consumers.get(commandStream(partition), partitionConsumer(partition));
    const messages = await consumer.consume({ max_messages: 1024, threshold_messages: 256 });
    // A count, not a set of promises emptied and refilled on every command (see NumberedQueue).
    const inFlight: PartitionIntake['inFlight'] = { count: 0, idle: [] };
    const settled = () => {
      if (--inFlight.count > 0 || inFlight.idle.length === 0) return;
      const waiting = inFlight.idle;
      inFlight.idle = [];
      for (const w of waiting) w();
    };
    const intake = (async () => {
      for await (const m of messages) {
        inFlight.count++;
        handle(m).then(settled, (err: unknown) => {
          logger.error({ err }, 'command handling failed');
          settled();
        });
      }
    })().catch((err: unknown) => logger.error({ err, partition }, 'the partition consumer ended with an error'));
    consumers.set(partition, { partition, token, messages, intake, inFlight });
  }

  /** One release per partition at a time: a second caller waits for the same one. */
  function releasePartition(partition: number): Promise<void> {
    const held = consumers.get(partition);
    if (!held) return Promise.resolve();
    held.released ??= (async () => {
      // With nats 2.29 against server 2.9, stop() ends the iterator (close() can hang).
      held.messages.stop();
      await held.intake;
      if (held.inFlight.count > 0) await new Promise<void>((r) => held.inFlight.idle.push(r));
      consumers.delete(partition);
      forgetActors(partition);
    })();
    return held.released;
  }

  /** Cached state of a partition's actors may be stale once another process has written them. */
  function forgetActors(partition: number): void {
    for (const [key, actor] of actors) {
      if (partitionOf(actor.kind, actor.id, partitionCount) === partition && actor.idle) actors.delete(key);
    }
  }

  return {
    dispatch,
    async inspect(kind, id) {
      validateKind(kind);
      validateId(id);
      registry.get(kind);
      return actorFor(kind, id).current();
    },
    get activeActors() {
      return actors.size;
    },
    passivateIdle,
    get processedMessages() {
      return processedMessages;
    },
    get metrics() {
      return deps.metrics;
    },

    async consume(conn) {
      nc = conn;
      mode = 'all';
      for (let p = 0; p < partitionCount; p++) await startIntake(conn, p, undefined);
    },

    async acquirePartition(conn, partition, token, stillHeld = () => true) {
      nc = conn;
      mode = 'leased';
      // An earlier tenure still draining finishes first.
      await consumers.get(partition)?.released;
      if (consumers.has(partition)) return;
      // Each step with effects others see runs only while the lease is still ours: a start that
      // outlives its lease must not reset the consumer a newer holder already uses.
      const step = () => {
        if (!stillHeld()) throw new LeaseLostError(`partition.${partition}`, token);
      };
      step();
      await store.raiseFence({ key: `partition.${partition}`, token });
      forgetActors(partition);
      step();
      await resetPartitionConsumer(await conn.jetstreamManager(), partition);
      step();
      await startIntake(conn, partition, token);
    },

    releasePartition,
    get held() {
      return mode === 'all' ? 'all' : [...consumers.keys()].sort((a, b) => a - b);
    },
    owns(kind, id) {
      return mode === 'all' || consumers.has(partitionOf(kind, id, partitionCount));
    },
    partitions: partitionCount,

    async stop() {
      clearInterval(passivation);
      await Promise.all([...consumers.keys()].map((p) => releasePartition(p)));
    },
  };
}
