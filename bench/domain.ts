/**
 * bench/domain — interaction latency, reading published → actuation published, 1,000 sensors at
 * 1 Hz and 100 interactions, on edgeplane (durable: the reading and the SetValue are each stored
 * with fsync before the actuation goes out) and on Node-RED (the same rules as a flow, same
 * traffic, over MQTT through the same nats-server), in one run. Writes bench/results/domain.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { builtinDeciders } from '../src/actors/kinds/index.js';
import { resolveConfig } from '../src/config.js';
import { startControlPlane } from '../src/main.js';
import { createLogger } from '../src/shared/logger.js';
import { defaultRules, measureNodeRed, sensorId, startNatsWithMqtt } from './nodeRedPeer.js';
import { runBench, writeResults } from './report.js';

const QUICK = process.env.BENCH_QUICK === '1';
const SENSORS = 1000;
const INTERACTIONS = 100;
const SECONDS = QUICK ? 10 : 30;
const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ep-bench-domain-'));
  const { nats, mqttUrl } = await startNatsWithMqtt(join(dir, 'nats'));
  const rules = defaultRules(SENSORS, INTERACTIONS);
  try {
    const cp = await startControlPlane(resolveConfig({ dataDir: join(dir, 'cp'), natsUrl: nats.url, heartbeatTimeoutMs: 600_000, httpPort: null }, {}), builtinDeciders, createLogger({ level: 'warn' }));
    let setupId = 0;
    const run = async (kind: string, id: string, type: string, data: Record<string, unknown>) => {
      // Distinct command ids: the same id twice is, rightly, one command.
      const [r] = await cp.host.dispatch(kind, id, [{ id: `setup-${setupId++}`, type, data }]);
      if (!r!.ok) throw new Error(`${kind}/${id} ${type}: ${JSON.stringify(r!.error)}`);
    };
    for (let r = 0; r < 10; r++) await run('reactor', `r${r}`, 'MarkOnline', {});
    for (let s = 0; s < SENSORS; s++) await run('sensor', sensorId(s), 'AttachSensor', { role: 'sensor', type: 'motion', unit: '', parent: `reactor/r${s % 10}` });
    for (const [i, rule] of rules.entries()) {
      await run('sensor', rule.target, 'AttachSensor', { role: 'actuator', type: 'light', unit: '', parent: `reactor/r${i % 10}` });
      await run('interactions', 'default', 'AddInteraction', {
        id: `rule-${i}`,
        when: { source: `sensor/${rule.source}`, op: rule.op, value: rule.value },
        then: { target: `sensor/${rule.target}`, value: rule.targetValue },
      });
    }
    await cp.processes!.waitFor(await cp.store.headPosition());
    const ours = await new Promise<{ p50: number; p99: number; max: number; count: number; expected: number; lateSends: number }>((resolve, reject) => {
      const w = new Worker(new URL('./domainWorker.js', import.meta.url), { workerData: { url: nats.url, sensors: SENSORS, rate: 1, seconds: SECONDS, warmupSeconds: 3, rules } });
      w.once('message', resolve);
      w.once('error', reject);
    });
    await cp.stop();
    const peer = await measureNodeRed({ sensors: SENSORS, ratePerSensorHz: 1, seconds: SECONDS, rules, mqttUrl, workDir: join(dir, 'node-red') });

    const results = {
      quick: QUICK,
      cpus: cpus().length,
      node: process.version,
      date: new Date().toISOString(),
      load: { sensors: SENSORS, ratePerSensorHz: 1, interactions: INTERACTIONS, seconds: SECONDS },
      edgeplane: { p50Ms: round(ours.p50), p99Ms: round(ours.p99), maxMs: round(ours.max), actuations: ours.count, expected: ours.expected, lateSends: ours.lateSends },
      nodeRed: { p50Ms: round(peer.p50), p99Ms: round(peer.p99), maxMs: round(peer.max), actuations: peer.count, expected: peer.expected, transport: peer.transport, version: peer.nodeRedVersion },
      target: { p99Ms: 10 },
    };
    process.stdout.write(`\nbench/domain${QUICK ? ' (BENCH_QUICK)' : ''} — interaction latency, reading published → actuation published\n`);
    process.stdout.write(`${SENSORS} sensors at 1 Hz, ${INTERACTIONS} interactions, ${SECONDS} s measured, ${cpus().length} cores\n\n`);
    process.stdout.write(`                      p50 ms   p99 ms   max ms   actuations/expected\n`);
    process.stdout.write(`edgeplane (durable) ${String(round(ours.p50)).padStart(8)} ${String(round(ours.p99)).padStart(8)} ${String(round(ours.max)).padStart(8)}   ${ours.count}/${ours.expected}   target p99 ≤ 10 ms\n`);
    process.stdout.write(`Node-RED ${peer.nodeRedVersion.padEnd(10)} ${String(round(peer.p50)).padStart(8)} ${String(round(peer.p99)).padStart(8)} ${String(round(peer.max)).padStart(8)}   ${peer.count}/${peer.expected}   (${peer.transport}, in memory)\n`);
    writeResults('domain', results);
  } finally {
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
