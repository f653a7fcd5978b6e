import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  accumulate,
  bucketDeltas,
  bucketize,
  bucketStart,
  contributionDelta,
  energyBetween,
  initialEnergyAccumulator,
  InvalidMeasurementError,
  InvalidTimeRangeError,
  nextBucketStart,
  normalizeMeasurements,
  type BucketUnit,
  type EnergyOptions,
  type Measurement,
} from './energy.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 2, 1); // 2024-03-01T00:00:00Z, an hour boundary

function samples(start: number, stepMs: number, count: number, watts: number): Measurement[] {
  return Array.from({ length: count }, (_, k) => ({ at: start + k * stepMs, watts }));
}

function close(actual: number, expected: number, tolerance = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected)));
}

describe('energyBetween', () => {
  it('gives exactly 1.000 kWh for 1,000 W every 10 s from t=0 to t=3600 s inclusive (361 samples)', () => {
    const plug = samples(T0, 10_000, 361, 1000);
    expect(plug[360]!.at).toBe(T0 + HOUR);

    expect(energyBetween(plug, T0, T0 + HOUR)).toBe(1);
    expect(bucketize(plug, 'hour')).toStrictEqual({ buckets: [{ start: T0, end: T0 + HOUR, kwh: 1 }], totalKwh: 1 });
  });

  it('counts nothing after the last sample: 360 samples (t=0..3590 s) give 3590/3600 kWh', () => {
    expect(energyBetween(samples(T0, 10_000, 360, 1000), T0, T0 + HOUR)).toBe(3590 / 3600);
  });

  it('uses the watts at the start of each interval (left Riemann sum)', () => {
    const m = [
      { at: 0, watts: 100 },
      { at: 10_000, watts: 500 },
      { at: 20_000, watts: 9999 },
    ];
    expect(energyBetween(m, 0, 30_000)).toBe((100 * 10_000 + 500 * 10_000) / 3.6e9);
  });

  it('does not integrate an interval longer than maxGapMs, but integrates one of exactly maxGapMs', () => {
    const m = [
      { at: 0, watts: 1000 },
      { at: 60_000, watts: 1000 }, // 60 s gap: integrated
      { at: 180_000, watts: 1000 }, // 120 s gap: offline, not integrated
      { at: 190_000, watts: 1000 },
    ];
    expect(energyBetween(m, 0, 200_000)).toBe((1000 * 70_000) / 3.6e9);
    expect(energyBetween(m, 0, 200_000, { maxGapMs: 120_000 })).toBe((1000 * 190_000) / 3.6e9);
    expect(energyBetween(m, 0, 200_000, { maxGapMs: Infinity })).toBe((1000 * 190_000) / 3.6e9);
  });

  it('clips partially covered intervals exactly, including the tail of a reading before `from`', () => {
    const m = [
      { at: 0, watts: 1000 },
      { at: 10_000, watts: 2000 },
      { at: 20_000, watts: 0 },
    ];
    expect(energyBetween(m, 2_500, 7_500)).toBe((1000 * 5_000) / 3.6e9);
    expect(energyBetween(m, 7_500, 12_500)).toBe((1000 * 2_500 + 2000 * 2_500) / 3.6e9);
    expect(energyBetween(m, 5_000, 5_000)).toBe(0);
  });

  it('ignores delivery order and counts a duplicate timestamp once (the highest watts)', () => {
    const ordered = [
      { at: 0, watts: 100 },
      { at: 10_000, watts: 300 },
      { at: 20_000, watts: 0 },
    ];
    const messy = [ordered[2]!, { at: 10_000, watts: 200 }, ordered[0]!, ordered[1]!, { at: 0, watts: 100 }];
    expect(energyBetween(messy, 0, 20_000)).toBe(energyBetween(ordered, 0, 20_000));
    expect(normalizeMeasurements(messy)).toStrictEqual(ordered);
  });

  it('rejects bad input with typed errors', () => {
    expect(() => energyBetween([{ at: 0, watts: Number.NaN }], 0, 1)).toThrow(InvalidMeasurementError);
    expect(() => energyBetween([{ at: Infinity, watts: 1 }], 0, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_MEASUREMENT' }));
    expect(() => energyBetween([], 10, 0)).toThrow(InvalidTimeRangeError);
    expect(() => energyBetween([], 0, 10, { maxGapMs: 0 })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => bucketize([], 'week' as BucketUnit, 0, 1)).toThrow(InvalidTimeRangeError);
    expect(() => bucketize([], 'minute', 0, 400 * DAY)).toThrow(/coarser unit/);
  });
});

describe('bucketize', () => {
  it('uses UTC calendar months with their real lengths (February 2024 has 29 days)', () => {
    // 1,000 W held from Jan 15 to Mar 10: 1 kWh per hour.
    const m = [
      { at: Date.UTC(2024, 0, 15), watts: 1000 },
      { at: Date.UTC(2024, 2, 10), watts: 0 },
    ];
    const { buckets, totalKwh } = bucketize(m, 'month', undefined, undefined, { maxGapMs: Infinity });
    expect(buckets).toStrictEqual([
      { start: Date.UTC(2024, 0, 1), end: Date.UTC(2024, 1, 1), kwh: 17 * 24 },
      { start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1), kwh: 29 * 24 },
      { start: Date.UTC(2024, 2, 1), end: Date.UTC(2024, 3, 1), kwh: 9 * 24 },
    ]);
    expect(totalKwh).toBe((17 + 29 + 9) * 24);
  });

  it('splits an interval across UTC day boundaries and lists empty buckets', () => {
    const midnight = Date.UTC(2024, 5, 2);
    const m = [
      { at: midnight - 30_000, watts: 3600 },
      { at: midnight + 30_000, watts: 0 },
    ];
    const { buckets } = bucketize(m, 'day', midnight - DAY, midnight + 2 * DAY);
    expect(buckets.map((b) => [new Date(b.start).toISOString(), b.kwh])).toStrictEqual([
      ['2024-06-01T00:00:00.000Z', (3600 * 30_000) / 3.6e9],
      ['2024-06-02T00:00:00.000Z', (3600 * 30_000) / 3.6e9],
      ['2024-06-03T00:00:00.000Z', 0],
    ]);
  });

  it('counts only the part of the first and last bucket inside [from, to)', () => {
    const plug = samples(T0, 10_000, 361, 1000);
    const { buckets, totalKwh } = bucketize(plug, 'hour', T0 + HOUR / 2, T0 + HOUR);
    expect(buckets).toStrictEqual([{ start: T0, end: T0 + HOUR, kwh: 0.5 }]);
    expect(totalKwh).toBe(0.5);
    expect(bucketize([], 'hour')).toStrictEqual({ buckets: [], totalKwh: 0 });
  });

  it('computes calendar boundaries, also before 1970 and for years below 100', () => {
    expect(bucketStart(Date.UTC(2024, 1, 29, 13, 5, 7), 'month')).toBe(Date.UTC(2024, 1, 1));
    expect(nextBucketStart(Date.UTC(2024, 11, 1), 'month')).toBe(Date.UTC(2025, 0, 1));
    expect(bucketStart(-1, 'minute')).toBe(-60_000);
    const year50 = new Date(0);
    year50.setUTCFullYear(50, 6, 1);
    expect(new Date(nextBucketStart(year50.getTime(), 'month')).getUTCFullYear()).toBe(50);
  });
});

describe('contributionDelta and accumulate', () => {
  const a = { at: 0, watts: 100 };
  const c = { at: 20_000, watts: 300 };

  it('replaces the interval a reading splits by two', () => {
    expect(contributionDelta(a, { at: 10_000, watts: 200 }, c)).toStrictEqual({
      effect: 'insert',
      removed: [{ start: 0, end: 20_000, watts: 100 }],
      added: [
        { start: 0, end: 10_000, watts: 100 },
        { start: 10_000, end: 20_000, watts: 200 },
      ],
    });
  });

  it('closes a gap longer than maxGapMs when a late reading fills it', () => {
    const far = { at: 100_000, watts: 0 };
    expect(contributionDelta(a, { at: 50_000, watts: 200 }, far)).toStrictEqual({
      effect: 'insert',
      removed: [],
      added: [
        { start: 0, end: 50_000, watts: 100 },
        { start: 50_000, end: 100_000, watts: 200 },
      ],
    });
  });

  it('treats a reading at a stored time as a duplicate: ignored unless it has more watts', () => {
    expect(contributionDelta(a, { at: 0, watts: 50 }, c)).toStrictEqual({ effect: 'ignore', removed: [], added: [] });
    expect(contributionDelta(a, { at: 0, watts: 100 }, c)).toStrictEqual({ effect: 'ignore', removed: [], added: [] });
    expect(contributionDelta(a, { at: 0, watts: 150 }, c)).toStrictEqual({
      effect: 'replace',
      removed: [{ start: 0, end: 20_000, watts: 100 }],
      added: [{ start: 0, end: 20_000, watts: 150 }],
    });
  });

  it('refuses neighbours that do not surround the reading', () => {
    expect(() => contributionDelta(c, { at: 10_000, watts: 1 }, undefined)).toThrow(InvalidMeasurementError);
    expect(() => contributionDelta(undefined, { at: 20_000, watts: 1 }, c)).toThrow(InvalidMeasurementError);
  });

  it('turns a delta into signed kWh per bucket, dropping buckets with no net change', () => {
    const delta = contributionDelta({ at: HOUR - 10_000, watts: 3600 }, { at: HOUR, watts: 3600 }, { at: HOUR + 10_000, watts: 0 });
    expect(bucketDeltas(delta, 'hour')).toStrictEqual([]);
    const raised = contributionDelta({ at: HOUR - 10_000, watts: 3600 }, { at: HOUR, watts: 7200 }, { at: HOUR + 10_000, watts: 0 });
    expect(bucketDeltas(raised, 'hour')).toStrictEqual([{ start: HOUR, end: 2 * HOUR, kwh: (3600 * 10_000) / 3.6e9 }]);
  });

  it('accumulates in-order readings and reports a late one', () => {
    const first = accumulate(initialEnergyAccumulator, a);
    expect(first).toStrictEqual({ kind: 'applied', accumulator: { last: a }, delta: { effect: 'insert', removed: [], added: [] } });
    const second = accumulate(first.accumulator, c);
    expect(second).toStrictEqual({ kind: 'applied', accumulator: { last: c }, delta: { effect: 'insert', removed: [], added: [{ start: 0, end: 20_000, watts: 100 }] } });
    expect(accumulate(second.accumulator, { at: 10_000, watts: 5 })).toStrictEqual({ kind: 'late', accumulator: { last: c } });
    expect(accumulate(second.accumulator, { at: 20_000, watts: 1 }).accumulator).toStrictEqual({ last: c });
  });
});

// Integer times on a coarse grid so duplicates and gaps on both sides of maxGapMs occur often.
const measurement = fc.record({ at: fc.integer({ min: 0, max: 400 }).map((k) => T0 + k * 5_000), watts: fc.integer({ min: 0, max: 3680 }) });
const measurements = fc.array(measurement, { maxLength: 60 });
const unit = fc.constantFrom<BucketUnit>('minute', 'hour', 'day', 'month');
const options = fc.constantFrom<EnergyOptions>({}, { maxGapMs: 20_000 }, { maxGapMs: Infinity });
const instant = fc.integer({ min: -50, max: 450 }).map((k) => T0 + k * 5_000 + 1_234);

describe('energy properties', () => {
  it('a constant P watts over T gives P·T', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 2e12 }),
        (watts, step, n, start) => {
          const m = samples(start, step, n + 1, watts);
          close(energyBetween(m, start, start + n * step), (watts * n * step) / 3.6e9);
        },
      ),
    );
  });

  it('buckets add up to the energy of the range, and ranges are additive', () => {
    fc.assert(
      fc.property(measurements, unit, options, instant, instant, instant, (m, u, opts, x, y, z) => {
        const [from, mid, to] = [x, y, z].sort((p, q) => p - q) as [number, number, number];
        const whole = energyBetween(m, from, to, opts);
        const { buckets, totalKwh } = bucketize(m, u, from, to, opts);
        close(totalKwh, whole);
        close(buckets.reduce((s, b) => s + b.kwh, 0), whole);
        close(energyBetween(m, from, mid, opts) + energyBetween(m, mid, to, opts), whole);
        for (const b of buckets) close(b.kwh, energyBetween(m, Math.max(b.start, from), Math.min(b.end, to), opts));
      }),
    );
  });

  it('reordering the same measurements gives the same result', () => {
    fc.assert(
      fc.property(
        measurements.chain((m) => fc.tuple(fc.constant(m), fc.shuffledSubarray(m, { minLength: m.length, maxLength: m.length }))),
        unit,
        options,
        ([m, shuffled], u, opts) => {
          expect(bucketize(shuffled, u, undefined, undefined, opts)).toStrictEqual(bucketize(m, u, undefined, undefined, opts));
        },
      ),
    );
  });

  it('incremental insertion deltas, in any arrival order, sum to the batch result', () => {
    fc.assert(
      fc.property(measurements, fc.constantFrom<BucketUnit>('minute', 'hour'), options, (arrivals, u, opts) => {
        const stored: Measurement[] = []; // sorted by `at`, as the projection's table
        const rollup = new Map<number, number>();
        let acc = initialEnergyAccumulator;
        for (const m of arrivals) {
          // The in-order path through the accumulator, the late path through stored neighbours.
          const step = accumulate(acc, m, opts);
          let i = stored.findIndex((s) => s.at > m.at);
          if (i === -1) i = stored.length;
          const delta = step.kind === 'applied' ? step.delta : contributionDelta(stored[i - 1], m, stored[i], opts);
          if (step.kind === 'applied') expect(delta).toStrictEqual(contributionDelta(stored[i - 1], m, stored[i], opts));
          acc = step.accumulator;
          if (delta.effect === 'insert') stored.splice(i, 0, m);
          if (delta.effect === 'replace') stored[i - 1] = m;
          for (const b of bucketDeltas(delta, u)) rollup.set(b.start, (rollup.get(b.start) ?? 0) + b.kwh);
        }
        expect(stored).toStrictEqual(normalizeMeasurements(arrivals));
        const batch = bucketize(arrivals, u, undefined, undefined, opts);
        const starts = new Set([...rollup.keys(), ...batch.buckets.map((b) => b.start)]);
        for (const start of starts) {
          close(rollup.get(start) ?? 0, batch.buckets.find((b) => b.start === start)?.kwh ?? 0);
        }
        close([...rollup.values()].reduce((s, k) => s + k, 0), batch.totalKwh);
      }),
    );
  });
});
