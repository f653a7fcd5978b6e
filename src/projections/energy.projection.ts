import type Database from 'better-sqlite3';
import type { DaemonEvent } from '../actors/kinds/daemon.decider.js';
import type { RecordedEvent } from '../eventstore/eventStore.js';
import { addressOfStream } from '../shared/ids.js';
import {
  accumulate,
  bucketDeltas,
  bucketStart,
  contributionDelta,
  energyBetween,
  InvalidTimeRangeError,
  MAX_BUCKETS,
  nextBucketStart,
  type BucketKwh,
  type BucketUnit,
  type Contribution,
  type ContributionDelta,
  type Measurement,
} from './energy.js';
import type { Projection } from './projectionRunner.js';
import { perConnection } from './perConnection.js';

type Db = Database.Database;

/**
 * Paddy's kWh statistics as a read model: every daemon's measurements, and its energy rolled up
 * per UTC minute, hour, day and month, each updated in O(1) per reading whatever order readings
 * arrive in (energy.ts: `accumulate` for the next reading, `contributionDelta` between stored
 * neighbours for a late one, `bucketDeltas` to spread the change).
 *
 * Rollups are kept in whole watt-milliseconds, each term of the sum rounded on its own: a term
 * removed later (a late reading split its interval) takes back exactly what it added, so the
 * integer sums are exact and the same whatever order the readings arrived in, even with
 * fractional watts (off by under a milliwatt-second per term).
 */
export const ENERGY_UNITS: readonly BucketUnit[] = ['minute', 'hour', 'day', 'month'];
const WATT_MS_PER_KWH = 3_600_000_000;
/** The epoch range `Date` can represent. */
const MAX_EPOCH_MS = 8.64e15;

export interface EnergyReport {
  unit: BucketUnit;
  /** The range [from, to) in epoch ms; the first/last measurement when not given, null when there is none. */
  from: number | null;
  to: number | null;
  buckets: BucketKwh[];
  totalKwh: number;
}

const TABLES = `
CREATE TABLE IF NOT EXISTS energy_measurements (
  daemon TEXT NOT NULL, at INTEGER NOT NULL, watts REAL NOT NULL, PRIMARY KEY (daemon, at)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS energy_rollups (
  daemon TEXT NOT NULL, unit TEXT NOT NULL, start INTEGER NOT NULL, watt_ms INTEGER NOT NULL,
  PRIMARY KEY (daemon, unit, start)) WITHOUT ROWID;`;

function prepare(db: Db) {
  const m = 'SELECT at, watts FROM energy_measurements WHERE daemon = ?';
  return {
    last: db.prepare(`${m} ORDER BY at DESC LIMIT 1`),
    atOrBefore: db.prepare(`${m} AND at <= ? ORDER BY at DESC LIMIT 1`),
    atOrAfter: db.prepare(`${m} AND at >= ? ORDER BY at ASC LIMIT 1`),
    after: db.prepare(`${m} AND at > ? ORDER BY at ASC LIMIT 1`),
    between: db.prepare(`${m} AND at > ? AND at < ? ORDER BY at ASC`),
    span: db.prepare('SELECT MIN(at) AS first, MAX(at) AS last FROM energy_measurements WHERE daemon = ?'),
    insert: db.prepare('INSERT INTO energy_measurements (daemon, at, watts) VALUES (?, ?, ?)'),
    replace: db.prepare('UPDATE energy_measurements SET watts = ? WHERE daemon = ? AND at = ?'),
    addRollup: db.prepare(
      'INSERT INTO energy_rollups (daemon, unit, start, watt_ms) VALUES (?, ?, ?, ?) ON CONFLICT (daemon, unit, start) DO UPDATE SET watt_ms = watt_ms + excluded.watt_ms',
    ),
    rollups: db.prepare('SELECT start, watt_ms AS wattMs FROM energy_rollups WHERE daemon = ? AND unit = ? AND start >= ? AND start < ?'),
    rollupSum: db.prepare('SELECT COALESCE(SUM(watt_ms), 0) FROM energy_rollups WHERE daemon = ? AND unit = ? AND start >= ? AND start < ?').pluck(),
  };
}

// Statements are prepared once per connection; a reset drops them with the tables.
const cache = perConnection(prepare);
const statements = (db: Db) => cache.get(db);

function apply(db: Db, event: RecordedEvent): void {
  const address = addressOfStream(event.stream);
  const e = event as unknown as DaemonEvent;
  if (address?.kind !== 'daemon' || e.type !== 'PowerRecorded') return;
  const reading: Measurement = { at: Date.parse(e.data.at), watts: e.data.watts };
  // The daemon decider accepts nothing else; a reading it would refuse counts for nothing.
  if (!Number.isFinite(reading.at) || Math.abs(reading.at) > MAX_EPOCH_MS || !Number.isFinite(reading.watts)) return;
  const s = statements(db);
  const daemon = address.id;
  const step = accumulate({ last: s.last.get(daemon) as Measurement | undefined }, reading);
  const delta =
    step.kind === 'applied'
      ? step.delta
      : contributionDelta(s.atOrBefore.get(daemon, reading.at) as Measurement | undefined, reading, s.after.get(daemon, reading.at) as Measurement | undefined);
  if (delta.effect === 'ignore') return;
  if (delta.effect === 'insert') s.insert.run(daemon, reading.at, reading.watts);
  else s.replace.run(reading.watts, daemon, reading.at);
  for (const unit of ENERGY_UNITS) {
    for (const [start, wattMs] of rollupChanges(delta, unit)) s.addRollup.run(daemon, unit, start, wattMs);
  }
}

/** The delta per bucket in whole watt-ms, every term rounded by itself (see above). */
function rollupChanges(delta: ContributionDelta, unit: BucketUnit): Array<[start: number, wattMs: number]> {
  const out: Array<[number, number]> = [];
  const spread = (terms: readonly Contribution[], sign: 1 | -1) => {
    for (const c of terms) {
      for (const b of bucketDeltas({ effect: delta.effect, removed: [], added: [c] }, unit)) {
        const wattMs = Math.round(b.kwh * WATT_MS_PER_KWH);
        if (wattMs !== 0) out.push([b.start, sign * wattMs]);
      }
    }
  };
  spread(delta.removed, -1);
  spread(delta.added, 1);
  return out;
}

export const energyProjection: Projection = {
  name: 'energy',
  kinds: ['daemon'],
  version: '1',
  init: (db) => db.exec(TABLES),
  reset(db) {
    cache.forget(db);
    db.exec('DROP TABLE IF EXISTS energy_measurements; DROP TABLE IF EXISTS energy_rollups;');
  },
  apply,
};

export const ENERGY_TABLES = ['energy_measurements', 'energy_rollups'] as const;

type Statements = ReturnType<typeof prepare>;

/** Watt-ms in [a, b) straight from the measurements: the stored neighbours around the range and those inside. */
function measured(s: Statements, daemon: string, a: number, b: number): number {
  const inside = s.between.all(daemon, a, b) as Measurement[];
  const before = s.atOrBefore.get(daemon, a) as Measurement | undefined;
  const after = s.atOrAfter.get(daemon, b) as Measurement | undefined;
  const around = [...(before ? [before] : []), ...inside, ...(after ? [after] : [])];
  return energyBetween(around, a, b) * WATT_MS_PER_KWH;
}

/** Units whose buckets tile the one before: a month is whole days, a day whole hours, an hour whole minutes. */
const FINER: Readonly<Record<BucketUnit, BucketUnit | null>> = { month: 'day', day: 'hour', hour: 'minute', minute: null };

/**
 * Exact watt-ms in [a, b) (inside one bucket of a coarser unit): the whole `unit` buckets it
 * holds come from their rollups, the ragged edges from the next finer unit, and below a minute
 * from the measurements. Never pro-rated, and a few dozen lookups for any range.
 */
function exactly(s: Statements, daemon: string, a: number, b: number, unit: BucketUnit | null): number {
  if (a >= b) return 0;
  if (unit === null) return measured(s, daemon, a, b);
  const first = bucketStart(a, unit) === a ? a : nextBucketStart(bucketStart(a, unit), unit);
  const end = bucketStart(b, unit);
  if (first >= end) return exactly(s, daemon, a, b, FINER[unit]);
  const whole = s.rollupSum.get(daemon, unit, first, end) as number;
  return exactly(s, daemon, a, first, FINER[unit]) + whole + exactly(s, daemon, end, b, FINER[unit]);
}

function checkTime(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isFinite(value) || Math.abs(value) > MAX_EPOCH_MS)) {
    throw new InvalidTimeRangeError(`${name} must be finite epoch milliseconds (got ${String(value)})`, { [name]: value });
  }
}

/**
 * kWh of `daemonId` per UTC calendar `unit` over [from, to) (default: first to last
 * measurement, the seed's min/max bounds), plus the total. Buckets are listed under their full
 * calendar bounds, counting only what lies in the range, as `bucketize` does: whole buckets
 * come from the rollups, the partly covered ones at the edges are computed exactly.
 */
export function energyReport(db: Db, daemonId: string, unit: BucketUnit, from?: number, to?: number): EnergyReport {
  if (!ENERGY_UNITS.includes(unit)) throw new InvalidTimeRangeError(`unknown bucket unit ${JSON.stringify(unit)} (minute, hour, day or month)`, { unit });
  checkTime('from', from);
  checkTime('to', to);
  const s = statements(db);
  const span = s.span.get(daemonId) as { first: number | null; last: number | null };
  const lo = from ?? span.first;
  const hi = to ?? span.last;
  if (lo === null || hi === null) return { unit, from: lo, to: hi, buckets: [], totalKwh: 0 };
  if (lo > hi) throw new InvalidTimeRangeError(`time range starts after it ends: [${lo}, ${hi})`, { from: lo, to: hi });

  const bounds: Array<{ start: number; end: number }> = [];
  for (let start = bucketStart(lo, unit); start < hi; start = nextBucketStart(start, unit)) {
    if (bounds.length === MAX_BUCKETS) throw new InvalidTimeRangeError(`[${lo}, ${hi}) spans more than ${MAX_BUCKETS} ${unit} buckets; use a coarser unit`, { from: lo, to: hi, unit });
    bounds.push({ start, end: nextBucketStart(start, unit) });
  }
  const rolled = new Map<number, number>();
  if (bounds.length > 0) {
    const rows = s.rollups.all(daemonId, unit, bounds[0]!.start, bounds[bounds.length - 1]!.end) as Array<{ start: number; wattMs: number }>;
    for (const r of rows) rolled.set(r.start, r.wattMs);
  }
  let totalWattMs = 0;
  const buckets = bounds.map(({ start, end }): BucketKwh => {
    const covered = start >= lo && end <= hi;
    const wattMs = covered ? (rolled.get(start) ?? 0) : exactly(s, daemonId, Math.max(start, lo), Math.min(end, hi), FINER[unit]);
    totalWattMs += wattMs;
    return { start, end, kwh: wattMs / WATT_MS_PER_KWH };
  });
  return { unit, from: lo, to: hi, buckets, totalKwh: totalWattMs / WATT_MS_PER_KWH };
}
