/**
 * bench/mqtt — MQTT readings from 1,000 simulated plugs (1,000 real mqtt.js connections, each
 * with its own credentials, in a worker thread) through nats-server's MQTT listener and the
 * bridge to PowerRecorded events appended, beside the ceiling in the same run:
 *
 * - ceiling: bare QoS 1 publishes into nats-server with nothing consuming (PUBACK rate), and the
 *   same with the bridge's durable consumer present but idle (what the honest ack costs: every
 *   message is then stored in `$MQTT_msgs` before its PUBACK);
 * - edgeplane: a burst of readings, PUBACK rate and events appended/s (publish start → last
 *   event appended), then a steady 1,000 readings/s with p50/p99 publish → event appended;
 * - peer: a bare mosquitto (Debian's /usr/sbin/mosquitto, the broker a Paddy user runs today) with
 *   one mqtt.js subscriber on `daemons/+/power` standing in for Paddy's backend, driven by the same
 *   load (a fresh worker, same 1,000 connections, payloads, QoS 1 and window): the same burst,
 *   readings/s publish start → last reading received (the round trip), then the same steady
 *   1,000 readings/s with p50/p99 publish → received. It runs after edgeplane, with nats-server
 *   and the control plane stopped, so neither measurement shares the cores with the other.
 *
 *   node dist-bench/bench/mqtt.js      (BENCH_QUICK=1 for a short run)
 *
 * Prints a table and writes bench/results/mqtt.json.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
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
const MOSQUITTO = '/usr/sbin/mosquitto';
const SETTLE_MS = 2000; // between a burst and the rate run: the burst's tail drains

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

interface LoadWorker {
  worker: Worker;
  /** The worker's next message (first: `{ connected }` once every plug is connected). */
  next<T>(): Promise<T>;
  ask<T>(job: Job): Promise<T>;
}

/** The load generator (loadWorker) against an MQTT port. */
function startLoad(port: number): LoadWorker {
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
  return { worker, next, ask };
}

const perSec = (count: number, ms: number) => Math.round(count / (ms / 1000));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measureEdgeplane() {
  const dir = mkdtempSync(join(tmpdir(), 'ep-bench-mqtt-'));
  const port = await freePort();
  const cp_user = { user: 'edgeplane', password: 'bench-cp' };
  const nats = await startNatsServer({
    dataDir: join(dir, 'nats'),
    extraConfig: mqttServerConfig({ port, host: '127.0.0.1', serverName: 'ep-bench-mqtt', devices: devices(), controlPlane: cp_user, noAuthControlPlane: true }),
  });
  const { worker, next, ask } = startLoad(port);
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
    while (!cp.mqtt) await sleep(50);
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
      while (appended.length < n) await sleep(20);
    };

    const t0 = now();
    const ours = await burst();
    await waitFor(ours.count);
    const burstMs = appended[ours.count - 1]! - t0;

    // Let the burst's tail (relay, projections) settle, then a second of warm-up at the rate.
    await sleep(SETTLE_MS);
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

    return {
      connectAllMs: Math.round(connectMs),
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
  } finally {
    await worker.terminate().catch(() => undefined);
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The peer's broker: Debian's mosquitto on a free port with its own config file, so a system
 * mosquitto on 1883 (the package's service) neither matters nor is touched.
 */
const MOSQUITTO_CONFIG = [
  // No password file: the plugs still send their users and passwords, which nothing checks.
  'allow_anonymous true',
  // Persistence off: mosquitto's own default and a Paddy user's. It would not change the figures:
  // mosquitto persists by snapshotting its in-memory state (every autosave_interval, 30 min, and at
  // exit), never inside a PUBLISH → PUBACK, so its PUBACK means "in this broker's memory".
  'persistence false',
  // Unbounded queue to the subscriber: with the default (1,000 per client beyond the 20 in flight)
  // the broker silently drops QoS 1 messages for a subscriber that falls further behind, as the
  // backend does in a burst (tried: 1,042 of a 10,000-reading burst reached it, all PUBACKed). A
  // dropped reading is no round trip, and edgeplane drops none. Everything else is the default
  // (max_inflight_messages 20 to the subscriber, Nagle left on: set_tcp_nodelay false).
  'max_queued_messages 0',
  'connection_messages false',
  'log_dest stderr',
  'log_type error',
  'log_type warning',
];

async function startMosquitto(dir: string): Promise<{ port: number; version: string; stop(): Promise<void> }> {
  const port = await freePort();
  const confPath = join(dir, 'mosquitto.conf');
  writeFileSync(confPath, [`listener ${port} 127.0.0.1`, ...MOSQUITTO_CONFIG, ''].join('\n'));
  const version = /version (\S+)/.exec(spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown';
  const child = spawn(MOSQUITTO, ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const listening = () =>
    new Promise<boolean>((r) => {
      const s = tcpConnect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
  for (let waited = 0; !(await listening()); waited += 50) {
    if (child.exitCode !== null || waited > 5000) {
      child.kill('SIGKILL');
      throw new Error(`${MOSQUITTO} did not listen on ${port}: ${log}`);
    }
    await sleep(50);
  }
  return {
    port,
    version,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function measureMosquitto() {
  const dir = mkdtempSync(join(tmpdir(), 'ep-bench-mosquitto-'));
  const broker = await startMosquitto(dir);
  let load: LoadWorker | undefined;
  let backend: MqttClient | undefined;
  try {
    // Paddy's backend: one subscriber for every plug's readings, QoS 1 like the publishes.
    backend = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'paddy-backend', protocolVersion: 4, clean: true, reconnectPeriod: 0 });
    (backend.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    await backend.subscribeAsync('daemons/+/power', { qos: 1 });
    const received: number[] = []; // arrival times at the subscriber
    const latency: number[] = [];
    let measureFrom = Number.POSITIVE_INFINITY;
    backend.on('message', (_topic, payload) => {
      const t = now();
      received.push(t);
      const at = Date.parse((JSON.parse(payload.toString()) as { at: string }).at);
      if (at >= measureFrom) latency.push(t - at);
    });
    const waitFor = async (n: number) => {
      let seen = received.length;
      let since = now();
      while (received.length < n) {
        await sleep(20);
        if (received.length !== seen) [seen, since] = [received.length, now()];
        else if (now() - since > 10_000) throw new Error(`mosquitto: ${received.length} of ${n} readings reached the subscriber, none for 10 s (dropped by the broker?)`);
      }
    };

    load = startLoad(broker.port);
    const connectStart = now();
    await load.next<{ connected: number }>();
    const connectMs = now() - connectStart;
    let from = 0;
    const burst = async () => {
      const r = await load!.ask<BurstResult>({ cmd: 'burst', perPlug: BURST_PER_PLUG, from });
      from += BURST_PER_PLUG;
      return r;
    };

    const warm = await burst(); // warm-up: connections, JIT, the broker's first deliveries
    await waitFor(warm.count);
    await sleep(SETTLE_MS);
    const base = received.length;
    const t0 = now();
    const theirs = await burst();
    await waitFor(base + theirs.count);
    const roundTripMs = received[base + theirs.count - 1]! - t0;

    await sleep(SETTLE_MS);
    measureFrom = Date.now() + RATE_WARMUP_S * 1000;
    const rate = await load.ask<RateResult>({ cmd: 'rate', perSecond: RATE, seconds: RATE_SECONDS });
    await waitFor(base + theirs.count + rate.count);
    await load.ask({ cmd: 'close' });

    return {
      broker: `mosquitto ${broker.version}`,
      config: `listener <port> 127.0.0.1, ${MOSQUITTO_CONFIG.slice(0, 3).join(', ')}; one mqtt.js subscriber, daemons/+/power, QoS 1`,
      connectAllMs: Math.round(connectMs),
      readingsRoundTripPerSec: perSec(theirs.count, roundTripMs),
      pubackPerSec: perSec(theirs.count, theirs.ms),
      burstReadings: theirs.count,
      latencyAtRate: { readingsPerSec: RATE, seconds: RATE_SECONDS, count: latency.length, lateSends: rate.lateSends, p50Ms: round(percentile(latency, 50)), p99Ms: round(percentile(latency, 99)), maxMs: round(percentile(latency, 100)), pubackP99Ms: round(rate.pubackP99Ms) },
    };
  } finally {
    await load?.worker.terminate().catch(() => undefined);
    await backend?.endAsync(true).catch(() => undefined);
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { connectAllMs, ceiling, edgeplane } = await measureEdgeplane();
  const mosquitto = await measureMosquitto();
  const results = {
    quick: QUICK,
    cpus: cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    load: { plugs: PLUGS, connections: PLUGS, transport: 'one mqtt.js connection per plug, own user, QoS 1', burstPerPlug: BURST_PER_PLUG, windowPerPlug: WINDOW, connectAllMs },
    ceiling,
    edgeplane,
    mosquitto,
  };
  const out = process.stdout;
  const col = (n: number | string, w = 10) => String(n).padStart(w);
  out.write(`\nbench/mqtt${QUICK ? ' (BENCH_QUICK)' : ''} — ${PLUGS} plugs over MQTT (1 connection each), ${cpus().length} cores\n\n`);
  out.write(`                                         readings/s   p99 ms\n`);
  out.write(`ceiling: QoS 1 PUBACKs, nothing consuming ${col(ceiling.bareQos1PubackPerSec)} ${col(ceiling.bareQos1PubackP99Ms, 8)}  (publish → PUBACK)\n`);
  out.write(`ceiling: QoS 1 PUBACKs, stored for bridge ${col(ceiling.storedQos1PubackPerSec)} ${col(ceiling.storedQos1PubackP99Ms, 8)}  (publish → PUBACK)\n`);
  out.write(`edgeplane: PUBACKs during the burst       ${col(edgeplane.pubackPerSec)}\n`);
  out.write(`edgeplane: readings → events appended     ${col(edgeplane.readingsToEventsPerSec)}           (${edgeplane.burstReadings} readings)\n`);
  out.write(`mosquitto: PUBACKs during the burst       ${col(mosquitto.pubackPerSec)}\n`);
  out.write(`mosquitto: readings → subscriber received ${col(mosquitto.readingsRoundTripPerSec)}           (${mosquitto.burstReadings} readings, ${mosquitto.broker})\n`);
  const l = edgeplane.latencyAtRate;
  out.write(`edgeplane at ${RATE}/s: publish → event appended  p50 ${l.p50Ms} ms  p99 ${l.p99Ms} ms  max ${l.maxMs} ms  (${l.count} readings; PUBACK p99 ${l.pubackP99Ms} ms, decided p99 ${l.toDecidedP99Ms} ms)\n`);
  const m = mosquitto.latencyAtRate;
  out.write(`mosquitto at ${RATE}/s: publish → received        p50 ${m.p50Ms} ms  p99 ${m.p99Ms} ms  max ${m.maxMs} ms  (${m.count} readings; PUBACK p99 ${m.pubackP99Ms} ms)\n`);
  writeResults('mqtt', results);
}

if (isMainThread) runBench(main);
else void loadWorker();
