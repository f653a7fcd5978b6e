import type Database from 'better-sqlite3';

/**
 * Prepared statements kept per database connection: prepared on first use, forgotten on reset
 * (dropping a table invalidates the statements on it).
 */
export function perConnection<T>(prepare: (db: Database.Database) => T): { get(db: Database.Database): T; forget(db: Database.Database): void } {
  const cache = new WeakMap<Database.Database, T>();
  return {
    get(db) {
      let s = cache.get(db);
      if (s === undefined) cache.set(db, (s = prepare(db)));
      return s;
    },
    forget(db) {
      cache.delete(db);
    },
  };
}
