import type Database from 'better-sqlite3';
import type { ComparisonOp, Conflict, Interaction } from '../actors/kinds/interactionConflicts.js';
import type { InteractionsEvent } from '../actors/kinds/interactions.decider.js';
import type { RecordedEvent } from '../eventstore/eventStore.js';
import { addressOfStream } from '../shared/ids.js';
import type { Projection } from './projectionRunner.js';
import { perConnection } from './perConnection.js';

type Db = Database.Database;

/**
 * The interaction table every interactions actor keeps, for the rule engine and the API: one
 * row per interaction, indexed by source so a reading finds its rules with one index lookup,
 * and each interaction's most recent firings with their latency (FIRINGS_KEPT of them).
 *
 * Rows are keyed by actor and id: `interactions/default` is the table by convention, but two
 * actors never overwrite each other's rules.
 */
export const FIRINGS_KEPT = 1000;

export interface InteractionRow extends Interaction {
  actor: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** Firings recorded since it was added (also those no longer kept). */
  fired: number;
  lastFiredAt: string | null;
  /** What `force: true` overrode when it was last added, updated or enabled. */
  forcedConflicts: Conflict[];
}

export interface Firing {
  /** 1 for its first firing, counting up. */
  seq: number;
  readingValue: number;
  readingAt: string;
  actuatedAt: string;
  latencyMs: number;
  position: number;
}

const TABLES = `
CREATE TABLE IF NOT EXISTS interactions (
  actor TEXT NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL, op TEXT NOT NULL, threshold REAL NOT NULL,
  target TEXT NOT NULL, target_value REAL NOT NULL, enabled INTEGER NOT NULL, version INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, fired INTEGER NOT NULL, last_fired_at TEXT,
  forced_conflicts TEXT NOT NULL, PRIMARY KEY (actor, id));
CREATE INDEX IF NOT EXISTS interactions_by_source ON interactions (source, enabled);
CREATE TABLE IF NOT EXISTS interaction_firings (
  actor TEXT NOT NULL, interaction_id TEXT NOT NULL, seq INTEGER NOT NULL, reading_value REAL NOT NULL,
  reading_at TEXT NOT NULL, actuated_at TEXT NOT NULL, latency_ms REAL NOT NULL, position INTEGER NOT NULL,
  PRIMARY KEY (actor, interaction_id, seq)) WITHOUT ROWID;`;

function prepare(db: Db) {
  return {
    insert: db.prepare(
      `INSERT INTO interactions VALUES (@actor, @id, @source, @op, @threshold, @target, @targetValue, @enabled, 1, @at, @at, 0, NULL, @forced)
       ON CONFLICT (actor, id) DO NOTHING`,
    ),
    update: db.prepare(
      `UPDATE interactions SET source = @source, op = @op, threshold = @threshold, target = @target, target_value = @targetValue,
       forced_conflicts = @forced, version = version + 1, updated_at = @at WHERE actor = @actor AND id = @id`,
    ),
    enable: db.prepare('UPDATE interactions SET enabled = @enabled, forced_conflicts = @forced, version = version + 1, updated_at = @at WHERE actor = @actor AND id = @id'),
    disable: db.prepare('UPDATE interactions SET enabled = 0, version = version + 1, updated_at = @at WHERE actor = @actor AND id = @id'),
    remove: db.prepare('DELETE FROM interactions WHERE actor = ? AND id = ?'),
    removeFirings: db.prepare('DELETE FROM interaction_firings WHERE actor = ? AND interaction_id = ?'),
    countFiring: db.prepare('UPDATE interactions SET fired = fired + 1, last_fired_at = @actuatedAt WHERE actor = @actor AND id = @id RETURNING fired').pluck(),
    insertFiring: db.prepare('INSERT INTO interaction_firings VALUES (@actor, @id, @seq, @readingValue, @readingAt, @actuatedAt, @latencyMs, @position)'),
    // Firings are numbered per interaction, so the one falling out of the window is found by key.
    dropFiring: db.prepare('DELETE FROM interaction_firings WHERE actor = ? AND interaction_id = ? AND seq = ?'),
    bySource: db.prepare('SELECT * FROM interactions WHERE source = ? AND enabled = 1 ORDER BY actor, id'),
    all: db.prepare('SELECT * FROM interactions ORDER BY actor, id'),
    one: db.prepare('SELECT * FROM interactions WHERE actor = ? AND id = ?'),
    recentFirings: db.prepare(
      `SELECT seq, reading_value AS readingValue, reading_at AS readingAt, actuated_at AS actuatedAt, latency_ms AS latencyMs, position
       FROM interaction_firings WHERE actor = ? AND interaction_id = ? ORDER BY seq DESC LIMIT ?`,
    ),
  };
}

// Statements are prepared once per connection; a reset drops them with the tables.
const cache = perConnection(prepare);
const statements = (db: Db) => cache.get(db);

function apply(db: Db, event: RecordedEvent): void {
  const address = addressOfStream(event.stream);
  if (address?.kind !== 'interactions') return;
  const actor = address.id;
  const s = statements(db);
  const e = event as unknown as InteractionsEvent;
  switch (e.type) {
    case 'InteractionAdded': {
      const { id, when, then, enabled, forcedConflicts, at } = e.data;
      s.insert.run({ actor, id, ...definition(when, then), enabled: enabled ? 1 : 0, at, forced: JSON.stringify(forcedConflicts) });
      return;
    }
    case 'InteractionUpdated': {
      const { id, when, then, forcedConflicts, at } = e.data;
      s.update.run({ actor, id, ...definition(when, then), at, forced: JSON.stringify(forcedConflicts) });
      return;
    }
    case 'InteractionDeleted':
      s.remove.run(actor, e.data.id);
      s.removeFirings.run(actor, e.data.id);
      return;
    case 'InteractionEnabled':
      s.enable.run({ actor, id: e.data.id, enabled: 1, forced: JSON.stringify(e.data.forcedConflicts), at: e.data.at });
      return;
    case 'InteractionDisabled':
      s.disable.run({ actor, id: e.data.id, at: e.data.at });
      return;
    case 'FiringRecorded': {
      const { interactionId: id, readingValue, readingAt, actuatedAt, latencyMs } = e.data;
      const seq = s.countFiring.get({ actor, id, actuatedAt }) as number | undefined;
      if (seq === undefined) return;
      s.insertFiring.run({ actor, id, seq, readingValue, readingAt, actuatedAt, latencyMs, position: event.position });
      if (seq > FIRINGS_KEPT) s.dropFiring.run(actor, id, seq - FIRINGS_KEPT);
      return;
    }
    default:
      return;
  }
}

const definition = (when: Interaction['when'], then: Interaction['then']) => ({ source: when.source, op: when.op, threshold: when.value, target: then.target, targetValue: then.value });

export const interactionsProjection: Projection = {
  name: 'interactions',
  kinds: ['interactions'],
  version: '1',
  init: (db) => db.exec(TABLES),
  reset(db) {
    cache.forget(db);
    db.exec('DROP TABLE IF EXISTS interactions; DROP TABLE IF EXISTS interaction_firings;');
  },
  apply,
};

/** The tables this projection owns, for dumps and tests. */
export const INTERACTIONS_TABLES = ['interactions', 'interaction_firings'] as const;

interface Row {
  actor: string;
  id: string;
  source: string;
  op: ComparisonOp;
  threshold: number;
  target: string;
  target_value: number;
  enabled: number;
  version: number;
  created_at: string;
  updated_at: string;
  fired: number;
  last_fired_at: string | null;
  forced_conflicts: string;
}

const toInteraction = (r: Row): Interaction & { actor: string } => ({
  actor: r.actor,
  id: r.id,
  enabled: r.enabled === 1,
  when: { source: r.source, op: r.op, value: r.threshold },
  then: { target: r.target, value: r.target_value },
});

const toRow = (r: Row): InteractionRow => ({
  ...toInteraction(r),
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  fired: r.fired,
  lastFiredAt: r.last_fired_at,
  forcedConflicts: JSON.parse(r.forced_conflicts) as Conflict[],
});

/** The enabled interactions a reading of `source` (`sensor/<id>`) triggers: the engine's hot path. */
export function rulesForSource(db: Db, source: string): Array<Interaction & { actor: string }> {
  return (statements(db).bySource.all(source) as Row[]).map(toInteraction);
}

export function listInteractions(db: Db): InteractionRow[] {
  return (statements(db).all.all() as Row[]).map(toRow);
}

export function getInteraction(db: Db, id: string, actor = 'default'): InteractionRow | undefined {
  const row = statements(db).one.get(actor, id) as Row | undefined;
  return row && toRow(row);
}

/** The interaction's most recent firings, newest first. */
export function firings(db: Db, interactionId: string, limit = 100, actor = 'default'): Firing[] {
  const n = Math.max(0, Math.min(Math.trunc(limit), FIRINGS_KEPT));
  return statements(db).recentFirings.all(actor, interactionId, n) as Firing[];
}
