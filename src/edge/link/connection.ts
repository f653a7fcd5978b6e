import { connect, Events, type Authenticator, type ConnectionOptions, type NatsConnection, type QueuedIterator, type Status } from 'nats';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, type Logger } from '../../shared/logger.js';
import { createBackoff, reconnectDelayHandler, RECONNECT_BACKOFF_MS } from './backoff.js';
import { ConnectAbortedError } from './errors.js';

export interface EdgeConnectOptions {
  servers: string | string[];
  /** Client name shown by the server, e.g. `edge-reactor-r1`. */
  name: string;
  user?: string;
  pass?: string;
  token?: string;
  /** Other credentials, e.g. `credsAuthenticator` for a .creds file. */
  authenticator?: Authenticator;
  logger?: Logger;
  /** Aborts the wait for the first connection (a worker shutting down while NATS is away). */
  signal?: AbortSignal;
  /** Delays between attempts; default the reactor seed's 5 ms … 1 s. */
  backoffMs?: readonly number[];
  /** How often the client pings: a server that vanished without closing the socket is noticed after two missed pings. Default 10 s. */
  pingIntervalMs?: number;
  /** Per dial. Default 5 s. */
  connectTimeoutMs?: number;
}

export interface EdgeConnection {
  readonly nc: NatsConnection;
  /** False from a disconnect until the client is back. */
  readonly connected: boolean;
  /** Called with false on a disconnect and true on a reconnect. */
  onStatus(listener: (connected: boolean) => void): () => void;
  close(): Promise<void>;
}

const AUTH_ERRORS = new Set(['AUTHORIZATION_VIOLATION', 'BAD_AUTHENTICATION', 'BAD_CREDS', 'AUTHENTICATION_EXPIRED']);

/**
 * Connects a board to NATS and stays connected: `reconnect` forever with the seed's backoff.
 *
 * nats 2.29 with `waitOnFirstConnect` would also retry the very first connect through the same
 * delay handler, but that wait cannot be cancelled (there is no connection object to close until
 * it succeeds), so the first connect is our own loop: one `connect()` per attempt, each given a
 * fresh delay handler (a new client dials at once whatever the handler says), the backoff shared.
 * Wrong credentials fail at once: retrying does not fix them.
 */
export async function connectEdge(opts: EdgeConnectOptions): Promise<EdgeConnection> {
  const logger = (opts.logger ?? createLogger()).child({ component: 'edge-nats' });
  const backoff = createBackoff(opts.backoffMs ?? RECONNECT_BACKOFF_MS);
  let failures = 0;
  for (;;) {
    if (opts.signal?.aborted) throw new ConnectAbortedError(opts.servers);
    const delay = reconnectDelayHandler(backoff);
    const options: ConnectionOptions = {
      servers: opts.servers,
      name: opts.name,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectDelayHandler: delay.handler,
      waitOnFirstConnect: false,
      pingInterval: opts.pingIntervalMs ?? 10_000,
      maxPingOut: 2,
      timeout: opts.connectTimeoutMs ?? 5000,
      ...(opts.user ? { user: opts.user, pass: opts.pass } : {}),
      ...(opts.token ? { token: opts.token } : {}),
      ...(opts.authenticator ? { authenticator: opts.authenticator } : {}),
    };
    let nc: NatsConnection;
    try {
      nc = await connect(options);
    } catch (err) {
      if (AUTH_ERRORS.has((err as { code?: string }).code ?? '')) throw err;
      failures++;
      // Loud once, then quietly: a board waiting for its network logs a line a minute, not 60.
      if (failures === 1 || failures % 60 === 0) logger.warn({ err, servers: opts.servers, failures }, 'NATS unreachable; retrying');
      try {
        await sleep(backoff.next(), undefined, { signal: opts.signal });
      } catch {
        throw new ConnectAbortedError(opts.servers);
      }
      continue;
    }
    if (opts.signal?.aborted) {
      await nc.close();
      throw new ConnectAbortedError(opts.servers);
    }
    delay.connected();
    if (failures > 0) logger.info({ failures }, 'connected to NATS');
    return track(nc, delay.connected, logger);
  }
}

function track(nc: NatsConnection, reset: () => void, logger: Logger): EdgeConnection {
  let connected = true;
  const listeners = new Set<(connected: boolean) => void>();
  const set = (value: boolean) => {
    if (value === connected) return;
    connected = value;
    for (const l of listeners) {
      try {
        l(value);
      } catch (err) {
        logger.error({ err }, 'connection listener failed');
      }
    }
  };
  // A QueuedIterator at run time (typed as a plain AsyncIterable): stop() is how it ends.
  const status = nc.status() as QueuedIterator<Status>;
  void (async () => {
    for await (const s of status) {
      if (s.type === Events.Disconnect) {
        logger.warn({ server: s.data }, 'disconnected from NATS');
        set(false);
      } else if (s.type === Events.Reconnect) {
        reset();
        logger.info({ server: s.data }, 'reconnected to NATS');
        set(true);
      }
    }
  })();
  void nc.closed().then(() => set(false));
  return {
    nc,
    get connected() {
      return connected && !nc.isClosed();
    },
    onStatus(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      // nats 2.29 does not end status iterators when the connection closes.
      status.stop();
      if (!nc.isClosed()) await nc.close();
    },
  };
}
