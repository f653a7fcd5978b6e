import type Database from 'better-sqlite3';

/**
 * The SQLite store's on-disk format (PRAGMA user_version 2).
 *
 * Event ids are looked up through `id_key`, a 47-bit hash of the id, with an ordinary index;
 * the full id is compared on the (almost always single) row that key finds. Ids are random
 * (UUIDs), so every index on them takes inserts all over its B-tree, and every commit rewrites
 * the leaf pages it touched into the WAL: an index of 6-byte integers has about a third of the
 * leaf pages that a UNIQUE index on the 36-character text had, and commits that much less. The
 * writer checks the id before each insert, inside its write transaction, so ids stay unique.
 */
export const SCHEMA_VERSION = 2;

const CREATE = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY,          -- global order; max+1 in the write transaction, so no gaps
  stream    TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  id        TEXT    NOT NULL,             -- unique: checked by the writer through id_key
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  id_key    INTEGER NOT NULL,             -- idKey(id)
  UNIQUE (stream, revision)
);
CREATE INDEX IF NOT EXISTS events_id_key ON events (id_key);
CREATE TABLE IF NOT EXISTS fences (
  key    TEXT    PRIMARY KEY,             -- leader, partition.<n>
  token  INTEGER NOT NULL                 -- the newest lease revision seen for the key
);
`;

/** The columns a reader wants (not the lookup key). */
export const EVENT_COLUMNS = 'position, stream, revision, id, type, data, metadata';

/**
 * A 47-bit hash of an event id (two 32-bit FNV-1a lanes, each finished with murmur3's fmix32).
 * 47 bits so SQLite stores it in 6 bytes. It is part of the file format: never change it.
 */
export function idKey(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
  }
  return (fmix32(b) >>> 17) * 0x1_0000_0000 + (fmix32(a) >>> 0);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Creates the tables, or brings a file written by an older version up to this format (in one
 * IMMEDIATE transaction, so concurrent openers wait for it and find it done).
 */
export function ensureSchema(db: Database.Database): void {
  if ((db.pragma('user_version', { simple: true }) as number) >= SCHEMA_VERSION) return;
  db.function('ep_id_key', { deterministic: true }, (id: unknown) => idKey(String(id)));
  db.transaction(() => {
    if ((db.pragma('user_version', { simple: true }) as number) >= SCHEMA_VERSION) return;
    const columns = (db.pragma('table_info(events)') as Array<{ name: string }>).map((c) => c.name);
    if (columns.length > 0 && !columns.includes('id_key')) {
      // Version 1: the same table with a UNIQUE index on the text id.
      db.exec('ALTER TABLE events RENAME TO events_v1');
      db.exec(CREATE);
      db.exec(`INSERT INTO events (${EVENT_COLUMNS}, id_key) SELECT ${EVENT_COLUMNS}, ep_id_key(id) FROM events_v1 ORDER BY position`);
      db.exec('DROP TABLE events_v1');
    } else {
      db.exec(CREATE);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
