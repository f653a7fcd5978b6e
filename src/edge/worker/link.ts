import type { Authenticator } from 'nats';
import { credsAuthenticator } from 'nats';
import type { Logger } from '../../shared/logger.js';
import { commandSubject } from '../../transport/subjects.js';
import { connectEdge, createForwarder, startActuations, type ActuationOptions, type Actuations, type DiskBuffer, type EdgeConnection, type Forwarder } from '../link/index.js';
import type { HardwareConfig } from './config.js';

/**
 * The worker's side of the link: connect to NATS (waiting as long as it takes, with the seed's
 * backoff), then drain the buffer into JetStream on the board's partitioned command subjects and
 * take actuations. Until connected, everything just accumulates in the buffer.
 */
export interface WorkerLink {
  readonly connected: boolean;
  /** Resolves once connected and taking actuations. */
  readonly ready: Promise<void>;
  stats(): { forwarder: ReturnType<Forwarder['stats']> | null; actuations: ReturnType<Actuations['stats']> | null };
  /** Stops taking actuations, gives the forwarder up to `flushMs` to deliver what is buffered, disconnects. */
  stop(flushMs: number): Promise<void>;
}

export function startWorkerLink(deps: {
  config: HardwareConfig;
  buffer: DiskBuffer;
  apply: ActuationOptions['apply'];
  ota?: ActuationOptions['ota'];
  logger: Logger;
}): WorkerLink {
  const { config, buffer, logger } = deps;
  const abort = new AbortController();
  const board = { kind: config.board.kind, id: config.board.id };
  let connection: EdgeConnection | undefined;
  let forwarder: Forwarder | undefined;
  let actuations: Actuations | undefined;
  const n = config.nats;
  const authenticator: Authenticator | undefined = n.creds ? credsAuthenticator(n.creds) : undefined;

  const ready = (async () => {
    connection = await connectEdge({
      servers: n.servers,
      name: `edge-${board.kind}-${board.id}`,
      ...(n.user ? { user: n.user, pass: n.pass ?? '' } : {}),
      ...(n.token ? { token: n.token } : {}),
      ...(authenticator ? { authenticator } : {}),
      logger,
      signal: abort.signal,
    });
    logger.info({ servers: n.servers, buffered: buffer.stats().pending }, 'connected to NATS; delivering');
    forwarder = createForwarder({ buffer, connection, logger, subjectFor: (kind, id) => commandSubject(kind, id, config.partitions) });
    actuations = await startActuations({ connection, buffer, board, apply: deps.apply, ...(deps.ota ? { ota: deps.ota } : {}), logger, signal: abort.signal });
    logger.info({ board: `${board.kind}/${board.id}` }, 'taking actuations');
  })();
  // Stopping before the link came up ends the wait; that is not an error worth reporting.
  ready.catch((err: unknown) => {
    if (!abort.signal.aborted) logger.error({ err }, 'the link to NATS failed');
  });

  return {
    get connected() {
      return connection?.connected ?? false;
    },
    ready,
    stats: () => ({ forwarder: forwarder?.stats() ?? null, actuations: actuations?.stats() ?? null }),
    async stop(flushMs) {
      abort.abort();
      await ready.catch(() => undefined);
      await actuations?.stop();
      if (forwarder && connection?.connected) await forwarder.drained(flushMs).catch(() => undefined);
      await forwarder?.close();
      await connection?.close();
    },
  };
}
