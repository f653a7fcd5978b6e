import type { KV, NatsConnection } from 'nats';
import { ConfigError } from '../shared/errors.js';
import { KV_CHECKPOINTS } from '../transport/subjects.js';

const KEY = 'cluster.partitions';

/**
 * The partition count decides which subject an actor's commands travel on, so every process (and
 * every board) must use the same one. The first process records it; a process started with another
 * count refuses to start rather than consume the wrong subjects.
 */
export async function checkClusterPartitions(nc: NatsConnection, partitions: number): Promise<void> {
  const kv = await nc.jetstream().views.kv(KV_CHECKPOINTS, { history: 1 });
  const current = await kv.get(KEY);
  if (!current || current.operation !== 'PUT') {
    await kv.create(KEY, new TextEncoder().encode(String(partitions))).catch(() => undefined);
    return checkAgain(kv, partitions);
  }
  return checkAgain(kv, partitions);
}

async function checkAgain(kv: KV, partitions: number): Promise<void> {
  const e = await kv.get(KEY);
  const recorded = e ? Number(new TextDecoder().decode(e.value)) : partitions;
  if (recorded !== partitions) {
    throw new ConfigError(`this cluster uses ${recorded} partitions; start with --partitions ${recorded} (got ${partitions})`, { recorded, partitions });
  }
}
