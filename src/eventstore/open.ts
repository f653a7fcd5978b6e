import { ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { getEsdbEventStore } from './esdbEventStore.js';
import type { EventStore } from './eventStore.js';
import { getSqliteEventStore } from './sqliteEventStore.js';

/** `sqlite:<path>` or `esdb://…` / `esdb+discover://…` → the adapter for it. */
export function openEventStore(spec: string, logger: Logger): EventStore {
  if (spec.startsWith('sqlite:')) return getSqliteEventStore({ path: spec.slice('sqlite:'.length), logger: logger.child({ component: 'sqlite' }) });
  if (/^esdb(\+discover)?:\/\//.test(spec)) return getEsdbEventStore({ connectionString: spec, logger: logger.child({ component: 'esdb' }) });
  throw new ConfigError(`event store must be sqlite:<path> or esdb://… (got ${JSON.stringify(spec)})`);
}
