import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { builtinDeciders } from '../actors/kinds/index.js';
import { resolveConfig } from '../config.js';
import { startControlPlane } from '../main.js';
import { ConfigError } from '../shared/errors.js';
import { httpApi } from './api.js';
import { demoGuide } from './guide.js';
import { setUpDemo } from './setup.js';
import { spawnDemoWorkers } from './workers.js';

export const demoUsage = `edgeplane demo [--data-dir <dir>] [--http <port>] [--fresh]

Runs all five systems on one machine: the control plane (embedded nats-server and SQLite, as
edgeplane start does) and a simulated edge worker per board of demo/*.json, each a separate
process — an ECP node pair (motion sensor and light, with an interaction between them), a
reactor with I2C sensors, a BLE gateway with dependents (one firmware update in progress), two
Spark blocks in master/slave sync and two smart plugs with owners. Prints what to look at.
--data-dir defaults to ./data/demo (kept between runs; --fresh starts it empty), --http to 8080.`;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function demo(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, http: { type: 'string' }, fresh: { type: 'boolean' } }, strict: true }));
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const dataDir = resolve(values['data-dir'] ?? 'data/demo');
  if (values.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  // The console is for people: the control plane logs to a file, like the workers.
  const logFile = join(dataDir, 'logs', 'control-plane.log');
  // (Its relay thread logs to stdout at this level too: warn keeps the console readable.)
  const logger = pino({ name: 'edgeplane', level: process.env.EDGEPLANE_LOG_LEVEL ?? 'warn' }, pino.destination({ dest: logFile, mkdir: true, sync: false }));
  const config = resolveConfig({
    dataDir: join(dataDir, 'control-plane'),
    httpPort: values.http === undefined ? 8080 : Number(values.http),
    // The demo's firmware image takes about two minutes over the simulated radio.
    otaAttemptTimeoutMs: 300_000,
  });
  say(`starting the control plane (data in ${config.dataDir}, log ${logFile}) …`);
  const cp = await startControlPlane(config, builtinDeciders, logger);
  const base = cp.httpUrl!;
  say(`control plane up: API ${base}, NATS ${cp.natsUrl}`);

  const demoDir = join(ROOT, 'demo');
  const configs = readdirSync(demoDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.slice(0, -5), file: join(demoDir, f) }));
  const workers = spawnDemoWorkers({ cli: join(ROOT, 'bin/edgeplane.js'), configs, natsUrl: cp.natsUrl, dataDir, logger });
  say(`edge workers started: ${workers.workers.map((w) => `${w.name} (pid ${w.pid})`).join(', ')}`);

  let stopping: Promise<void> | undefined;
  const stop = (signal: string) =>
    (stopping ??= (async () => {
      say(`\n${signal}: stopping the edge workers and the control plane …`);
      await workers.stop();
      await cp.stop();
      logger.flush();
      say('stopped.');
      process.exit(0);
    })());
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  const started = Date.now();
  try {
    await setUpDemo(httpApi(base), logger, say);
  } catch (err) {
    say(`the demo could not finish setting up: ${(err as Error).message} (see ${dataDir}/logs)`);
    logger.error({ err }, 'demo setup failed');
  }
  say(`all five systems set up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say(demoGuide(base, dataDir));
}
