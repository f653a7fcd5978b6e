import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import { COMMANDS_FILTER, CONSUMER_ACTOR_HOST, EDGE_FILTER, EVENTS_FILTER, KV_CHECKPOINTS, STREAM_COMMANDS, STREAM_EDGE, STREAM_EVENTS, STREAM_SYNC, SYNC_FILTER } from './subjects.js';

const NANOS = 1_000_000;
const DAY_MS = 24 * 3600 * 1000;

export interface JetStreamLayout {
  /** Replicas for every stream (1 embedded, 3 on a cluster). */
  replicas?: number;
  /** How long relayed events stay in EP_EVT for followers (default 7 days). */
  eventsMaxAgeMs?: number;
  /** Unprocessed commands are kept this long (default 7 days). */
  commandsMaxAgeMs?: number;
}

function streamConfigs(l: JetStreamLayout): Array<Partial<StreamConfig> & { name: string }> {
  const replicas = l.replicas ?? 1;
  return [
    {
      name: STREAM_COMMANDS,
      subjects: [COMMANDS_FILTER],
      // Each command is consumed once by the actor host and deleted when acknowledged.
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      discard: DiscardPolicy.New,
      max_age: (l.commandsMaxAgeMs ?? 7 * DAY_MS) * NANOS,
      duplicate_window: 120_000 * NANOS,
      num_replicas: replicas,
    },
    {
      name: STREAM_EVENTS,
      subjects: [EVENTS_FILTER],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: (l.eventsMaxAgeMs ?? 7 * DAY_MS) * NANOS,
      duplicate_window: 120_000 * NANOS,
      num_replicas: replicas,
    },
    {
      // Actuations for boards: kept an hour for a board that reconnects; each carries its own
      // expiry, which the board checks, so a stale one is never applied.
      name: STREAM_EDGE,
      subjects: [EDGE_FILTER],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: 3_600_000 * NANOS,
      duplicate_window: 120_000 * NANOS,
      num_replicas: replicas,
    },
    {
      // Master block broadcasts: only the latest per key matters.
      name: STREAM_SYNC,
      subjects: [SYNC_FILTER],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: 1,
      max_age: 3_600_000 * NANOS,
      num_replicas: replicas,
    },
  ];
}

/** Creates the streams, or updates them to this configuration when they exist. */
export async function ensureJetStream(nc: NatsConnection, layout: JetStreamLayout = {}): Promise<JetStreamManager> {
  const jsm = await nc.jetstreamManager();
  for (const cfg of streamConfigs(layout)) {
    try {
      await jsm.streams.info(cfg.name);
      await jsm.streams.update(cfg.name, cfg);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await jsm.streams.add(cfg);
    }
  }
  await jsm.consumers.add(STREAM_COMMANDS, {
    durable_name: CONSUMER_ACTOR_HOST,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 30_000 * NANOS,
    max_ack_pending: 20_000,
    filter_subject: COMMANDS_FILTER,
  });
  const js = nc.jetstream();
  await js.views.kv(KV_CHECKPOINTS, { history: 1, replicas: layout.replicas ?? 1 });
  return jsm;
}

export function isNotFound(e: unknown): boolean {
  const err = e as { code?: string; api_error?: { err_code?: number } };
  return err?.api_error?.err_code === 10059 || err?.code === '404' || /not found/i.test(String((e as Error)?.message));
}
