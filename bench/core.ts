/**
 * bench/core — the core's speed, with its ceilings and a peer, measured in one run.
 *
 *   npm run bench            (BENCH_QUICK=1 for a run under a minute)
 *
 * Prints a table and writes bench/results/core.json.
 */
import { appendToStream as emmettAppend, createEventStoreSchema, readStream as emmettRead, sqliteConnection } from '@event-driven-io/emmett-sqlite';
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { resolveConfig } from '../src/config.js';
import type { EventData } from '../src/eventstore/eventStore.js';
import { getSqliteEventStore } from '../src/eventstore/sqliteEventStore.js';
import { ensureSchema, idKey } from '../src/eventstore/sqliteSchema.js';
import { WRITER_CACHE_KIB } from '../src/eventstore/sqliteWriter.js';
import { startControlPlane } from '../src/main.js';
import { keepYoungPausesShort } from '../src/shared/heap.js';
import { createLogger } from '../src/shared/logger.js';
import { connectNats } from '../src/transport/natsConnection.js';
import { startNatsServer } from '../src/transport/natsServer.js';
import { meterDecider } from './meter.decider.js';
import type { Task } from './worker.js';
import { runBench, writeResults } from './report.js';

const QUICK = process.env.BENCH_QUICK === '1';
const N = {
  publish: QUICK ? 30_000 : 100_000,
  commands: QUICK ? 30_000 : 100_000,
  readingMessages: QUICK ? 1_500 : 5_000,
  perMessage: 100,
  actors: 1000,
  latencySeconds: QUICK ? 5 : 15,
  latencyRate: 1000,
  storeEvents: QUICK ? 10_000 : 30_000,
  rawSqlite: QUICK ? 50_000 : 200_000,
  /** Commands published but not yet relayed, at most, in the sustained run. */
  outstanding: 5000,
};

function runWorker<R>(task: Task): Promise<R> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: task });
    w.once('message', (m: { ok: boolean; result: R; error: string }) => (m.ok ? resolve(m.result) : reject(new Error(m.error))));
    w.once('error', reject);
  });
}

const rate = (count: number, ms: number) => Math.round(count / (ms / 1000));

const event = (i: number): EventData => ({
  id: randomUUID(),
  type: 'ReadingRecorded',
  data: { value: i * 0.5, at: '2026-11-22T00:00:00.000Z' },
  metadata: { commandId: randomUUID(), correlationId: 'bench', causationId: 'bench', timestamp: '2026-11-22T00:00:00.000Z' },
});

/**
 * Bare better-sqlite3 with our schema (the id looked up before each insert, as the writer does),
 * WAL, synchronous=FULL, the writer's cache, `perTxn` rows per transaction.
 */
function rawSqlite(path: string, count: number, perTxn: number): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
  ensureSchema(db);
  const exists = db.prepare('SELECT 1 FROM events WHERE id_key = ? AND id = ?').pluck();
  const insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata, id_key) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const events = Array.from({ length: count }, (_, i) => event(i));
  const txn = db.transaction((from: number) => {
    for (let i = from; i < Math.min(from + perTxn, count); i++) {
      const e = events[i]!;
      const key = idKey(e.id);
      if (exists.get(key, e.id)) throw new Error(`duplicate id ${e.id}`);
      insert.run(`meter-m${i % 1000}`, Math.floor(i / 1000), e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata), key);
    }
  });
  const t0 = performance.now();
  for (let i = 0; i < count; i += perTxn) txn(i);
  const ms = performance.now() - t0;
  db.close();
  return rate(count, ms);
}

/** The same events through our store (as the actor host issues them: concurrently) and Emmett's. */
async function storeVersusEmmett(dir: string) {
  const count = N.storeEvents;
  const streams = 1000;
  const events = Array.from({ length: count }, (_, i) => event(i));

  const ours = getSqliteEventStore({ path: join(dir, 'ours.db'), synchronous: 'FULL' });
  let t0 = performance.now();
  // One event per append, as one command per message produces; every actor's next append waits
  // for its previous one (one mailbox each), all actors at once.
  await Promise.all(
    Array.from({ length: streams }, async (_, s) => {
      for (let i = s, rev = -1; i < count; i += streams, rev++) {
        await ours.append(`meter-m${s}`, [events[i]!], rev === -1 ? 'no_stream' : rev);
      }
    }),
  );
  const oursAppend = rate(count, performance.now() - t0);
  t0 = performance.now();
  let read = 0;
  for (let s = 0; s < streams; s++) read += (await ours.readStream(`meter-m${s}`)).length;
  const oursRead = rate(read, performance.now() - t0);
  await ours.close();

  // Ours, strictly one append at a time (no group commit possible): the floor of the store path.
  const seq = getSqliteEventStore({ path: join(dir, 'ours-seq.db'), synchronous: 'FULL' });
  const seqCount = Math.min(count, 5000);
  t0 = performance.now();
  for (let i = 0; i < seqCount; i++) await seq.append(`meter-m${i % streams}`, [events[i]!], 'any');
  const oursSequential = rate(seqCount, performance.now() - t0);
  await seq.close();

  // Emmett: one persistent connection (its fastest use), same file settings, its own append
  // (one transaction each; its connection cannot run transactions concurrently).
  const conn = sqliteConnection({ fileName: join(dir, 'emmett.db') });
  await conn.command('PRAGMA journal_mode = WAL');
  await conn.command('PRAGMA synchronous = FULL');
  await createEventStoreSchema(conn);
  t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const e = events[i]!;
    await emmettAppend(conn, `meter-m${i % streams}`, 'meter', [{ type: e.type, data: e.data as Record<string, unknown>, metadata: e.metadata }]);
  }
  const emmettAppendRate = rate(count, performance.now() - t0);
  t0 = performance.now();
  read = 0;
  for (let s = 0; s < streams; s++) read += (await emmettRead(conn, `meter-m${s}`)).events.length;
  const emmettReadRate = rate(read, performance.now() - t0);
  conn.close();
  return { oursAppend, oursSequential, oursRead, emmettAppend: emmettAppendRate, emmettRead: emmettReadRate };
}

async function main(): Promise<void> {
  // What `edgeplane start` does before any of its code runs: the store ceilings below run the
  // control plane's own store code first, and must not leave its allocation sites pretenured.
  keepYoungPausesShort();
  const dir = mkdtempSync(join(tmpdir(), 'ep-bench-'));
  const nats = await startNatsServer({ dataDir: join(dir, 'nats') });
  const results: Record<string, unknown> = { quick: QUICK, cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, date: new Date().toISOString() };
  try {
    const nc = await connectNats({ servers: nats.url, name: 'bench-admin' });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'BENCH', subjects: ['bench.>'] });

    // Ceilings.
    const js = await runWorker<{ seconds: number }>({ task: 'jsPublish', url: nats.url, count: N.publish, subject: 'bench.js' });
    const lean = await runWorker<{ seconds: number }>({ task: 'leanPublish', url: nats.url, count: N.publish, subject: 'bench.lean' });
    await jsm.streams.delete('BENCH');
    const bareJs = Math.round(N.publish / js.seconds);
    const bareLean = Math.round(N.publish / lean.seconds);
    mkdirSync(join(dir, 'sqlite'), { recursive: true });
    const sqlite100 = rawSqlite(join(dir, 'sqlite', 'raw100.db'), N.rawSqlite, 100);
    const sqlite1 = rawSqlite(join(dir, 'sqlite', 'raw1.db'), Math.min(N.rawSqlite, 5000), 1);
    const store = await storeVersusEmmett(join(dir, 'sqlite'));
    await nc.close();

    // End to end: the control plane in this process, the load from a worker thread.
    const cp = await startControlPlane(resolveConfig({ dataDir: join(dir, 'cp'), natsUrl: nats.url, snapshotEvery: 100, httpPort: null }, {}), [meterDecider], createLogger({ level: 'warn' }));
    const endToEnd = async (task: Task, events: number) => {
      const head = await cp.store.headPosition();
      const t0 = performance.now();
      let appendedMs = 0;
      const watch = setInterval(() => {
        void cp.store.headPosition().then((p) => {
          if (!appendedMs && p >= head + events) appendedMs = performance.now() - t0;
        });
      }, 5);
      const sent = await runWorker<{ seconds: number }>(task);
      // The relay is the leader's: wait on whichever relay runs now (an overloaded process may step
      // down and take the lease back, starting a new relay).
      const until = Date.now() + 300_000;
      while ((cp.relay?.position ?? 0) < head + events) {
        if (Date.now() > until) throw new Error(`the relay did not reach ${head + events} in 300 s (at ${cp.relay?.position})`);
        await (cp.relay?.waitFor(head + events, 1000).catch(() => undefined) ?? new Promise((r) => setTimeout(r, 100)));
      }
      clearInterval(watch);
      const relayedMs = performance.now() - t0;
      return { perSecond: rate(events, relayedMs), appendedPerSecond: rate(events, appendedMs || relayedMs), publishSeconds: sent.seconds };
    };
    const measureLatency = (runId: string, seconds = N.latencySeconds) =>
      runWorker<{ p50: number; p99: number; max: number; count: number }>({
        task: 'latency',
        url: nats.url,
        rate: N.latencyRate,
        seconds,
        actors: N.actors,
        runId,
      });
    // Warm-up (discarded): both paths once, so JIT compilation is not measured as latency.
    await endToEnd({ task: 'commands', url: nats.url, count: 5000, actors: N.actors, runId: 'warm' }, 5000);
    await measureLatency('warm-lat', 2);
    // Steady state: 1,000 commands/s on a warmed, otherwise idle control plane.
    const latency = await measureLatency('lat');
    const commands = await endToEnd({ task: 'commands', url: nats.url, count: N.commands, actors: N.actors, runId: 'cmd', outstanding: N.outstanding }, N.commands);
    const burst = await endToEnd({ task: 'commands', url: nats.url, count: N.commands, actors: N.actors, runId: 'burst' }, N.commands);
    const readings = await endToEnd(
      { task: 'readings', url: nats.url, messages: N.readingMessages, perMessage: N.perMessage, actors: N.actors, runId: 'rd' },
      N.readingMessages * N.perMessage,
    );
    // Again right after the bursts (the WAL checkpoint and JetStream still digesting them).
    const latencyAfterLoad = await measureLatency('lat2');
    await cp.stop();

    Object.assign(results, {
      endToEndCommandsPerSec: commands.perSecond,
      endToEndCommandsOutstandingLimit: N.outstanding,
      burstCommandsPerSec: burst.perSecond,
      endToEndReadingsPerSec: readings.perSecond,
      appendedCommandsPerSec: commands.appendedPerSecond,
      appendedReadingsPerSec: readings.appendedPerSecond,
      publishSeconds: { commands: round(commands.publishSeconds), readings: round(readings.publishSeconds) },
      latencyMs: { p50: round(latency.p50), p99: round(latency.p99), max: round(latency.max), offeredPerSec: N.latencyRate, count: latency.count },
      latencyAfterBurstMs: { p50: round(latencyAfterLoad.p50), p99: round(latencyAfterLoad.p99), max: round(latencyAfterLoad.max) },
      ceilings: { bareJetStreamPublishPerSec: bareJs, leanJetStreamPublishPerSec: bareLean, bareSqliteFull100PerTxn: sqlite100, bareSqliteFull1PerTxn: sqlite1 },
      ratioEndToEndOverBareJetStream: round(commands.perSecond / bareJs),
      store,
      storeOverEmmettAppend: round(store.oursAppend / store.emmettAppend),
      storeOverEmmettRead: round(store.oursRead / store.emmettRead),
      targets: { commandsPerSec: 8000, ratio: 0.45, readingsPerSec: 40_000, p99Ms: 5, storeOverEmmett: 2 },
    });
    const rows: Array<[string, string, string]> = [
      [`end-to-end commands/s (1 per msg, 1,000 actors, ≤ ${fmt(N.outstanding)} outstanding)`, fmt(commands.perSecond), '≥ 8,000'],
      ['  ÷ bare JetStream publish (nats.js js.publish)', String(round(commands.perSecond / bareJs)), '≥ 0.45'],
      ['  of which decided + appended (before relay)', fmt(commands.appendedPerSecond), ''],
      [`burst: ${fmt(N.commands)} commands published at once, drained at`, fmt(burst.perSecond), ''],
      ['end-to-end readings/s (100 per msg)', fmt(readings.perSecond), '≥ 40,000'],
      ['  of which decided + appended (before relay)', fmt(readings.appendedPerSecond), ''],
      [`request/reply latency @ ${N.latencyRate}/s p50 / p99`, `${round(latency.p50)} / ${round(latency.p99)} ms`, 'p99 ≤ 5 ms'],
      ['  the same right after the bursts', `${round(latencyAfterLoad.p50)} / ${round(latencyAfterLoad.p99)} ms`, ''],
      ['ceiling: bare JetStream js.publish, one client', fmt(bareJs), ''],
      ['ceiling: pipelined publish (our publisher)', fmt(bareLean), ''],
      ['ceiling: bare SQLite FULL, 100 rows/txn', fmt(sqlite100), ''],
      ['ceiling: bare SQLite FULL, 1 row/txn', fmt(sqlite1), ''],
      ['store append/s (group commit, 1 event/append)', fmt(store.oursAppend), ''],
      ['store append/s (one append at a time)', fmt(store.oursSequential), ''],
      ['peer: Emmett SQLite append/s (same events, FULL)', fmt(store.emmettAppend), ''],
      ['  store ÷ Emmett (append)', String(round(store.oursAppend / store.emmettAppend)), '≥ 2'],
      ['store readStream events/s', fmt(store.oursRead), ''],
      ['peer: Emmett readStream events/s', fmt(store.emmettRead), ''],
      ['  store ÷ Emmett (read)', String(round(store.oursRead / store.emmettRead)), ''],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`\nbench/core${QUICK ? ' (BENCH_QUICK)' : ''} — ${results.cpus} cores, ${results.cpu}, node ${results.node}\n\n`);
    for (const [name, value, target] of rows) process.stdout.write(`${name.padEnd(w)}  ${value.padStart(16)}  ${target}\n`);
    writeResults('core', results);
  } finally {
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

runBench(main);
