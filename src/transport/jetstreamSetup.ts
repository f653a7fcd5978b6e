import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import { EDGE_FILTER, EVENTS_FILTER, KV_CHECKPOINTS, STREAM_COMMANDS, STREAM_EDGE, STREAM_EVENTS, STREAM_SYNC, SYNC_FILTER, commandStream, partitionConsumer, partitionFilter } from './subjects.js';
import { DEFAULT_PARTITIONS } from '../shared/partition.js';

const NANOS = 1_000_000;
const DAY_MS = 24 * 3600 * 1000;

export interface JetStreamLayout {
  /** Replicas for every stream (1 embedded, 3 on a cluster). */
  replicas?: number;
  /** How long relayed events stay in EP_EVT for followers (default 7 days). */
  eventsMaxAgeMs?: number;
  /** Unprocessed commands are kept this long (default 7 days). */
  commandsMaxAgeMs?: number;
  /** Actor partitions: one durable consumer each (default 16). */
  partitions?: number;
}

function streamConfigs(l: JetStreamLayout): Array<Partial<StreamConfig> & { name: string }> {
  const replicas = l.replicas ?? 1;
  return [
    ...Array.from({ length: l.partitions ?? DEFAULT_PARTITIONS }, (_, p) => ({
      name: commandStream(p),
      // Exactly the partition's subjects: a command on any other subject is refused at publish
      // (no stream answers), instead of being stored where no consumer will ever read it.
      subjects: [`ep.cmd.${p}.*.*`],
      // Each command is consumed once by the partition's holder and deleted when acknowledged.
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      discard: DiscardPolicy.New,
      max_age: (l.commandsMaxAgeMs ?? 7 * DAY_MS) * NANOS,
      duplicate_window: 120_000 * NANOS,
      num_replicas: replicas,
    })),
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
  await removeLegacyCommandStream(jsm);
  for (const cfg of streamConfigs(layout)) {
    try {
      await jsm.streams.info(cfg.name);
      await jsm.streams.update(cfg.name, cfg);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await jsm.streams.add(cfg);
    }
  }
  const partitions = layout.partitions ?? DEFAULT_PARTITIONS;
  for (let p = 0; p < partitions; p++) await jsm.consumers.add(commandStream(p), partitionConsumerConfig(p));
  const js = nc.jetstream();
  await js.views.kv(KV_CHECKPOINTS, { history: 1, replicas: layout.replicas ?? 1 });
  return jsm;
}

export function partitionConsumerConfig(partition: number): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: partitionConsumer(partition),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 30_000 * NANOS,
    max_ack_pending: 20_000,
    filter_subject: partitionFilter(partition),
  };
}

/** The single command stream of earlier versions overlaps the partitions' subjects: it must go. */
async function removeLegacyCommandStream(jsm: JetStreamManager): Promise<void> {
  try {
    const info = await jsm.streams.info(STREAM_COMMANDS);
    if (info.state.messages > 0) throw new Error(`${STREAM_COMMANDS} (from an earlier version) still holds ${info.state.messages} unprocessed commands: run that version until it is empty, or delete the stream`);
    await jsm.streams.delete(STREAM_COMMANDS);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/**
 * A new holder of a partition starts its consumer afresh: on a workqueue stream every command not
 * yet acknowledged is still there, so the new consumer delivers them from the oldest, in order,
 * instead of the old holder's unacknowledged ones coming back after newer ones when their ack wait
 * expires. The old holder's late acknowledgements then go nowhere (its writes are fenced anyway).
 */
export async function resetPartitionConsumer(jsm: JetStreamManager, partition: number): Promise<void> {
  await jsm.consumers.delete(commandStream(partition), partitionConsumer(partition)).catch((e: unknown) => {
    if (!isNotFound(e)) throw e;
  });
  await jsm.consumers.add(commandStream(partition), partitionConsumerConfig(partition));
}

export function isNotFound(e: unknown): boolean {
  const err = e as { code?: string; api_error?: { err_code?: number } };
  return err?.api_error?.err_code === 10059 || err?.code === '404' || /not found/i.test(String((e as Error)?.message));
}
