import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import type { Logger } from '../shared/logger.js';

export interface NatsConnectOptions {
  servers: string | string[];
  name: string;
  user?: string;
  pass?: string;
  token?: string;
  logger?: Logger;
}

/**
 * A connection that never gives up reconnecting: edgeplane's components outlive broker restarts.
 * Publishes made while disconnected are buffered by the client and sent on reconnect; JetStream
 * publishers still wait for their acknowledgements, so nothing is assumed stored before it is.
 */
export async function connectNats(opts: NatsConnectOptions): Promise<NatsConnection> {
  const options: ConnectionOptions = {
    servers: opts.servers,
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: 10_000,
    waitOnFirstConnect: true,
    ...(opts.user ? { user: opts.user, pass: opts.pass } : {}),
    ...(opts.token ? { token: opts.token } : {}),
  };
  const nc = await connect(options);
  if (opts.logger) {
    const log = opts.logger;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') log.warn({ status: s.type, data: String(s.data) }, 'nats connection status');
      }
    })();
  }
  return nc;
}
