/**
 * bench/edge — one edge worker's link (disk buffer → forwarder → JetStream → actor host), with
 * its ceilings, measured in one run.
 *
 *   npx tsc -p tsconfig.json --outDir dist-bench && node dist-bench/bench/edge.js
 *   (BENCH_QUICK=1 for a run of about a minute)
 *
 * The edge worker runs on a worker thread (its own event loop, as on a board), the control plane
 * on the main thread. Readings are taken through the TMP102 driver from simulated chips
 * (src/edge/i2c), ten devices on three simulated buses. Prints a table and writes
 * bench/results/edge.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { builtinDeciders } from '../src/actors/kinds/index.js';
import { resolveConfig } from '../src/config.js';
import type { EventStore } from '../src/eventstore/eventStore.js';
import { startControlPlane } from '../src/main.js';
import { createLogger } from '../src/shared/logger.js';
import { createCommandBus } from '../src/transport/commandBus.js';
import { connectNats } from '../src/transport/natsConnection.js';
import { startNatsServer } from '../src/transport/natsServer.js';
import type { EdgeMessage, EdgeTask } from './edgeWorker.js';
import { runBench, writeResults } from './report.js';

const QUICK = process.env.BENCH_QUICK === '1';
const N = {
  append: QUICK ? 30_000 : 100_000,
  publish: QUICK ? 30_000 : 100_000,
  stream: QUICK ? 30_000 : 100_000,
  outage: QUICK ? 20_000 : 50_000,
  steadyRate: 1000,
  steadySeconds: QUICK ? 5 : 15,
  /** Devices on the board. */
  sensors: 10,
};

interface Run {
  result: Record<string, number>;
  marks: Record<string, number>;
}

function runWorker(task: EdgeTask): Promise<Run> {
  return new Promise((resolve, reject) => {
    const marks: Record<string, number> = {};
    const w = new Worker(new URL('./edgeWorker.js', import.meta.url), { workerData: task });
    w.on('message', (m: EdgeMessage) => {
      if (m.type === 'mark') marks[m.name] = m.at;
      else if (m.type === 'done') resolve({ result: m.result, marks });
      else reject(new Error(m.error));
    });
    w.once('error', reject);
  });
}

/** Counts ReadingRecorded events per phase (the sensor id's prefix) as the store appends them. */
function watchReadings(store: EventStore, after: number) {
  const counts = new Map<string, number>();
  const latencies = new Map<string, number[]>();
  let waiters: Array<{ phase: string; n: number; resolve: (at: number) => void }> = [];
  const abort = new AbortController();
  void (async () => {
    for await (const batch of store.subscribeAll({ after, signal: abort.signal })) {
      const now = Date.now();
      for (const e of batch) {
        if (e.type !== 'ReadingRecorded') continue;
        const phase = e.stream.slice('sensor-'.length).split('-')[0]!;
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
        latencies.get(phase)?.push(now - Date.parse((e.data as { at: string }).at));
      }
      waiters = waiters.filter((w) => ((counts.get(w.phase) ?? 0) >= w.n ? (w.resolve(now), false) : true));
    }
  })();
  return {
    /** Resolves with the time (Date.now) the phase's n-th reading was appended. */
    until(phase: string, n: number): Promise<number> {
      return new Promise((resolve) => {
        if ((counts.get(phase) ?? 0) >= n) resolve(Date.now());
        else waiters.push({ phase, n, resolve });
      });
    },
    trackLatency(phase: string): number[] {
      const l: number[] = [];
      latencies.set(phase, l);
      return l;
    },
    stop: () => abort.abort(),
  };
}

function percentiles(samples: number[]): { p50: number; p99: number; max: number; count: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? 0, count: s.length };
}

const rate = (count: number, ms: number) => Math.round(count / (ms / 1000));
const round = (n: number) => Math.round(n * 100) / 100;
const fmt = (n: number) => n.toLocaleString('en-US');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ep-bench-edge-'));
  const nats = await startNatsServer({ dataDir: join(dir, 'nats') });
  const results: Record<string, unknown> = { quick: QUICK, cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, date: new Date().toISOString(), readingSource: 'simulated TMP102 (src/edge/i2c) through its driver' };
  try {
    // Ceilings: the bare buffer, and bare JetStream from one client.
    const append = await runWorker({ task: 'append', dir: join(dir, 'bare-buffer'), count: N.append, window: 1000 });
    const nc = await connectNats({ servers: nats.url, name: 'bench-edge-admin' });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'BENCH_EDGE', subjects: ['benchedge.>'] });
    const js = await runWorker({ task: 'jsPublish', url: nats.url, subject: 'benchedge.js', count: N.publish, window: 2000 });
    const lean = await runWorker({ task: 'leanPublish', url: nats.url, subject: 'benchedge.lean', count: N.publish, window: 4000 });
    await jsm.streams.delete('BENCH_EDGE');

    // The control plane, with the board's devices attached, one set per phase.
    const cp = await startControlPlane(resolveConfig({ dataDir: join(dir, 'cp'), natsUrl: nats.url, snapshotEvery: 100, httpPort: null }, {}), builtinDeciders, createLogger({ level: 'error' }));
    const bus = createCommandBus(nc);
    const sensorsOf = (phase: string) => Array.from({ length: N.sensors }, (_, i) => `${phase}-${i}`);
    for (const phase of ['warm', 'e2e', 'syn', 'steady', 'out']) {
      for (const id of sensorsOf(phase)) await bus.send('sensor', id, { type: 'AttachSensor', data: { role: 'sensor', type: 'temperature', unit: 'C', parent: 'reactor/bench' } });
    }
    const watch = watchReadings(cp.store, await cp.store.headPosition());
    const stream = async (phase: string, count: number, source: 'tmp102' | 'synthetic' = 'tmp102'): Promise<Record<string, number>> => {
      const run = await runWorker({ task: 'stream', url: nats.url, dir: join(dir, `buffer-${phase}`), sensors: sensorsOf(phase), count, window: 1000, source });
      const appendedAt = await watch.until(phase, count);
      return { ...run.result, appendedMs: appendedAt - run.marks.producing! };
    };

    // Warm-up (discarded): JIT, SQLite pages, JetStream consumers.
    await stream('warm', 5000);
    // Throughput: readings produced as fast as the buffer takes them, delivered as fast as they go.
    const e2e = await stream('e2e', N.stream);
    // The same without a driver in the way: the link's own capacity.
    const syn = await stream('syn', N.stream, 'synthetic');
    // Latency: a board sampling at a steady rate, reading taken → event appended.
    const steadyLatency = watch.trackLatency('steady');
    const steady = await runWorker({ task: 'steady', url: nats.url, dir: join(dir, 'buffer-steady'), sensors: sensorsOf('steady'), rate: N.steadyRate, seconds: N.steadySeconds });
    await watch.until('steady', steady.result.count!);
    const appended = percentiles(steadyLatency);
    // Outage: N readings buffered with the board offline, then the time to flush them.
    const outage = await runWorker({ task: 'outage', url: nats.url, dir: join(dir, 'buffer-out'), sensors: sensorsOf('out'), count: N.outage, window: 1000 });
    const outageAppendedAt = await watch.until('out', N.outage);
    const outageAppendedMs = outageAppendedAt - outage.marks.draining!;

    watch.stop();
    bus.close();
    await cp.stop();
    await nc.close();

    const r = {
      endToEnd: {
        readings: N.stream,
        sensors: N.sensors,
        pubAckedPerSec: rate(N.stream, e2e.ackedSeconds! * 1000),
        appendedPerSec: rate(N.stream, e2e.appendedMs!),
        producedPerSec: rate(N.stream, e2e.producedSeconds! * 1000),
        duplicates: e2e.duplicates,
      },
      linkOnly: {
        readings: N.stream,
        pubAckedPerSec: rate(N.stream, syn.ackedSeconds! * 1000),
        appendedPerSec: rate(N.stream, syn.appendedMs!),
        producedPerSec: rate(N.stream, syn.producedSeconds! * 1000),
      },
      steady: {
        offeredPerSec: N.steadyRate,
        seconds: N.steadySeconds,
        takenToAppendedMs: { p50: appended.p50, p99: appended.p99, max: appended.max, count: appended.count },
        takenToPubAckMs: { p50: steady.result.pubAckP50, p99: steady.result.pubAckP99, max: steady.result.pubAckMax },
      },
      outage: {
        readings: N.outage,
        bufferedBytes: outage.result.bytes,
        bufferedPerSec: rate(N.outage, outage.result.bufferedSeconds! * 1000),
        drainSeconds: round(outage.result.drainSeconds!),
        drainedPubAckPerSec: rate(N.outage, outage.result.drainSeconds! * 1000),
        drainedAppendedPerSec: rate(N.outage, outageAppendedMs),
      },
      ceilings: {
        bufferAppendGroupedPerSec: Math.round(append.result.grouped!),
        bufferAppendOneAtATimePerSec: Math.round(append.result.sequential!),
        bareJetStreamPublishPerSec: Math.round(js.result.rate!),
        pipelinedPublishPerSec: Math.round(lean.result.rate!),
      },
    };
    Object.assign(results, r, {
      ratioLinkPubAckedOverBareJetStream: round(r.linkOnly.pubAckedPerSec / r.ceilings.bareJetStreamPublishPerSec),
      ratioLinkPubAckedOverBufferAppend: round(r.linkOnly.pubAckedPerSec / r.ceilings.bufferAppendGroupedPerSec),
    });

    const rows: Array<[string, string]> = [
      [`end to end: readings/s, produced → JetStream PubAck (${N.sensors} devices, ≤ 100 per message)`, fmt(r.endToEnd.pubAckedPerSec)],
      ['  produced → ReadingRecorded appended', fmt(r.endToEnd.appendedPerSec)],
      ['  readings taken through the TMP102 driver (the source)', fmt(r.endToEnd.producedPerSec)],
      ['link alone (ready-made readings): → PubAck / → appended', `${fmt(r.linkOnly.pubAckedPerSec)} / ${fmt(r.linkOnly.appendedPerSec)}`],
      ['  ÷ bare buffer append (grouped)', String(results.ratioLinkPubAckedOverBufferAppend)],
      ['  ÷ bare JetStream js.publish (one reading per message there, ≤ 100 here)', String(results.ratioLinkPubAckedOverBareJetStream)],
      [`steady ${fmt(N.steadyRate)}/s: reading taken → event appended p50 / p99 / max`, `${appended.p50} / ${appended.p99} / ${appended.max} ms`],
      ['  reading taken → PubAck p50 / p99 / max', `${steady.result.pubAckP50} / ${steady.result.pubAckP99} / ${steady.result.pubAckMax} ms`],
      [`outage: ${fmt(N.outage)} readings buffered offline (${fmt(Math.round(outage.result.bytes! / 1024))} KiB), drained in`, `${r.outage.drainSeconds} s`],
      ['  flush rate → PubAck / → appended (readings/s)', `${fmt(r.outage.drainedPubAckPerSec)} / ${fmt(r.outage.drainedAppendedPerSec)}`],
      ['ceiling: bare buffer append, grouped fsync (1,000 outstanding)', fmt(r.ceilings.bufferAppendGroupedPerSec)],
      ['ceiling: bare buffer append, one at a time (1 fsync each)', fmt(r.ceilings.bufferAppendOneAtATimePerSec)],
      ['ceiling: bare JetStream js.publish, one client', fmt(r.ceilings.bareJetStreamPublishPerSec)],
      ['ceiling: pipelined publish (the forwarder\'s publisher)', fmt(r.ceilings.pipelinedPublishPerSec)],
    ];
    const w = Math.max(...rows.map((row) => row[0].length));
    process.stdout.write(`\nbench/edge${QUICK ? ' (BENCH_QUICK)' : ''} — ${results.cpus} cores, ${results.cpu}, node ${results.node}\n\n`);
    for (const [name, value] of rows) process.stdout.write(`${name.padEnd(w)}  ${value.padStart(22)}\n`);
    writeResults('edge', results);
  } finally {
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
