import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import type { EventStore } from '../eventstore/eventStore.js';
import type { SnapshotStore } from '../eventstore/snapshotStore.js';
import { InvalidIdError, toErrorBody, type ErrorBody } from '../shared/errors.js';
import { validateId, validateKind } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { CONSUMER_ACTOR_HOST, HEADER, STREAM_COMMANDS, parseCommandSubject } from '../transport/subjects.js';
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
  enrich?: (kind: string, id: string, request: CommandRequest) => Promise<CommandRequest>;
}

export interface ActorHost {
  /** Runs commands for one actor in-process (used by the JetStream intake, the API and tests). */
  dispatch(kind: string, id: string, requests: CommandRequest[], opts?: { withEvents?: boolean }): Promise<CommandResult[]>;
  /** Current state of an actor (rehydrating it if needed). */
  inspect(kind: string, id: string): Promise<{ state: unknown; revision: number }>;
  readonly activeActors: number;
  /** Drops idle actors now (the timer does it every idleMs / 2). */
  passivateIdle(olderThanMs?: number): number;
  /** Starts consuming `ep.cmd.>` from JetStream. */
  consume(nc: NatsConnection): Promise<void>;
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
    metrics: { commands: 0, rejections: 0, appends: 0, eventsAppended: 0, appendSeconds: 0 } as HostMetrics,
  };
  let messages: ConsumerMessages | undefined;
  let intake: Promise<void> | undefined;
  let processedMessages = 0;
  const inFlight = new Set<Promise<void>>();
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
      if (!address) throw new InvalidIdError('command subject', m.subject, 'expected ep.cmd.<kind>.<id>');
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
      const consumer = await conn.jetstream().consumers.get(STREAM_COMMANDS, CONSUMER_ACTOR_HOST);
      messages = await consumer.consume({ max_messages: 4096, threshold_messages: 1024 });
      const iterator = messages;
      intake = (async () => {
        for await (const m of iterator) {
          const p = handle(m).catch((err: unknown) => logger.error({ err }, 'command handling failed'));
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
      })();
    },

    async stop() {
      clearInterval(passivation);
      // With nats 2.29 against server 2.9, stop() ends the iterator (close() can hang).
      messages?.stop();
      await intake;
      await Promise.allSettled([...inFlight]);
    },
  };
}
