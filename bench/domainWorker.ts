import { headers as natsHeaders } from 'nats';
import { parentPort, workerData } from 'node:worker_threads';
import { connectNats } from '../src/transport/natsConnection.js';
import { createJetStreamPublisher } from '../src/transport/jetstreamPublisher.js';
import { HEADER, commandSubject } from '../src/transport/subjects.js';
import { holds, readingValue, sensorId, type InteractionRule } from './nodeRedPeer.js';

/**
 * The edgeplane side of bench/domain, on its own thread: readings from `sensors` sensors at
 * `rate` Hz each (open loop, RecordReading commands into JetStream, what a board sends), and
 * the boards' actuation subjects watched for the SetValue each rule crossing must produce.
 * Latency = actuation received − reading published, both on this thread's clock.
 */
interface Task {
  url: string;
  sensors: number;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  rules: InteractionRule[];
}

const t = workerData as Task;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const nc = await connectNats({ servers: t.url, name: 'bench-domain' });
const publisher = createJetStreamPublisher(nc);
const ruleOf = new Map(t.rules.map((r, i) => [r.source, { rule: r, index: i }]));
const byTarget = new Map(t.rules.map((r, i) => [r.target, i]));
const holding = new Array<boolean>(t.rules.length).fill(false);
/** When the reading that made rule i's condition true was published. */
const crossedAt = new Array<number | undefined>(t.rules.length).fill(undefined);
const latencies: number[] = [];
let measuring = false;
let expected = 0;

nc.subscribe('ep.edge.reactor.*.set', {
  callback: (_e, m) => {
    const now = performance.now();
    const body = JSON.parse(decoder.decode(m.data)) as { sensor: string };
    const i = byTarget.get(body.sensor);
    if (i === undefined || crossedAt[i] === undefined) return;
    if (measuring) latencies.push(now - crossedAt[i]!);
    crossedAt[i] = undefined;
  },
});

const total = t.sensors * t.rate * (t.seconds + t.warmupSeconds);
const interval = 1000 / (t.sensors * t.rate);
const start = performance.now();
const counts = new Array<number>(t.sensors).fill(0);
let late = 0;
for (let n = 0; n < total; n++) {
  const due = start + n * interval;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  else if (wait < -5) late++;
  measuring = n >= t.sensors * t.rate * t.warmupSeconds;
  const s = n % t.sensors;
  const id = sensorId(s);
  const r = ruleOf.get(id);
  const value = readingValue(r?.rule, counts[s]!++);
  const sentAt = performance.now();
  if (r) {
    const now = holds(r.rule.op, value, r.rule.value);
    if (now && !holding[r.index]) {
      crossedAt[r.index] = sentAt;
      if (measuring) expected++;
    }
    holding[r.index] = now;
  }
  const h = natsHeaders();
  h.set(HEADER.msgId, `rd-${n}`);
  void publisher.publish(commandSubject('sensor', id), encoder.encode(JSON.stringify({ id: `rd-${n}`, type: 'RecordReading', data: { value, at: new Date().toISOString() } })), h);
}
await new Promise((r) => setTimeout(r, 1500));
publisher.close();
await nc.close();
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
parentPort!.postMessage({ p50: q(0.5), p99: q(0.99), max: latencies.at(-1) ?? Number.NaN, count: latencies.length, expected, lateSends: late });
