/**
 * bench/api — `GET /v1/system` and a command POST under load (autocannon), against a bare Fastify
 * route returning a constant (the ceiling), in one run. Writes bench/results/api.json.
 */
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinDeciders } from '../src/actors/kinds/index.js';
import { resolveConfig } from '../src/config.js';
import { startControlPlane } from '../src/main.js';
import { createLogger } from '../src/shared/logger.js';
import { startNatsServer } from '../src/transport/natsServer.js';
import { runBench, writeResults } from './report.js';

const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = QUICK ? 4 : 10;
const SENSORS = 200;

async function load(title: string, opts: autocannon.Options): Promise<{ title: string; rps: number; p50: number; p99: number; errors: number; non2xx: number }> {
  const r = await autocannon({ connections: 50, pipelining: 1, duration: SECONDS, ...opts });
  return { title, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ep-bench-api-'));
  const nats = await startNatsServer({ dataDir: join(dir, 'nats') });
  try {
    const bare = Fastify();
    bare.get('/constant', async () => ({ ok: true }));
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`;
    const ceiling = await load('bare Fastify, constant JSON (ceiling)', { url: `${bareUrl}/constant` });
    await bare.close();

    const cp = await startControlPlane(resolveConfig({ dataDir: join(dir, 'cp'), natsUrl: nats.url, httpPort: 0, writeRateLimit: 1_000_000 }, {}), builtinDeciders, createLogger({ level: 'warn' }));
    for (let s = 0; s < SENSORS; s++) {
      await cp.host.dispatch('sensor', `s${s}`, [{ id: `setup-${s}`, type: 'AttachSensor', data: { role: 'sensor', type: 't', unit: '°C', parent: `reactor/r${s % 10}` } }]);
    }
    await cp.projections.waitFor(await cp.store.headPosition());
    const system = await load('GET /v1/system (200 sensors)', { url: `${cp.httpUrl}/v1/system` });
    let n = 0;
    const command = await load('POST /v1/actors/sensor/:id/commands (RecordReading)', {
      url: cp.httpUrl!,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => {
            const i = n++;
            return { ...req, path: `/v1/actors/sensor/s${i % SENSORS}/commands`, body: JSON.stringify({ type: 'RecordReading', data: { value: i } }) };
          },
        },
      ],
    });
    await cp.stop();

    const rows = [ceiling, system, command];
    process.stdout.write(`\nbench/api${QUICK ? ' (BENCH_QUICK)' : ''} — autocannon, 50 connections, ${SECONDS} s each, ${cpus().length} cores\n\n`);
    process.stdout.write(`${'route'.padEnd(56)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  errors/non-2xx\n`);
    for (const r of rows) process.stdout.write(`${r.title.padEnd(56)} ${String(r.rps).padStart(8)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(8)}  ${r.errors}/${r.non2xx}\n`);
    process.stdout.write(`\nGET /v1/system ÷ ceiling: ${(system.rps / ceiling.rps).toFixed(2)}; command POST ÷ ceiling: ${(command.rps / ceiling.rps).toFixed(2)}\n`);
    writeResults('api', { quick: QUICK, date: new Date().toISOString(), seconds: SECONDS, connections: 50, rows });
  } finally {
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
