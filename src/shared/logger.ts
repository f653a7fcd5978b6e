import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The root logger. Level from EDGEPLANE_LOG_LEVEL (default `info`; tests default to `warn`).
 * Components take `logger.child({ component })`.
 */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  const level = opts.level ?? process.env.EDGEPLANE_LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info');
  return pino({ name: opts.name ?? 'edgeplane', level });
}
