/** Relay throughput in isolation: a pre-filled store relayed to a fresh EP_EVT. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSqliteEventStore } from '../src/eventstore/sqliteEventStore.js';
import { createLogger } from '../src/shared/logger.js';
import { ensureJetStream } from '../src/transport/jetstreamSetup.js';
import { connectNats } from '../src/transport/natsConnection.js';
import { startNatsServer } from '../src/transport/natsServer.js';
import { startRelay } from '../src/transport/relay.js';

const dir = mkdtempSync(join(tmpdir(), 'ep-relay-bench-'));
const nats = await startNatsServer({ dataDir: join(dir, 'nats') });
const store = getSqliteEventStore({ path: join(dir, 'e.db'), synchronous: 'OFF' });
const total = Number(process.env.N ?? 100_000);
for (let s = 0; s < total / 100; s++) {
  await store.append(`meter-m${s}`, Array.from({ length: 100 }, (_, i) => ({ id: randomUUID(), type: 'ReadingRecorded', data: { value: i, at: '2026-11-22T00:00:00.000Z' }, metadata: { commandId: randomUUID(), correlationId: 'x', causationId: 'y', timestamp: '2026-11-22T00:00:00.000Z' } })), 'no_stream');
}
const nc = await connectNats({ servers: nats.url, name: 'relay-bench' });
await ensureJetStream(nc);
const t0 = performance.now();
const relay = startRelay({ store, nc, logger: createLogger({ level: 'warn' }) });
await relay.waitFor(total, 120_000);
process.stdout.write(`relay alone: ${Math.round(total / ((performance.now() - t0) / 1000))} events/s\n`);
await relay.stop();
await nc.close();
await store.close();
await nats.stop();
rmSync(dir, { recursive: true, force: true });
