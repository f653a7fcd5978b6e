/**
 * bench/nodeRedPeerCheck — does the Node-RED peer work here? Starts nats-server with its MQTT
 * listener, Node-RED with 3 rules, sends a scripted sequence of readings and prints the
 * actuations seen (edge-triggered: a rule fires when its condition becomes true, not again while
 * it stays true), then a short open-loop run at the benchmark's load (1,000 sensors at 1 Hz,
 * 100 rules; NODE_RED_CHECK_SECONDS, default 5, 0 to skip).
 *
 *   npx tsc -p tsconfig.json --outDir dist-bench && node dist-bench/bench/nodeRedPeerCheck.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTUATIONS, connectMqtt, measureNodeRed, nowMs, readingTopic, startNatsWithMqtt, startNodeRedPeer, type InteractionRule } from './nodeRedPeer.js';

const rules: InteractionRule[] = [
  { source: 'motion', op: '>', value: 5, target: 'light', targetValue: 1 },
  { source: 'motion', op: '<=', value: 5, target: 'light', targetValue: 0 },
  { source: 'temp', op: '>=', value: 30, target: 'fan', targetValue: 1 },
];

/** [sensor, value, actuations expected from it] */
const script: Array<[string, number, string[]]> = [
  ['motion', 3, ['light=0']], // <= 5 becomes true
  ['motion', 7, ['light=1']], // > 5 becomes true
  ['motion', 9, []], // still > 5: no edge
  ['temp', 25, []],
  ['temp', 30, ['fan=1']],
  ['temp', 31, []],
  ['motion', 2, ['light=0']],
  ['other', 100, []], // no rule
  ['temp', 10, []],
  ['temp', 40, ['fan=1']],
];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ep-nrcheck-'));
  const { nats, mqttUrl } = await startNatsWithMqtt(join(dir, 'nats'));
  let failures = 0;
  try {
    const t0 = performance.now();
    const peer = await startNodeRedPeer({ mqttUrl, workDir: dir, rules });
    process.stdout.write(`nats-server ${nats.url}, MQTT ${mqttUrl}; Node-RED pid ${peer.pid} ready in ${Math.round(performance.now() - t0)} ms\n\n`);
    const client = await connectMqtt(mqttUrl, `ep-nrcheck-${process.pid}`);
    let got: Array<{ what: string; latency: number }> = [];
    client.on('message', (topic, payload) => {
      const received = nowMs();
      const a = JSON.parse(payload.toString()) as { value: number; readingAt: number };
      const target = topic.split('/')[1];
      if (target !== '__pong') got.push({ what: `${target}=${a.value}`, latency: received - a.readingAt });
    });
    await client.subscribeAsync(ACTUATIONS, { qos: 0 });
    const latencies: number[] = [];
    for (const [sensor, value, expected] of script) {
      got = [];
      await client.publishAsync(readingTopic(sensor), JSON.stringify({ value, at: nowMs() }), { qos: 0 });
      await new Promise((r) => setTimeout(r, 150));
      const seen = got.map((g) => g.what);
      const ok = seen.join(',') === expected.join(',');
      if (!ok) failures++;
      latencies.push(...got.map((g) => g.latency));
      process.stdout.write(
        `${ok ? 'ok  ' : 'FAIL'} sensors/${sensor}/value ${String(value).padStart(3)} → ${seen.length ? got.map((g) => `${g.what} (${g.latency.toFixed(2)} ms)`).join(', ') : '(none)'}${ok ? '' : `   expected ${expected.join(',') || '(none)'}`}\n`,
      );
    }
    await client.endAsync();
    await peer.stop();
    latencies.sort((a, b) => a - b);
    process.stdout.write(`\nscripted: ${latencies.length} actuations, latency min ${latencies[0]?.toFixed(2)} / max ${latencies.at(-1)?.toFixed(2)} ms\n`);

    const seconds = Number(process.env.NODE_RED_CHECK_SECONDS ?? 5);
    if (seconds > 0) {
      const m = await measureNodeRed({ sensors: 1000, ratePerSensorHz: 1, seconds, mqttUrl, workDir: join(dir, 'load') });
      process.stdout.write(
        `\nload: 1,000 sensors @ 1 Hz, 100 rules, 2 s warm-up + ${seconds} s (Node-RED ${m.nodeRedVersion}, ${m.transport})\n` +
          `  readings ${m.readings} (${m.readingsPerSec}/s, ${m.lateSends} sent > 5 ms late), actuations ${m.count} of ${m.expected} expected\n` +
          `  latency p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, max ${m.max.toFixed(2)} ms; Node-RED CPU ${m.nodeRedCpuPercent}% of a core\n`,
      );
      if (m.count !== m.expected) failures++;
    }
  } finally {
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(failures ? `\n${failures} check(s) FAILED\n` : '\nall checks passed\n');
  process.exit(failures ? 1 : 0);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
  process.exit(1);
});
