import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonDecider } from '../../src/actors/kinds/daemon.decider.js';
import { bucketize, energyBetween, type BucketUnit, type Measurement } from '../../src/projections/energy.js';
import { ENERGY_TABLES, energyProjection, energyReport } from '../../src/projections/energy.projection.js';
import { batches, fleet, incrementalAndRebuilt, openReadModel, type ReadModel, type StreamEvent } from '../helpers/readModel.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 2, 31, 22); // two hours before a month boundary
const WH = 1 / 1000; // one watt-hour in kWh

/** A PowerRecorded event appended directly, as a store-and-forward edge might deliver it late or twice. */
const power = (daemon: string, at: number, watts: number): StreamEvent => ({
  stream: `daemon-${daemon}`,
  event: { id: randomUUID(), type: 'PowerRecorded', data: { watts, at: new Date(at).toISOString() }, metadata: {} },
});

const plug = (daemon: string, start: number, stepMs: number, count: number, watts: (k: number) => number): StreamEvent[] =>
  Array.from({ length: count }, (_, k) => power(daemon, start + k * stepMs, watts(k)));

const measurementsOf = (events: StreamEvent[], daemon: string): Measurement[] =>
  events
    .filter((e) => e.stream === `daemon-${daemon}`)
    .map((e) => {
      const d = e.event.data as { watts: number; at: string };
      return { at: Date.parse(d.at), watts: d.watts };
    });

describe('energy projection (real SQLite store and runner)', () => {
  let rm: ReadModel | undefined;
  afterEach(async () => {
    await rm?.close();
    rm = undefined;
  });

  it('a plug reporting 1,000 W every 10 s for an hour, decided by the daemon decider, used 1.000 kWh', async () => {
    rm = await openReadModel([energyProjection]);
    const f = fleet([daemonDecider]);
    const events = f.send('daemon', 'paddy-1', 'RegisterDaemon', { owner: 'user-1' }, new Date(T0).toISOString());
    for (let k = 0; k <= 360; k++) events.push(...f.send('daemon', 'paddy-1', 'RecordPower', { watts: 1000, at: new Date(T0 + k * 10_000).toISOString() }, new Date(T0 + k * 10_000).toISOString()));
    await rm.deliver(events);

    const report = energyReport(rm.db, 'paddy-1', 'hour');
    expect(report).toEqual({ unit: 'hour', from: T0, to: T0 + HOUR, buckets: [{ start: T0, end: T0 + HOUR, kwh: 1 }], totalKwh: 1 });
    const minutes = energyReport(rm.db, 'paddy-1', 'minute');
    expect(minutes.buckets).toHaveLength(60);
    expect(minutes.buckets.every((b) => Math.abs(b.kwh - 1 / 60) < 1e-12)).toBe(true);
    expect(energyReport(rm.db, 'paddy-1', 'month').totalKwh).toBe(1);
    expect(energyReport(rm.db, 'nobody', 'day')).toEqual({ unit: 'day', from: null, to: null, buckets: [], totalKwh: 0 });
  });

  it.each([
    ['whole', (k: number) => (k * 37) % 2000],
    ['fractional', (k: number) => ((k * 7919) % 30011) / 7],
  ])('gives the same report whatever order the same measurements arrive in (late readings, duplicates; %s watts)', async (_w, watts) => {
    const readings = plug('p', T0 + 5_000, 10_000, 1500, watts);
    // A fixed scramble: most readings land between two already stored, splitting their interval.
    const reordered = readings.map((r, k) => ({ r, key: (k * 7919) % 1499 })).sort((a, b) => a.key - b.key).map((x) => x.r);
    // Every 7th reading is delivered again later (a duplicate).
    for (let i = 0; i < readings.length; i += 7) reordered.push({ ...readings[i]!, event: { ...readings[i]!.event, id: randomUUID() } });

    const reports = [];
    for (const order of [readings, reordered]) {
      rm = await openReadModel([energyProjection]);
      for (const batch of batches(order, [17, 400, 401, 999])) await rm.deliver(batch);
      reports.push((['minute', 'hour', 'day', 'month'] as BucketUnit[]).map((u) => energyReport(rm!.db, 'p', u, T0, T0 + 5 * HOUR)));
      await rm.close();
      rm = undefined;
    }
    expect(reports[1]).toEqual(reports[0]);
    expect(Math.abs(reports[0]![1]!.totalKwh - energyBetween(measurementsOf(readings, 'p'), T0, T0 + 5 * HOUR))).toBeLessThan(1e-9);
  });

  it('computes partly covered edge buckets exactly, not pro-rated, and across a month boundary', async () => {
    rm = await openReadModel([energyProjection]);
    // 0 W for the first half of every minute, 3,600 W for the second: pro-rating would be wrong.
    const events = plug('p', T0, 10_000, 6 * 360, (k) => (k % 6 < 3 ? 0 : 3600));
    await rm.deliver(events);
    const all = measurementsOf(events, 'p');
    const from = T0 + 25_000; // mid-minute, mid-hour
    const to = T0 + 3 * HOUR + 31 * 60_000 + 15_000;
    for (const unit of ['minute', 'hour', 'day', 'month'] as BucketUnit[]) {
      const report = energyReport(rm.db, 'p', unit, from, to);
      const direct = bucketize(all, unit, from, to);
      expect(report.buckets.map((b) => [b.start, b.end])).toEqual(direct.buckets.map((b) => [b.start, b.end]));
      report.buckets.forEach((b, i) => expect(Math.abs(b.kwh - direct.buckets[i]!.kwh)).toBeLessThan(1e-9));
      expect(Math.abs(report.totalKwh - energyBetween(all, from, to))).toBeLessThan(1e-9);
    }
    // The first minute bucket holds 35 s of the range: 5 s at 0 W, 30 s at 3,600 W = 0.03 kWh.
    expect(energyReport(rm.db, 'p', 'minute', from, to).buckets[0]!.kwh).toBeCloseTo(0.03, 12);
    // The day report straddles April 1st (UTC).
    expect(energyReport(rm.db, 'p', 'day', from, to).buckets.map((b) => new Date(b.start).toISOString().slice(0, 10))).toEqual(['2024-03-31', '2024-04-01']);
  });

  it('refuses a range that ends before it starts, an unknown unit, and non-finite bounds', async () => {
    rm = await openReadModel([energyProjection]);
    await rm.deliver(plug('p', T0, 10_000, 10, () => 100));
    expect(() => energyReport(rm!.db, 'p', 'hour', T0 + 1, T0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TIME_RANGE' }));
    expect(() => energyReport(rm!.db, 'p', 'week' as BucketUnit)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TIME_RANGE' }));
    expect(() => energyReport(rm!.db, 'p', 'hour', Number.NaN)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TIME_RANGE' }));
  });

  const reading = fc.record({
    daemon: fc.constantFrom('a', 'b'),
    // Times on a coarse grid around hour and month boundaries, so duplicates, gaps and edges all occur.
    at: fc.integer({ min: 0, max: 1500 }).map((k) => T0 + HOUR + k * 7_000),
    watts: fc.integer({ min: 0, max: 3000 }),
  });

  it('rebuilt from zero is byte-identical to the incremental result, for random readings in random batches', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(reading, { minLength: 20, maxLength: 300 }), fc.array(fc.nat(), { maxLength: 8 }), async (rs, cuts) => {
        const events = rs.map((r) => power(r.daemon, r.at, r.watts));
        const { incremental, rebuilt } = await incrementalAndRebuilt(energyProjection, ENERGY_TABLES, batches(events, cuts));
        expect(rebuilt).toBe(incremental);
      }),
      { numRuns: 25 },
    );
  });

  it('agrees with a direct computation to 1 Wh, and a range split anywhere keeps its total', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(reading, { minLength: 1, maxLength: 300 }),
        fc.constantFrom<BucketUnit>('minute', 'hour', 'day', 'month'),
        fc.tuple(fc.integer({ min: -100, max: 3 * HOUR }), fc.integer({ min: 0, max: 3 * HOUR }), fc.integer({ min: 0, max: 3 * HOUR })),
        async (rs, unit, [a, b, c]) => {
          rm = await openReadModel([energyProjection]);
          const events = rs.map((r) => power(r.daemon, r.at, r.watts));
          await rm.deliver(events);
          const [from, mid, to] = [T0 + a, T0 + a + Math.min(b, c), T0 + a + Math.max(b, c)];
          const whole = energyReport(rm.db, 'a', unit, from, to);
          const direct = energyBetween(measurementsOf(events, 'a'), from, to);
          expect(Math.abs(whole.totalKwh - direct)).toBeLessThan(WH);
          expect(Math.abs(whole.totalKwh - whole.buckets.reduce((s, x) => s + x.kwh, 0))).toBeLessThan(1e-9);
          const halves = energyReport(rm.db, 'a', unit, from, mid).totalKwh + energyReport(rm.db, 'a', unit, mid, to).totalKwh;
          expect(Math.abs(halves - whole.totalKwh)).toBeLessThan(1e-9);
          // Without bounds: the first to the last measurement.
          const span = energyReport(rm.db, 'b', unit);
          const bs = measurementsOf(events, 'b');
          if (bs.length > 0) expect(Math.abs(span.totalKwh - energyBetween(bs, Math.min(...bs.map((m) => m.at)), Math.max(...bs.map((m) => m.at))))).toBeLessThan(WH);
          await rm.close();
          rm = undefined;
        },
      ),
      { numRuns: 25 },
    );
  });
});
