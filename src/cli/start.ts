import { resolveConfig } from '../config.js';
import { startControlPlane } from '../main.js';
import { createLogger } from '../shared/logger.js';
import { parse } from './args.js';
import { loadDeciders } from './deciders.js';

export const startUsage = `edgeplane start [--nats <url>] [--store sqlite:<path>|esdb://…] [--data-dir <dir>]
                [--deciders <module.js>]… [--snapshot-every <n>] [--idle-ms <ms>] [--replicas <n>]
                [--heartbeat-timeout-ms <ms>] [--ota-attempt-timeout-ms <ms>]
                [--http <port>|off] [--http-host <address>] [--api-keys <keys.json>]
                [--write-rate-limit <per second per user>]

Runs the control plane: event store, actor host (consuming ep.cmd.> from JetStream), relay
(store → ep.evt.>), projections, process managers and the HTTP API (default 127.0.0.1:8080). Without --nats / EDGEPLANE_NATS_URL it starts its own nats-server with
JetStream on a free port, data under <data-dir>/nats, and stops it on exit.
Env: EDGEPLANE_NATS_URL, EDGEPLANE_STORE, EDGEPLANE_DATA_DIR, EDGEPLANE_LOG_LEVEL.`;

export async function start(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    nats: { type: 'string' },
    store: { type: 'string' },
    'data-dir': { type: 'string' },
    deciders: { type: 'string', multiple: true },
    'snapshot-every': { type: 'string' },
    'idle-ms': { type: 'string' },
    replicas: { type: 'string' },
    'heartbeat-timeout-ms': { type: 'string' },
    http: { type: 'string' },
    'http-host': { type: 'string' },
    'api-keys': { type: 'string' },
    'write-rate-limit': { type: 'string' },
    'ota-attempt-timeout-ms': { type: 'string' },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const config = resolveConfig({
    natsUrl: values.nats,
    store: values.store,
    dataDir: values['data-dir'],
    snapshotEvery: num(values['snapshot-every']),
    idleMs: num(values['idle-ms']),
    replicas: num(values.replicas),
    heartbeatTimeoutMs: num(values['heartbeat-timeout-ms']),
    otaAttemptTimeoutMs: num(values['ota-attempt-timeout-ms']),
    httpPort: values.http === 'off' ? null : num(values.http),
    httpHost: values['http-host'],
    apiKeysFile: values['api-keys'],
    writeRateLimit: num(values['write-rate-limit']),
  });
  const logger = createLogger();
  const cp = await startControlPlane(config, await loadDeciders(values.deciders), logger);
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'stopping');
    cp.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
