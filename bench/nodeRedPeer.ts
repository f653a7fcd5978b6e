/**
 * bench/nodeRedPeer — Node-RED as the peer of the interaction-latency benchmark (bench/domain).
 *
 * The same interactions edgeplane runs ("if sensors/<source> <op> <value> then set
 * actuators/<target> = <targetValue>", firing on the edge only), as a Node-RED flow generated
 * from the rules, driven over MQTT through nats-server's built-in MQTT listener:
 *
 *   reading    → `sensors/<id>/value`    {"value": n, "at": <ms epoch>}
 *   actuation  ← `actuators/<target>/set` {"value": v, "readingAt": <the reading's at>}
 *
 * Node-RED 4 runs headless as a child process (`node node_modules/node-red/red.js`), editor and
 * admin API off, telemetry off, no credentials, no palette installs: it needs no network besides
 * the broker. Its flow is `mqtt in (sensors/+/value, QoS 0, JSON)` → one `function` node holding
 * the rules keyed by sensor id and each rule's previous state in node context → `mqtt out` (QoS 0).
 *
 * `at` is a fractional ms epoch (`performance.timeOrigin + performance.now()`) taken by the
 * measuring client when it publishes; latency = receive time of the actuation − `readingAt`,
 * both on that client's clock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync as mqttConnectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { freePort, startNatsServer, type NatsServerHandle } from '../src/transport/natsServer.js';
import { matches } from '../src/actors/kinds/interactionConflicts.js';

export type RuleOp = '>' | '>=' | '<' | '<=' | '==' | '!=';
export interface InteractionRule {
  /** Sensor id: readings arrive on `sensors/<source>/value`. */
  source: string;
  op: RuleOp;
  value: number;
  /** Actuator id: actuations go to `actuators/<target>/set`. */
  target: string;
  targetValue: number;
}

export const readingTopic = (sensorId: string) => `sensors/${sensorId}/value`;
export const actuationTopic = (target: string) => `actuators/${target}/set`;
export const ACTUATIONS = 'actuators/+/set';
/** A reading on this sensor is answered at once on `actuators/__pong/set` (readiness probe). */
const PING = '__ping';
const PONG_TOPIC = actuationTopic('__pong');

export const sensorId = (i: number) => `s${i}`;

/** `interactions` rules spread evenly over `sensors` sensors: `s<k> > 5 → a<i> = 1`. */
export function defaultRules(sensors: number, interactions: number): InteractionRule[] {
  const step = Math.max(1, Math.floor(sensors / interactions));
  return Array.from({ length: Math.min(interactions, sensors) }, (_, i) => ({
    source: sensorId(i * step),
    op: '>' as const,
    value: 5,
    target: `a${i}`,
    targetValue: 1,
  }));
}

/** Whether a reading satisfies a rule: the engine's own comparison, so both sides agree. */
export function holds(op: RuleOp, reading: number, value: number): boolean {
  return matches(op, value, reading);
}

/**
 * The k-th reading of a sensor: for a sensor with a rule, it alternates between satisfying and
 * not satisfying the (first) rule every `hold` readings, so the rule fires once per 2·hold
 * readings; other sensors cycle through 0…9.
 */
export function readingValue(rule: InteractionRule | undefined, k: number, hold = 1): number {
  if (!rule) return k % 10;
  const on = Math.floor(k / hold) % 2 === 1;
  const jitter = (k % 3) * 0.25;
  const v = rule.value;
  switch (rule.op) {
    case '>':
      return on ? v + 1 + jitter : v - 1 - jitter;
    case '>=':
      return on ? v + jitter : v - 1 - jitter;
    case '<':
      return on ? v - 1 - jitter : v + 1 + jitter;
    case '<=':
      return on ? v - jitter : v + 1 + jitter;
    case '==':
      return on ? v : v + 1 + jitter;
    case '!=':
      return on ? v + 1 + jitter : v;
  }
}

const ID = /^[A-Za-z0-9_-]+$/;

/** The flow: mqtt in → function (rules keyed by sensor id, edge-triggered) → mqtt out. */
export function buildFlow(rules: InteractionRule[], broker: { host: string; port: number; clientId: string }): unknown[] {
  const bySource: Record<string, Array<{ i: number; op: RuleOp; value: number; topic: string; targetValue: number }>> = {};
  rules.forEach((r, i) => {
    if (!ID.test(r.source) || !ID.test(r.target)) throw new Error(`rule ${i}: ids must match ${ID} (MQTT topic level on nats-server)`);
    (bySource[r.source] ??= []).push({ i, op: r.op, value: r.value, topic: actuationTopic(r.target), targetValue: r.targetValue });
  });
  // Runs for every reading. Rules and previous states live in node context (in memory).
  const func = `
let R = context.get('rules');
if (!R) { R = ${JSON.stringify(bySource)}; context.set('rules', R); }
let prev = context.get('prev');
if (!prev) { prev = {}; context.set('prev', prev); }
const id = msg.topic.split('/')[1];
const reading = msg.payload;
if (id === '${PING}') return { topic: '${PONG_TOPIC}', payload: { value: 0, readingAt: reading.at } };
const rules = R[id];
if (!rules) return null;
const v = reading.value;
const out = [];
for (const r of rules) {
  let now;
  switch (r.op) {
    case '>': now = v > r.value; break;
    case '>=': now = v >= r.value; break;
    case '<': now = v < r.value; break;
    case '<=': now = v <= r.value; break;
    case '==': now = v === r.value; break;
    case '!=': now = v !== r.value; break;
    default: now = false;
  }
  const was = prev[r.i] === true;
  prev[r.i] = now;
  if (now && !was) out.push({ topic: r.topic, payload: { value: r.targetValue, readingAt: reading.at } });
}
return out.length ? [out] : null;
`;
  const tab = 'ep-tab';
  const brokerId = 'ep-broker';
  return [
    { id: tab, type: 'tab', label: 'interactions', disabled: false, info: '' },
    {
      id: brokerId,
      type: 'mqtt-broker',
      name: 'nats-server',
      broker: broker.host,
      port: String(broker.port),
      clientid: broker.clientId,
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      autoUnsubscribe: true,
      birthTopic: '',
      closeTopic: '',
      willTopic: '',
    },
    {
      id: 'ep-in',
      type: 'mqtt in',
      z: tab,
      name: 'readings',
      topic: 'sensors/+/value',
      qos: '0',
      datatype: 'json',
      broker: brokerId,
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      x: 100,
      y: 100,
      wires: [['ep-rules']],
    },
    {
      id: 'ep-rules',
      type: 'function',
      z: tab,
      name: `${rules.length} interactions`,
      func,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 300,
      y: 100,
      wires: [['ep-out']],
    },
    { id: 'ep-out', type: 'mqtt out', z: tab, name: 'actuations', topic: '', qos: '0', retain: 'false', broker: brokerId, x: 500, y: 100, wires: [] },
  ];
}

function settingsFile(userDir: string, flowFile: string, host: string): string {
  return `// generated by bench/nodeRedPeer.ts
module.exports = {
  flowFile: ${JSON.stringify(flowFile)},
  userDir: ${JSON.stringify(userDir)},
  uiHost: ${JSON.stringify(host)},
  httpAdminRoot: false,
  httpNodeRoot: false,
  credentialSecret: false,
  flowFilePretty: false,
  mqttReconnectTime: 1000,
  functionExternalModules: false,
  externalModules: { autoInstall: false, palette: { allowInstall: false, allowUpload: false } },
  diagnostics: { enabled: false, ui: false },
  telemetry: { enabled: false, updateNotification: false },
  runtimeState: { enabled: false, ui: false },
  editorTheme: { projects: { enabled: false }, tours: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`;
}

export interface NodeRedPeer {
  /**
   * Where to drive it: the MQTT broker its flow is connected to (publish readings, subscribe to
   * `actuations`). Node-RED itself serves no HTTP: editor, admin API and http nodes are off.
   */
  url: string;
  mqttUrl: string;
  pid: number;
  readingTopic: (sensorId: string) => string;
  /** Wildcard of all actuations. */
  actuations: string;
  transport: string;
  /** The tail of Node-RED's own log. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts Node-RED with a flow for `rules`, connected to `mqttUrl`, and waits until it answers. */
export async function startNodeRedPeer(opts: { mqttUrl: string; workDir: string; rules: InteractionRule[]; startTimeoutMs?: number }): Promise<NodeRedPeer> {
  const broker = new URL(opts.mqttUrl);
  const host = broker.hostname || '127.0.0.1';
  const port = Number(broker.port || 1883);
  mkdirSync(opts.workDir, { recursive: true });
  const userDir = join(opts.workDir, 'node-red');
  mkdirSync(userDir, { recursive: true });
  const flowPath = join(userDir, 'flows.json');
  const settingsPath = join(userDir, 'settings.cjs');
  writeFileSync(flowPath, JSON.stringify(buildFlow(opts.rules, { host, port, clientId: `node-red-${process.pid}-${Date.now()}` }), null, 1));
  writeFileSync(settingsPath, settingsFile(userDir, flowPath, '127.0.0.1'));
  // Node-RED 4 supports Node >= 18; red.js is its CLI.
  const redJs = createRequire(import.meta.url).resolve('node-red/red.js');
  const uiPort = await freePort(); // unused while headless (both HTTP roots off), but never 1880
  const child: ChildProcess = spawn(process.execPath, [redJs, '--port', String(uiPort), '--userDir', userDir, '--settings', settingsPath, flowPath], {
    cwd: userDir,
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false', NODE_RED_ENABLE_TOURS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 40_000) out = out.slice(-20_000);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exited = false;
  child.once('exit', () => (exited = true));

  const stop = async () => {
    if (exited || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  };

  // Ready = flows started and a probe reading comes back as an actuation through the broker.
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  const client = await connectMqtt(opts.mqttUrl, `ep-nr-probe-${process.pid}-${Date.now()}`);
  try {
    while (!/Started flows/.test(out)) {
      if (exited) throw new Error(`node-red exited during start:\n${out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`node-red did not start:\n${out.slice(-3000)}`);
      await sleep(50);
    }
    await client.subscribeAsync(PONG_TOPIC, { qos: 0 });
    let ponged = false;
    client.on('message', (topic) => {
      if (topic === PONG_TOPIC) ponged = true;
    });
    while (!ponged) {
      if (exited) throw new Error(`node-red exited during start:\n${out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`node-red never answered the probe on ${opts.mqttUrl}:\n${out.slice(-3000)}`);
      await client.publishAsync(readingTopic(PING), JSON.stringify({ value: 0, at: nowMs() }), { qos: 0 });
      await sleep(100);
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    await client.endAsync();
  }

  return {
    url: opts.mqttUrl,
    mqttUrl: opts.mqttUrl,
    pid: child.pid ?? -1,
    readingTopic,
    actuations: ACTUATIONS,
    transport: 'mqtt',
    log: () => out.slice(-5000),
    stop,
  };
}

/**
 * An MQTT client for the measuring side, with Nagle off (mqtt.js leaves Node's default on; nats.js
 * turns it off). With it on, a publisher that gets nothing back on its socket waits for the
 * broker's delayed ACK (≈40 ms) between writes, which would be measured as the peer's latency.
 */
export async function connectMqtt(url: string, clientId: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqttConnectAsync(url, { protocolVersion: 4, clean: true, clientId, reconnectPeriod: 0, ...opts });
  (client.stream as Partial<Socket> | undefined)?.setNoDelay?.(true);
  return client;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Fractional ms epoch on this process's monotonic clock. */
export const nowMs = () => performance.timeOrigin + performance.now();

/** CPU seconds (user + system) used so far by a process, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

export interface NodeRedMeasurement {
  p50: number;
  p99: number;
  max: number;
  /** Actuations received for readings published in the measured window. */
  count: number;
  /** Edges the load produced in that window (what edge-triggered rules must fire). */
  expected: number;
  /** Readings published in the measured window and their achieved rate. */
  readings: number;
  readingsPerSec: number;
  /** Readings sent later than 5 ms after their scheduled time (open-loop lag of the generator). */
  lateSends: number;
  /** Node-RED process CPU over the measured window, % of one core. */
  nodeRedCpuPercent: number;
  transport: string;
  nodeRedVersion: string;
}

/**
 * Open-loop load through Node-RED: `sensors` sensors at `ratePerSensorHz` each, spread evenly
 * (reading i goes to sensor i mod sensors at t0 + i / total rate), 2 s of warm-up then `seconds`
 * measured. Starts its own nats-server (MQTT listener) unless `mqttUrl` is given, and its own
 * Node-RED unless `peer` is given.
 */
export async function measureNodeRed(opts: {
  sensors: number;
  ratePerSensorHz: number;
  seconds: number;
  rules?: InteractionRule[];
  warmupSeconds?: number;
  /** Readings per half-cycle of a rule sensor (it fires once per 2·hold readings). Default 1. */
  hold?: number;
  mqttUrl?: string;
  peer?: NodeRedPeer;
  workDir?: string;
}): Promise<NodeRedMeasurement> {
  const rules = opts.rules ?? defaultRules(opts.sensors, 100);
  const hold = opts.hold ?? 1;
  const warmup = opts.warmupSeconds ?? 2;
  const ownDir = opts.workDir ? undefined : mkdtempSync(join(tmpdir(), 'ep-nodered-'));
  const dir = opts.workDir ?? ownDir!;
  let nats: NatsServerHandle | undefined;
  let peer = opts.peer;
  let client: MqttClient | undefined;
  try {
    let mqttUrl = opts.peer?.mqttUrl ?? opts.mqttUrl;
    if (!mqttUrl) {
      const started = await startNatsWithMqtt(join(dir, 'nats'));
      nats = started.nats;
      mqttUrl = started.mqttUrl;
    }
    peer ??= await startNodeRedPeer({ mqttUrl, workDir: dir, rules });
    client = await connectMqtt(mqttUrl, `ep-nr-load-${process.pid}-${Date.now()}`);

    const rulesBySource = new Map<string, InteractionRule[]>();
    for (const r of rules) rulesBySource.set(r.source, [...(rulesBySource.get(r.source) ?? []), r]);
    const ids = Array.from({ length: opts.sensors }, (_, i) => sensorId(i));
    const topics = ids.map(readingTopic);
    const sensorRules = ids.map((id) => rulesBySource.get(id));
    const prev = rules.map(() => false);
    const ruleIndex = new Map(rules.map((r, i) => [r, i]));
    const perSensorCount = new Array<number>(opts.sensors).fill(0);

    const totalRate = opts.sensors * opts.ratePerSensorHz;
    const total = Math.round(totalRate * (warmup + opts.seconds));
    const warmupCount = Math.round(totalRate * warmup);
    const intervalMs = 1000 / totalRate;

    let measureFrom = Infinity; // ms epoch of the first measured reading
    let measureTo = Infinity; // ms epoch after the last measured reading
    let expected = 0;
    let lateSends = 0;
    const latencies: number[] = [];
    client.on('message', (topic, payload) => {
      const received = nowMs();
      if (topic === PONG_TOPIC) return;
      const readingAt = (JSON.parse(payload.toString()) as { readingAt: number }).readingAt;
      if (readingAt >= measureFrom && readingAt < measureTo) latencies.push(received - readingAt);
    });
    await client.subscribeAsync(ACTUATIONS, { qos: 0 });

    let cpu0 = NaN;
    let cpuT0 = 0;
    await new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      let i = 0;
      const tick = () => {
        try {
          const now = performance.now();
          while (i < total && t0 + i * intervalMs <= now) {
            if (now - (t0 + i * intervalMs) > 5 && i >= warmupCount) lateSends++;
            const s = i % opts.sensors;
            const k = perSensorCount[s]!++;
            const sr = sensorRules[s];
            const value = readingValue(sr?.[0], k, hold);
            const at = nowMs();
            if (i === warmupCount) {
              measureFrom = at;
              cpu0 = cpuSeconds(peer!.pid);
              cpuT0 = performance.now();
            }
            if (sr) {
              for (const r of sr) {
                const ri = ruleIndex.get(r)!;
                const on = holds(r.op, value, r.value);
                if (on && !prev[ri] && i >= warmupCount) expected++;
                prev[ri] = on;
              }
            }
            client!.publish(topics[s]!, JSON.stringify({ value, at }), { qos: 0 });
            i++;
          }
          if (i >= total) {
            measureTo = nowMs();
            return resolve();
          }
          setTimeout(tick, Math.max(0, t0 + i * intervalMs - performance.now()));
        } catch (e) {
          reject(e);
        }
      };
      tick();
    });
    const cpuMs = performance.now() - cpuT0;
    const nodeRedCpuPercent = ((cpuSeconds(peer.pid) - cpu0) * 1000 * 100) / cpuMs;
    // Drain: stragglers for up to 3 s, done as soon as every expected actuation came back.
    const drainUntil = Date.now() + 3000;
    while (latencies.length < expected && Date.now() < drainUntil) await sleep(20);
    await sleep(100);

    const readings = total - warmupCount;
    latencies.sort((a, b) => a - b);
    const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(p * latencies.length) - 1))] ?? NaN;
    const nrPkg = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('node-red/package.json'), 'utf8')) as { version: string };
    return {
      p50: q(0.5),
      p99: q(0.99),
      max: latencies[latencies.length - 1] ?? NaN,
      count: latencies.length,
      expected,
      readings,
      readingsPerSec: Math.round(readings / ((measureTo - measureFrom) / 1000)),
      lateSends,
      nodeRedCpuPercent: Math.round(nodeRedCpuPercent * 10) / 10,
      transport: 'mqtt (nats-server MQTT listener, QoS 0)',
      nodeRedVersion: nrPkg.version,
    };
  } finally {
    await client?.endAsync();
    if (!opts.peer) await peer?.stop();
    await nats?.stop();
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  }
}

/** nats-server with JetStream and its MQTT listener (MQTT needs both JetStream and a server_name). */
export async function startNatsWithMqtt(dataDir: string): Promise<{ nats: NatsServerHandle; mqttUrl: string }> {
  const mqttPort = await freePort();
  const nats = await startNatsServer({
    dataDir,
    extraConfig: [`server_name: "ep-bench-${mqttPort}"`, `mqtt { host: "127.0.0.1", port: ${mqttPort} }`].join('\n'),
  });
  return { nats, mqttUrl: `mqtt://127.0.0.1:${mqttPort}` };
}
