import type Database from 'better-sqlite3';
import type { BlockEvent } from '../actors/kinds/block.decider.js';
import type { JsonObject, Translations } from '../actors/kinds/block.merge.js';
import type { RecordedEvent } from '../eventstore/eventStore.js';
import { addressOfStream } from '../shared/ids.js';
import type { Projection } from './projectionRunner.js';
import { perConnection } from './perConnection.js';

type Db = Database.Database;

/**
 * Brewblox block sync as it stands, per routing key: the master block and its latest data, and
 * for each slave what it last mirrored (the data `BlockSynced` wrote, the master revision and
 * time it came from) and the lag, from the master's time to when the slave wrote it.
 *
 * One row per block that ever synced or was written, so a master's data is at hand whenever it
 * becomes one, and a slave's mirror survives local writes until it syncs again or stops.
 */
export interface MasterView {
  block: string;
  interval: number;
  since: string;
  data: JsonObject | null;
  dataAt: string | null;
  /** Stream revision of the event that last set its data. */
  dataRevision: number | null;
}

export interface SlaveView {
  block: string;
  translations: Translations;
  since: string;
  /** The slave's data as the last sync wrote it; null before its first sync. */
  mirrored: JsonObject | null;
  masterRevision: number | null;
  masterAt: string | null;
  at: string | null;
  /** `at − masterAt` in ms. */
  lagMs: number | null;
}

export interface KeyMirrors {
  key: string;
  /** null while no block is master of the key (slaves may subscribe first). */
  master: MasterView | null;
  slaves: SlaveView[];
}

const TABLE = `
CREATE TABLE IF NOT EXISTS block_mirrors (
  block TEXT PRIMARY KEY, role TEXT, key TEXT, interval REAL, translations TEXT, since TEXT,
  data TEXT, data_at TEXT, data_revision INTEGER,
  mirrored TEXT, master_revision INTEGER, master_at TEXT, synced_at TEXT, lag_ms INTEGER);
CREATE INDEX IF NOT EXISTS block_mirrors_by_key ON block_mirrors (key, role, block);`;

const NO_SYNC = 'role = NULL, key = NULL, interval = NULL, translations = NULL, since = NULL, mirrored = NULL, master_revision = NULL, master_at = NULL, synced_at = NULL, lag_ms = NULL';

function prepare(db: Db) {
  return {
    ensure: db.prepare('INSERT INTO block_mirrors (block) VALUES (?) ON CONFLICT (block) DO NOTHING'),
    data: db.prepare('UPDATE block_mirrors SET data = @data, data_at = @at, data_revision = @revision WHERE block = @block'),
    master: db.prepare(`UPDATE block_mirrors SET ${NO_SYNC}, role = 'master', key = @key, interval = @interval, since = @at WHERE block = @block`),
    slave: db.prepare(`UPDATE block_mirrors SET ${NO_SYNC}, role = 'slave', key = @key, translations = @translations, since = @at WHERE block = @block`),
    stop: db.prepare(`UPDATE block_mirrors SET ${NO_SYNC} WHERE block = ?`),
    synced: db.prepare(
      `UPDATE block_mirrors SET data = @data, data_at = @at, data_revision = @revision, mirrored = @data,
       master_revision = @masterRevision, master_at = @masterAt, synced_at = @at, lag_ms = @lagMs WHERE block = @block`,
    ),
    all: db.prepare('SELECT * FROM block_mirrors WHERE key IS NOT NULL ORDER BY key, role, block'),
    ofKey: db.prepare('SELECT * FROM block_mirrors WHERE key = ? ORDER BY role, block'),
  };
}

// Statements are prepared once per connection; a reset drops them with the tables.
const cache = perConnection(prepare);
const statements = (db: Db) => cache.get(db);

function apply(db: Db, event: RecordedEvent): void {
  const address = addressOfStream(event.stream);
  if (address?.kind !== 'block') return;
  const block = address.id;
  const s = statements(db);
  const e = event as unknown as BlockEvent;
  switch (e.type) {
    case 'BlockWritten':
    case 'BlockPatched':
      s.ensure.run(block);
      s.data.run({ block, data: JSON.stringify(e.data.data), at: e.data.at, revision: event.revision });
      return;
    case 'BlockBecameMaster':
      s.ensure.run(block);
      s.master.run({ block, key: e.data.key, interval: e.data.interval, at: e.data.at });
      return;
    case 'BlockBecameSlave':
      s.ensure.run(block);
      s.slave.run({ block, key: e.data.key, translations: JSON.stringify(e.data.translations), at: e.data.at });
      return;
    case 'BlockSyncStopped':
      s.stop.run(block);
      return;
    case 'BlockSynced': {
      const { data, masterRevision, masterAt, at } = e.data;
      s.ensure.run(block);
      s.synced.run({ block, data: JSON.stringify(data), at, revision: event.revision, masterRevision, masterAt, lagMs: Date.parse(at) - Date.parse(masterAt) });
      return;
    }
    default:
      return;
  }
}

export const blockMirrorsProjection: Projection = {
  name: 'blockMirrors',
  kinds: ['block'],
  version: '1',
  init: (db) => db.exec(TABLE),
  reset(db) {
    cache.forget(db);
    db.exec('DROP TABLE IF EXISTS block_mirrors');
  },
  apply,
};

export const BLOCK_MIRRORS_TABLES = ['block_mirrors'] as const;

interface Row {
  block: string;
  role: 'master' | 'slave';
  key: string;
  interval: number | null;
  translations: string | null;
  since: string;
  data: string | null;
  data_at: string | null;
  data_revision: number | null;
  mirrored: string | null;
  master_revision: number | null;
  master_at: string | null;
  synced_at: string | null;
  lag_ms: number | null;
}

const json = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

function toKey(key: string, rows: Row[]): KeyMirrors {
  const m = rows.find((r) => r.role === 'master');
  const master: MasterView | null = m
    ? { block: m.block, interval: m.interval ?? 0, since: m.since, data: json<JsonObject>(m.data), dataAt: m.data_at, dataRevision: m.data_revision }
    : null;
  const slaves = rows
    .filter((r) => r.role === 'slave')
    .map((r): SlaveView => ({
      block: r.block,
      translations: json<Translations>(r.translations) ?? {},
      since: r.since,
      mirrored: json<JsonObject>(r.mirrored),
      masterRevision: r.master_revision,
      masterAt: r.master_at,
      at: r.synced_at,
      lagMs: r.lag_ms,
    }));
  return { key, master, slaves };
}

/** Every routing key with a master or a slave, by key. */
export function blockMirrors(db: Db): KeyMirrors[] {
  const byKey = new Map<string, Row[]>();
  for (const row of statements(db).all.all() as Row[]) {
    const rows = byKey.get(row.key);
    if (rows === undefined) byKey.set(row.key, [row]);
    else rows.push(row);
  }
  return [...byKey].map(([key, rows]) => toKey(key, rows));
}

/** One routing key (`<service>.<blockId>`), or undefined when no block masters or follows it. */
export function mirrorsForKey(db: Db, key: string): KeyMirrors | undefined {
  const rows = statements(db).ofKey.all(key) as Row[];
  return rows.length === 0 ? undefined : toKey(key, rows);
}
