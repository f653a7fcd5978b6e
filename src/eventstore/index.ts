export type * from './eventStore.js';
export { SERIALIZED, serializeEvent } from './eventStore.js';
export { getSqliteEventStore, type SqliteEventStoreOptions } from './sqliteEventStore.js';
export { getEsdbEventStore, type EsdbEventStoreOptions } from './esdbEventStore.js';
export { getSqliteSnapshotStore, type SnapshotStore, type Snapshot } from './snapshotStore.js';
export { openEventStore } from './open.js';
