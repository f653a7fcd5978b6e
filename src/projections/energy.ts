/**
 * Paddy's kWh statistics: energy = Σ watts_i × (t_{i+1} − t_i), a left Riemann sum over the
 * measurements in time order, converted to kWh.
 *
 * Rules (where the seed is silent, the choice is stated):
 * - Measurements are sorted by `at` first, so delivery order never changes a result.
 * - Several measurements with the same `at` count once: the highest `watts` is kept, a choice
 *   that does not depend on arrival order (a redelivered reading carries the same value anyway).
 * - The power over [t_i, t_{i+1}) is the watts measured at t_i; the last measurement contributes
 *   nothing until a later one arrives.
 * - An interval longer than `maxGapMs` (default 60 s) is not integrated: the plug was offline and
 *   nobody knows what it drew. An interval of exactly `maxGapMs` is integrated.
 * - A range [from, to) clips intervals exactly: a reading just before `from` contributes its tail.
 *   (The seed filters readings by time instead, which drops those tails.)
 * - Sums are kept in watt-milliseconds and divided once, so integer inputs give exact results.
 *
 * The incremental form, for a projection: readings of one daemon are fed in `at` order through
 * `accumulate`; a reading older than the last one is reported as `late`, and the projection then
 * looks up its stored neighbours and applies `contributionDelta` — O(1) rollup updates per reading,
 * whatever order they arrive in.
 */
import { ConfigError, EdgeplaneError } from '../shared/errors.js';

export type BucketUnit = 'minute' | 'hour' | 'day' | 'month';

export interface Measurement {
  /** Milliseconds since the Unix epoch. */
  readonly at: number;
  readonly watts: number;
}

export interface EnergyOptions {
  /** Longest interval still integrated; longer ones mean the daemon was offline. Default 60 000. */
  readonly maxGapMs?: number;
}

/** Power `watts` held over [start, end): one term of the sum. */
export interface Contribution {
  readonly start: number;
  readonly end: number;
  readonly watts: number;
}

/** Energy in one calendar bucket [start, end) (UTC). */
export interface BucketKwh {
  readonly start: number;
  readonly end: number;
  readonly kwh: number;
}

export interface Bucketized {
  readonly buckets: BucketKwh[];
  readonly totalKwh: number;
}

export const DEFAULT_MAX_GAP_MS = 60_000;
/** Refuses queries that would build absurd arrays (a decade of minutes); a coarser unit answers them. */
export const MAX_BUCKETS = 100_000;
const WATT_MS_PER_KWH = 3_600_000_000;
/** The range `Date` can represent. */
const MAX_EPOCH_MS = 8.64e15;

export class InvalidMeasurementError extends EdgeplaneError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ERR_INVALID_MEASUREMENT', message, details);
  }
}

export class InvalidTimeRangeError extends EdgeplaneError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ERR_INVALID_TIME_RANGE', message, details);
  }
}

const FIXED_UNIT_MS: Readonly<Record<Exclude<BucketUnit, 'month'>, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

function checkBucketUnit(unit: BucketUnit): void {
  if (unit !== 'month' && !Object.hasOwn(FIXED_UNIT_MS, unit)) throw new InvalidTimeRangeError(`unknown bucket unit ${JSON.stringify(unit)} (minute, hour, day or month)`, { unit });
}

/** Start of the UTC calendar `unit` containing `at`. Epoch ms ignore leap seconds, so days are fixed. */
export function bucketStart(at: number, unit: BucketUnit): number {
  if (unit === 'month') {
    const d = new Date(at);
    return utcMonthStart(d.getUTCFullYear(), d.getUTCMonth());
  }
  const len = FIXED_UNIT_MS[unit];
  return at - (((at % len) + len) % len);
}

/** Start of the bucket after the one starting at `start`; months have their real lengths. */
export function nextBucketStart(start: number, unit: BucketUnit): number {
  if (unit === 'month') {
    const d = new Date(start);
    return utcMonthStart(d.getUTCFullYear(), d.getUTCMonth() + 1);
  }
  return start + FIXED_UNIT_MS[unit];
}

/** `Date.UTC` maps years 0–99 to 1900–1999; setUTCFullYear does not. */
function utcMonthStart(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 1);
  return d.getTime();
}

interface Resolved {
  readonly maxGapMs: number;
}

function resolve(opts: EnergyOptions | undefined): Resolved {
  const maxGapMs = opts?.maxGapMs ?? DEFAULT_MAX_GAP_MS;
  // Infinity is allowed: it integrates every interval.
  if (typeof maxGapMs !== 'number' || !(maxGapMs > 0)) throw new ConfigError(`maxGapMs must be a positive number of milliseconds, got ${String(maxGapMs)}`, { maxGapMs });
  return { maxGapMs };
}

function checkMeasurement(m: Measurement): void {
  if (!Number.isFinite(m.at) || Math.abs(m.at) > MAX_EPOCH_MS) throw new InvalidMeasurementError(`measurement time ${String(m.at)} is not a valid epoch in milliseconds`, { at: m.at });
  if (!Number.isFinite(m.watts)) throw new InvalidMeasurementError(`measurement at ${m.at} has non-finite watts ${String(m.watts)}`, { at: m.at, watts: m.watts });
}

function checkRange(from: number, to: number): void {
  if (!Number.isFinite(from) || !Number.isFinite(to) || Math.abs(from) > MAX_EPOCH_MS || Math.abs(to) > MAX_EPOCH_MS) {
    throw new InvalidTimeRangeError(`time range [${from}, ${to}) must be finite epoch milliseconds`, { from, to });
  }
  if (from > to) throw new InvalidTimeRangeError(`time range starts after it ends: [${from}, ${to})`, { from, to });
}

/** Sorted by `at`, one measurement per `at` (the highest watts); throws on a non-finite field. */
export function normalizeMeasurements(measurements: readonly Measurement[]): Measurement[] {
  for (const m of measurements) checkMeasurement(m);
  const sorted = [...measurements].sort((a, b) => a.at - b.at || b.watts - a.watts);
  return sorted.filter((m, i) => i === 0 || sorted[i - 1]!.at !== m.at);
}

/** The terms of the sum over sorted, deduplicated measurements, gaps left out. */
function contributions(sorted: readonly Measurement[], { maxGapMs }: Resolved): Contribution[] {
  const out: Contribution[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i]!;
    const b = sorted[i + 1]!;
    if (b.at - a.at <= maxGapMs) out.push({ start: a.at, end: b.at, watts: a.watts });
  }
  return out;
}

/** kWh consumed in [from, to), partially covered intervals clipped exactly. */
export function energyBetween(measurements: readonly Measurement[], from: number, to: number, opts?: EnergyOptions): number {
  const resolved = resolve(opts);
  checkRange(from, to);
  let wattMs = 0;
  for (const c of contributions(normalizeMeasurements(measurements), resolved)) {
    const overlap = Math.min(c.end, to) - Math.max(c.start, from);
    if (overlap > 0) wattMs += c.watts * overlap;
  }
  return wattMs / WATT_MS_PER_KWH;
}

interface MutableBucket {
  start: number;
  end: number;
  wattMs: number;
}

/** Adds `sign × c` clipped to [from, to) into `buckets` (sorted, contiguous), starting the search at `hint`. */
function spread(buckets: MutableBucket[], c: Contribution, from: number, to: number, sign: 1 | -1, hint: number): number {
  let pos = Math.max(c.start, from);
  const end = Math.min(c.end, to);
  let i = hint;
  while (i < buckets.length && buckets[i]!.end <= pos) i++;
  const firstBucket = i;
  while (pos < end && i < buckets.length) {
    const b = buckets[i]!;
    const segEnd = Math.min(b.end, end);
    b.wattMs += sign * c.watts * (segEnd - pos);
    pos = segEnd;
    if (b.end <= pos) i++;
  }
  return firstBucket;
}

function calendarBuckets(unit: BucketUnit, from: number, to: number): MutableBucket[] {
  const buckets: MutableBucket[] = [];
  for (let start = bucketStart(from, unit); start < to; start = nextBucketStart(start, unit)) {
    if (buckets.length === MAX_BUCKETS) {
      throw new InvalidTimeRangeError(`[${from}, ${to}) spans more than ${MAX_BUCKETS} ${unit} buckets; use a coarser unit`, { from, to, unit });
    }
    buckets.push({ start, end: nextBucketStart(start, unit), wattMs: 0 });
  }
  return buckets;
}

/**
 * kWh per UTC calendar `unit` for [from, to), plus the total. Every bucket that meets the range is
 * listed (empty ones with 0) under its full calendar bounds, counting only what lies inside the
 * range. `from`/`to` default to the first/last measurement (the seed's min/max bounds).
 */
export function bucketize(measurements: readonly Measurement[], unit: BucketUnit, from?: number, to?: number, opts?: EnergyOptions): Bucketized {
  const resolved = resolve(opts);
  checkBucketUnit(unit);
  const sorted = normalizeMeasurements(measurements);
  const lo = from ?? sorted[0]?.at;
  const hi = to ?? sorted[sorted.length - 1]?.at;
  if (lo === undefined || hi === undefined) return { buckets: [], totalKwh: 0 };
  checkRange(lo, hi);
  const buckets = calendarBuckets(unit, lo, hi);
  let hint = 0;
  let totalWattMs = 0;
  for (const c of contributions(sorted, resolved)) {
    if (c.end <= lo || c.start >= hi) continue;
    hint = spread(buckets, c, lo, hi, 1, hint);
    totalWattMs += c.watts * (Math.min(c.end, hi) - Math.max(c.start, lo));
  }
  return {
    buckets: buckets.map((b) => ({ start: b.start, end: b.end, kwh: b.wattMs / WATT_MS_PER_KWH })),
    totalKwh: totalWattMs / WATT_MS_PER_KWH,
  };
}

/** What storing one reading changes: the terms to subtract and to add, and what to do with the reading. */
export interface ContributionDelta {
  /** insert: a new `at`; replace: same `at`, higher watts; ignore: same `at`, not higher. */
  readonly effect: 'insert' | 'replace' | 'ignore';
  readonly removed: Contribution[];
  readonly added: Contribution[];
}

/**
 * The change to the sum when `inserted` is stored between its stored neighbours: `prev` is the
 * latest stored reading with `at <= inserted.at`, `next` the earliest with `at > inserted.at`
 * (either may be absent). A reading at `prev.at` is a duplicate: it replaces `prev` only if it
 * has more watts, matching `normalizeMeasurements`.
 */
export function contributionDelta(prev: Measurement | undefined, inserted: Measurement, next: Measurement | undefined, opts?: EnergyOptions): ContributionDelta {
  const { maxGapMs } = resolve(opts);
  checkMeasurement(inserted);
  if ((prev !== undefined && prev.at > inserted.at) || (next !== undefined && next.at <= inserted.at)) {
    throw new InvalidMeasurementError(`neighbours do not surround the reading at ${inserted.at}`, { prev: prev?.at, at: inserted.at, next: next?.at });
  }
  const term = (a: Measurement, b: Measurement | undefined): Contribution[] =>
    b !== undefined && b.at - a.at <= maxGapMs ? [{ start: a.at, end: b.at, watts: a.watts }] : [];

  if (prev !== undefined && prev.at === inserted.at) {
    if (inserted.watts <= prev.watts) return { effect: 'ignore', removed: [], added: [] };
    return { effect: 'replace', removed: term(prev, next), added: term(inserted, next) };
  }
  return {
    effect: 'insert',
    removed: prev === undefined ? [] : term(prev, next),
    added: [...(prev === undefined ? [] : term(prev, inserted)), ...term(inserted, next)],
  };
}

/** A delta as signed kWh per calendar bucket, buckets with no net change left out. */
export function bucketDeltas(delta: ContributionDelta, unit: BucketUnit): BucketKwh[] {
  checkBucketUnit(unit);
  const byStart = new Map<number, MutableBucket>();
  const add = (c: Contribution, sign: 1 | -1): void => {
    for (let start = bucketStart(c.start, unit); start < c.end; start = nextBucketStart(start, unit)) {
      let b = byStart.get(start);
      if (b === undefined) {
        b = { start, end: nextBucketStart(start, unit), wattMs: 0 };
        byStart.set(start, b);
      }
      b.wattMs += sign * c.watts * (Math.min(b.end, c.end) - Math.max(b.start, c.start));
    }
  };
  for (const c of delta.removed) add(c, -1);
  for (const c of delta.added) add(c, 1);
  return [...byStart.values()]
    .filter((b) => b.wattMs !== 0)
    .sort((a, b) => a.start - b.start)
    .map((b) => ({ start: b.start, end: b.end, kwh: b.wattMs / WATT_MS_PER_KWH }));
}

/** Per-daemon state of the in-order feed: the last reading kept. */
export interface EnergyAccumulator {
  readonly last: Measurement | undefined;
}

export const initialEnergyAccumulator: EnergyAccumulator = { last: undefined };

export type AccumulateResult =
  | { readonly kind: 'applied'; readonly accumulator: EnergyAccumulator; readonly delta: ContributionDelta }
  /** Older than the last reading: look up the stored neighbours and use `contributionDelta`. */
  | { readonly kind: 'late'; readonly accumulator: EnergyAccumulator };

/** Folds the next reading of one daemon (fed in `at` order) into its accumulator. */
export function accumulate(accumulator: EnergyAccumulator, m: Measurement, opts?: EnergyOptions): AccumulateResult {
  const { last } = accumulator;
  if (last !== undefined && m.at < last.at) {
    checkMeasurement(m);
    return { kind: 'late', accumulator };
  }
  const delta = contributionDelta(last, m, undefined, opts);
  return { kind: 'applied', accumulator: delta.effect === 'ignore' ? accumulator : { last: m }, delta };
}
