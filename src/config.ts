import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_PARTITIONS, MAX_PARTITIONS } from './shared/partition.js';
import { ConfigError } from './shared/errors.js';
import { resolveMqttSettings, type MqttInput, type MqttSettings } from './mqtt/settings.js';

export interface ControlPlaneConfig {
  /** Where the embedded store, snapshots and the embedded nats-server keep their files. */
  dataDir: string;
  /** An external NATS; when absent, `edgeplane start` runs its own nats-server. */
  natsUrl?: string;
  natsUser?: string;
  natsPass?: string;
  /** `sqlite:<path>` (default `sqlite:<dataDir>/events.db`) or `esdb://…` / `esdb+discover://…`. */
  store: string;
  snapshotEvery: number;
  idleMs: number;
  /** Replicas for the JetStream streams (3 on a NATS cluster). */
  replicas: number;
  /** Silence after which nodes, reactors, sensors and gateways are marked offline. */
  heartbeatTimeoutMs: number;
  /** How long one firmware update attempt may take. */
  otaAttemptTimeoutMs: number;
  /** The HTTP API's port (0: any free port; null: no API) and address. */
  httpPort: number | null;
  httpHost: string;
  /** `[{key, role, user}]`; without it the API is open, which is allowed on loopback only. */
  apiKeysFile?: string;
  /** Writes per second per API user (bursts of twice that). */
  writeRateLimit: number;
  /** The MQTT listener and bridge (`--mqtt <port>`, src/mqtt); undefined: off. */
  mqtt?: MqttSettings;
  /** This process's name in the cluster (and its `node` actor's id). */
  processId: string;
  /** Actor partitions, the same for every process of a cluster. */
  partitions: number;
  /** Leader and partition lease TTL. */
  leaseTtlMs: number;
}

export interface ConfigInput {
  dataDir?: string;
  natsUrl?: string;
  store?: string;
  snapshotEvery?: number;
  idleMs?: number;
  replicas?: number;
  heartbeatTimeoutMs?: number;
  otaAttemptTimeoutMs?: number;
  httpPort?: number | null;
  httpHost?: string;
  apiKeysFile?: string;
  writeRateLimit?: number;
  mqtt?: MqttInput;
  processId?: string;
  partitions?: number;
  leaseTtlMs?: number;
}

/** Flags override env, env overrides defaults; a bad value fails here, at start, by name. */
export function resolveConfig(input: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): ControlPlaneConfig {
  const dataDir = resolve(input.dataDir ?? env.EDGEPLANE_DATA_DIR ?? './data');
  const store = input.store ?? env.EDGEPLANE_STORE ?? `sqlite:${dataDir}/events.db`;
  if (!/^(sqlite:.+|esdb(\+discover)?:\/\/.+)$/.test(store)) {
    throw new ConfigError(`EDGEPLANE_STORE / --store must be sqlite:<path> or esdb://… (got ${JSON.stringify(store)})`, { store });
  }
  return {
    dataDir,
    natsUrl: input.natsUrl ?? (env.EDGEPLANE_NATS_URL || undefined),
    natsUser: env.EDGEPLANE_NATS_USER || undefined,
    natsPass: env.EDGEPLANE_NATS_PASS || undefined,
    store,
    snapshotEvery: positiveInt('snapshot-every', input.snapshotEvery ?? env.EDGEPLANE_SNAPSHOT_EVERY ?? 100, true),
    idleMs: positiveInt('idle-ms', input.idleMs ?? env.EDGEPLANE_IDLE_MS ?? 300_000),
    replicas: positiveInt('replicas', input.replicas ?? env.EDGEPLANE_REPLICAS ?? 1),
    heartbeatTimeoutMs: positiveInt('heartbeat-timeout-ms', input.heartbeatTimeoutMs ?? env.EDGEPLANE_HEARTBEAT_TIMEOUT_MS ?? 60_000),
    otaAttemptTimeoutMs: positiveInt('ota-attempt-timeout-ms', input.otaAttemptTimeoutMs ?? env.EDGEPLANE_OTA_ATTEMPT_TIMEOUT_MS ?? 120_000),
    httpPort: input.httpPort === null ? null : positiveInt('http', input.httpPort ?? env.EDGEPLANE_HTTP_PORT ?? 8080, true),
    httpHost: input.httpHost ?? env.EDGEPLANE_HTTP_HOST ?? '127.0.0.1',
    apiKeysFile: input.apiKeysFile ?? (env.EDGEPLANE_API_KEYS || undefined),
    writeRateLimit: positiveInt('write-rate-limit', input.writeRateLimit ?? env.EDGEPLANE_WRITE_RATE_LIMIT ?? 500),
    mqtt: resolveMqttSettings(input.mqtt, env),
    processId: processIdOf(input.processId ?? env.EDGEPLANE_PROCESS_ID, dataDir),
    partitions: bounded('partitions', input.partitions ?? env.EDGEPLANE_PARTITIONS ?? DEFAULT_PARTITIONS, 1, MAX_PARTITIONS),
    leaseTtlMs: bounded('lease-ttl-ms', input.leaseTtlMs ?? env.EDGEPLANE_LEASE_TTL_MS ?? 10_000, 600, 600_000),
  };
}

function bounded(name: string, value: unknown, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`, { name, value });
  return n;
}

/**
 * By default the host name plus a hash of the data dir: stable across restarts, so a restarted
 * process takes its own leases back at once instead of waiting out their TTL.
 */
function processIdOf(given: string | undefined, dataDir: string): string {
  if (given !== undefined) {
    if (!/^[A-Za-z0-9_\-:@]{1,64}$/.test(given)) throw new ConfigError(`--process-id must be 1–64 of A-Z a-z 0-9 _ - : @ (got ${JSON.stringify(given)})`, { processId: given });
    return given;
  }
  const host = hostname().replace(/[^A-Za-z0-9_\-]/g, '-').slice(0, 40) || 'host';
  return `${host}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
}

function positiveInt(name: string, value: unknown, allowZero = false): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new ConfigError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer (got ${JSON.stringify(value)})`, { name, value });
  return n;
}
