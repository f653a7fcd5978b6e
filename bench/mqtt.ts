/**
 * bench/mqtt — MQTT readings from 1,000 simulated plugs (1,000 real mqtt.js connections, each
 * with its own credentials, in a worker thread) through nats-server's MQTT listener and the
 * bridge to PowerRecorded events appended, beside the ceiling in the same run:
 *
 * - ceiling: bare QoS 1 publishes into nats-server with nothing consuming (PUBACK rate), and the
 *   same with the bridge's durable consumer present but idle (what the honest ack costs: every
 *   message is then stored in `$MQTT_msgs` before its PUBACK);
 * - edgeplane: a burst of readings, PUBACK rate and events appended/s (publish start → last
 *   event appended), then a steady 1,000 readings/s with p50/p99 publish → event appended.
 *
 *   node dist-bench/bench/mqtt.js      (BENCH_QUICK=1 for a short run)
 *
 * Prints a table and writes bench/results/mqtt.json.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { builtinDeciders } from '../src/actors/kinds/index.js';
import { resolveConfig } from '../src/config.js';
import { startControlPlane } from '../src/main.js';
import { BRIDGE_DURABLE, MQTT_MSGS_STREAM, mqttServerConfig, type MqttDevice } from '../src/mqtt/index.js';
import { ensureMqttIntake } from '../src/mqtt/natsMqtt.js';
import { createLogger } from '../src/shared/logger.js';
import { connectNats } from '../src/transport/natsConnection.js';
import { freePort, startNatsServer } from '../src/transport/natsServer.js';
import { runBench, writeResults } from './report.js';

const QUICK = process.env.BENCH_QUICK === '1';
const PLUGS = 1000;
const BURST_PER_PLUG = QUICK ? 10 : 30;
const RATE_WARMUP_S = 1;
const WINDOW = 8; // QoS 1 publishes in flight per plug during a burst
const RATE = 1000; // readings/s in the latency run (each plug once a second)
const RATE_SECONDS = QUICK ? 8 : 20;
const T0 = Date.UTC(2026, 0, 1);

type Job = { cmd: 'burst'; perPlug: number; from: number } | { cmd: 'rate'; perSecond: number; seconds: number } | { cmd: 'close' };
type BurstResult = { count: number; ms: number; pubackP99Ms: number };
type RateResult = { count: number; lateSends: number; pubackP99Ms: number };

const devices = (): MqttDevice[] => Array.from({ length: PLUGS }, (_, i) => ({ user: `plug-${i}`, password: `pw-${i}`, topic: `daemons/plug-${i}` }));
const now = () => performance.timeOrigin + performance.now();
const round = (n: number) => Math.round(n * 100) / 100;
function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The load: 1,000 plugs, each its own connection and user. */
async function loadWorker(): Promise<void> {
  const { port } = workerData as { port: number };
  const clients: MqttClient[] = [];
  for (const d of devices()) {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: d.user, password: d.password, clientId: d.user, protocolVersion: 4, clean: true, reconnectPeriod: 0 });
    (c.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    clients.push(c);
  }
  parentPort!.postMessage({ connected: clients.length });
  parentPort!.on('message', (job: Job) => {
    void run(job).then((r) => parentPort!.postMessage(r));
  });
  async function run(job: Job): Promise<BurstResult | RateResult | { closed: true }> {
    if (job.cmd === 'close') {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      return { closed: true };
    }
    const acks: number[] = [];
    const publish = (i: number, at: number) => {
      const t = now();
      return clients[i]!.publishAsync(`daemons/plug-${i}/power`, JSON.stringify({ watts: 100 + (i % 900), at: new Date(at).toISOString() }), { qos: 1 }).then(() => {
        acks.push(now() - t);
      });
    };
    if (job.cmd === 'burst') {
      const t0 = now();
      // Readings 10 s apart in the plug's own time: unique, as a real plug's are.
      await Promise.all(
        clients.map(async (_, i) => {
          const inFlight = new Set<Promise<void>>();
          for (let k = job.from; k < job.from + job.perPlug; k++) {
            const p = publish(i, T0 + k * 10_000);
            inFlight.add(p);
            void p.finally(() => inFlight.delete(p));
            if (inFlight.size >= WINDOW) await Promise.race(inFlight);
          }
          await Promise.all(inFlight);
        }),
      );
      return { count: acks.length, ms: now() - t0, pubackP99Ms: percentile(acks, 99) };
    }
    // Open loop at a fixed rate; `at` is the send time, so the event carries its own start.
    const total = job.perSecond * job.seconds;
    const t0 = now();
    let late = 0;
    const pending: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const due = t0 + (n * 1000) / job.perSecond;
      const wait = due - now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -5) late++;
      pending.push(publish(n % PLUGS, Date.now()));
    }
    await Promise.all(pending);
    return { count: acks.length, lateSends: late, pubackP99Ms: percentile(acks, 99) };
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ep-bench-mqtt-'));
  const port = await freePort();
  const cp_user = { user: 'edgeplane', password: 'bench-cp' };
  const nats = await startNatsServer({
    dataDir: join(dir, 'nats'),
    extraConfig: mqttServerConfig({ port, host: '127.0.0.1', serverName: 'ep-bench-mqtt', devices: devices(), controlPlane: cp_user, noAuthControlPlane: true }),
  });
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'load', port } });
  const replies: Array<(v: unknown) => void> = [];
  worker.on('message', (m) => replies.shift()?.(m));
  worker.once('error', (e) => {
    throw e;
  });
  const next = <T>() => new Promise<T>((r) => replies.push(r as (v: unknown) => void));
  const ask = <T>(job: Job) => {
    const p = next<T>();
    worker.postMessage(job);
    return p;
  };
  try {
    const connectStart = now();
    await next<{ connected: number }>();
    const connectMs = now() - connectStart;
    let from = 0;
    const burst = async () => {
      const r = await ask<BurstResult>({ cmd: 'burst', perPlug: BURST_PER_PLUG, from });
      from += BURST_PER_PLUG;
      return r;
    };

    await burst(); // warm-up: connections, JIT, the server's first sessions
    // Ceiling 1: nothing consumes (`$MQTT_msgs` keeps nothing without interest).
    const bare = await burst();
    // Ceiling 2: the bridge's consumer exists but idles: every message is stored before its PUBACK.
    const nc = await connectNats({ servers: nats.url, name: 'bench-mqtt' });
    const jsm = await nc.jetstreamManager();
    await ensureMqttIntake(jsm, { maxAckPending: 2000 });
    const stored = await burst();
    await jsm.consumers.delete(MQTT_MSGS_STREAM, BRIDGE_DURABLE);
    await jsm.streams.purge(MQTT_MSGS_STREAM);

    // edgeplane: the control plane with its bridge, 1,000 registered plugs.
    const cp = await startControlPlane(
      resolveConfig({ dataDir: join(dir, 'cp'), natsUrl: nats.url, heartbeatTimeoutMs: 3_600_000, httpPort: null, mqtt: { port } }, {}),
      builtinDeciders,
      createLogger({ level: 'warn' }),
    );
    for (let i = 0; i < PLUGS; i++) {
      const [r] = await cp.host.dispatch('daemon', `plug-${i}`, [{ id: `register-${i}`, type: 'RegisterDaemon', data: { owner: 'bench' } }]);
      if (!r!.ok) throw new Error(`plug-${i}: ${JSON.stringify(r!.error)}`);
    }
    while (!cp.mqtt) await new Promise((r) => setTimeout(r, 50));
    const appended: number[] = []; // arrival times of PowerRecorded events
    const latency: number[] = [];
    const toDecided: number[] = []; // publish → the actor decided (its event's timestamp), for where the time goes
    /** Readings sent before this (epoch ms) are the rate run's warm-up, not measured. */
    let measureFrom = Number.POSITIVE_INFINITY;
    const abort = new AbortController();
    const follow = (async () => {
      for await (const batch of cp.store.subscribeAll({ after: await cp.store.headPosition(), signal: abort.signal })) {
        const t = now();
        for (const e of batch) {
          if (e.type !== 'PowerRecorded') continue;
          appended.push(t);
          const at = Date.parse((e.data as { at: string }).at);
          if (at >= measureFrom) {
            latency.push(t - at);
            toDecided.push(Date.parse(String(e.metadata.timestamp)) - at);
          }
        }
      }
    })().catch(() => undefined);
    const waitFor = async (n: number) => {
      while (appended.length < n) await new Promise((r) => setTimeout(r, 20));
    };

    const t0 = now();
    const ours = await burst();
    await waitFor(ours.count);
    const burstMs = appended[ours.count - 1]! - t0;

    // Let the burst's tail (relay, projections) settle, then a second of warm-up at the rate.
    await new Promise((r) => setTimeout(r, 2000));
    measureFrom = Date.now() + RATE_WARMUP_S * 1000;
    const rate = await ask<RateResult>({ cmd: 'rate', perSecond: RATE, seconds: RATE_SECONDS });
    await waitFor(ours.count + rate.count);
    const stats = cp.mqtt.stats();
    abort.abort();
    await follow;
    await ask({ cmd: 'close' });
    await worker.terminate();
    await cp.stop();
    await nc.close();

    const perSec = (count: number, ms: number) => Math.round(count / (ms / 1000));
    const results = {
      quick: QUICK,
      cpus: cpus().length,
      node: process.version,
      date: new Date().toISOString(),
      load: { plugs: PLUGS, connections: PLUGS, transport: 'one mqtt.js connection per plug, own user, QoS 1', burstPerPlug: BURST_PER_PLUG, windowPerPlug: WINDOW, connectAllMs: Math.round(connectMs) },
      ceiling: {
        bareQos1PubackPerSec: perSec(bare.count, bare.ms),
        bareQos1PubackP99Ms: round(bare.pubackP99Ms),
        storedQos1PubackPerSec: perSec(stored.count, stored.ms),
        storedQos1PubackP99Ms: round(stored.pubackP99Ms),
      },
      edgeplane: {
        readingsToEventsPerSec: perSec(ours.count, burstMs),
        pubackPerSec: perSec(ours.count, ours.ms),
        burstReadings: ours.count,
        latencyAtRate: { readingsPerSec: RATE, seconds: RATE_SECONDS, count: latency.length, lateSends: rate.lateSends, p50Ms: round(percentile(latency, 50)), p99Ms: round(percentile(latency, 99)), maxMs: round(percentile(latency, 100)), toDecidedP99Ms: round(percentile(toDecided, 99)), pubackP99Ms: round(rate.pubackP99Ms) },
        bridge: { commands: stats.commands, duplicates: stats.duplicates, dropped: stats.dropped, rejected: stats.rejected, publishFailures: stats.publishFailures },
      },
    };
    const out = process.stdout;
    out.write(`\nbench/mqtt${QUICK ? ' (BENCH_QUICK)' : ''} — ${PLUGS} plugs over MQTT (1 connection each), ${cpus().length} cores\n\n`);
    out.write(`                                         readings/s   p99 ms\n`);
    out.write(`ceiling: QoS 1 PUBACKs, nothing consuming ${String(results.ceiling.bareQos1PubackPerSec).padStart(10)} ${String(results.ceiling.bareQos1PubackP99Ms).padStart(8)}  (publish → PUBACK)\n`);
    out.write(`ceiling: QoS 1 PUBACKs, stored for bridge ${String(results.ceiling.storedQos1PubackPerSec).padStart(10)} ${String(results.ceiling.storedQos1PubackP99Ms).padStart(8)}  (publish → PUBACK)\n`);
    out.write(`edgeplane: PUBACKs during the burst       ${String(results.edgeplane.pubackPerSec).padStart(10)}\n`);
    out.write(`edgeplane: readings → events appended     ${String(results.edgeplane.readingsToEventsPerSec).padStart(10)}           (${ours.count} readings)\n`);
    const l = results.edgeplane.latencyAtRate;
    out.write(`edgeplane at ${RATE}/s: publish → event appended  p50 ${l.p50Ms} ms  p99 ${l.p99Ms} ms  max ${l.maxMs} ms  (${l.count} readings; PUBACK p99 ${l.pubackP99Ms} ms, decided p99 ${l.toDecidedP99Ms} ms)\n`);
    writeResults('mqtt', results);
  } finally {
    await worker.terminate().catch(() => undefined);
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMainThread) runBench(main);
else void loadWorker();
