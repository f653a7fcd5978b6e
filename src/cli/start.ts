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
                [--process-id <name>] [--partitions <n>] [--lease-ttl-ms <ms>]
                [--mqtt <port>] [--mqtt-host <address>] [--mqtt-devices <devices.json>] [--mqtt-routes <routes.json>]

Runs the control plane: event store, actor host (consuming the partitions it holds of
ep.cmd.<partition>.>), projections, the HTTP API (default 127.0.0.1:8080) and, while it leads,
the relay (store → ep.evt.>) and process managers. Start several with the same --nats and
--store (each its own --data-dir) and they share the actors and fail over to each other.
Without --nats / EDGEPLANE_NATS_URL it starts its own nats-server with JetStream on a free port,
data under <data-dir>/nats, and stops it on exit.
Env: EDGEPLANE_NATS_URL, EDGEPLANE_STORE, EDGEPLANE_DATA_DIR, EDGEPLANE_PROCESS_ID,
EDGEPLANE_PARTITIONS, EDGEPLANE_LEASE_TTL_MS, EDGEPLANE_LOG_LEVEL.`;

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
    'process-id': { type: 'string' },
    partitions: { type: 'string' },
    'lease-ttl-ms': { type: 'string' },
    mqtt: { type: 'string' },
    'mqtt-host': { type: 'string' },
    'mqtt-devices': { type: 'string' },
    'mqtt-routes': { type: 'string' },
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
    processId: values['process-id'],
    partitions: num(values.partitions),
    leaseTtlMs: num(values['lease-ttl-ms']),
    mqtt: { port: values.mqtt, host: values['mqtt-host'], devices: values['mqtt-devices'], routes: values['mqtt-routes'] },
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
