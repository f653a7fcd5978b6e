import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { interactionsDecider } from '../../src/actors/kinds/interactions.decider.js';
import { FIRINGS_KEPT, INTERACTIONS_TABLES, firings, getInteraction, interactionsProjection, listInteractions, rulesForSource } from '../../src/projections/interactions.projection.js';
import { batches, fleet, incrementalAndRebuilt, openReadModel, type ReadModel, type StreamEvent } from '../helpers/readModel.js';

const T = (s: number) => new Date(Date.UTC(2024, 4, 1, 12, 0, s)).toISOString();
const MOTION = 'sensor/motion-1';
const LIGHT = 'sensor/light-1';

describe('interactions projection (real SQLite store and runner)', () => {
  let rm: ReadModel | undefined;
  afterEach(async () => {
    await rm?.close();
    rm = undefined;
  });

  it('keeps the table the decider decides, indexed by source, and the firings with their latency', async () => {
    rm = await openReadModel([interactionsProjection]);
    const f = fleet([interactionsDecider]);
    const send = (type: string, data: unknown, s: number) => f.send('interactions', 'default', type, data, T(s));
    await rm.deliver([
      ...send('AddInteraction', { id: 'light-on', when: { source: MOTION, op: '>', value: 5 }, then: { target: LIGHT, value: 1 } }, 0),
      ...send('AddInteraction', { id: 'dark', when: { source: MOTION, op: '<', value: 3 }, then: { target: LIGHT, value: 0 } }, 1),
      ...send('AddInteraction', { id: 'fan', when: { source: 'sensor/temp-1', op: '>=', value: 30 }, then: { target: 'sensor/fan-1', value: 1 } }, 2),
      // Refused (flicker with light-on): writes nothing.
      ...send('AddInteraction', { id: 'light-off', when: { source: MOTION, op: '>', value: 5 }, then: { target: LIGHT, value: 0 } }, 3),
    ]);
    expect(rulesForSource(rm.db, MOTION).map((r) => r.id)).toEqual(['dark', 'light-on']);
    expect(rulesForSource(rm.db, MOTION)[1]).toEqual({ actor: 'default', id: 'light-on', enabled: true, when: { source: MOTION, op: '>', value: 5 }, then: { target: LIGHT, value: 1 } });
    expect(rulesForSource(rm.db, 'sensor/nothing')).toEqual([]);

    await rm.deliver([
      ...send('DisableInteraction', { id: 'dark' }, 4),
      ...send('UpdateInteraction', { id: 'fan', when: { source: 'sensor/temp-1', op: '>', value: 28 } }, 5),
      ...send('RecordFiring', { interactionId: 'light-on', readingValue: 7, readingAt: T(6), actuatedAt: '2024-05-01T12:00:06.042Z', latencyMs: 42 }, 6),
      ...send('RecordFiring', { interactionId: 'light-on', readingValue: 9, readingAt: T(7), actuatedAt: '2024-05-01T12:00:07.015Z', latencyMs: 15 }, 7),
    ]);
    expect(rulesForSource(rm.db, MOTION).map((r) => r.id)).toEqual(['light-on']);
    expect(getInteraction(rm.db, 'fan')).toMatchObject({ version: 2, createdAt: T(2), updatedAt: T(5), when: { op: '>', value: 28 } });
    expect(getInteraction(rm.db, 'dark')).toMatchObject({ enabled: false, version: 2 });
    expect(getInteraction(rm.db, 'light-on')).toMatchObject({ fired: 2, lastFiredAt: '2024-05-01T12:00:07.015Z' });
    expect(firings(rm.db, 'light-on', 10).map((x) => [x.seq, x.readingValue, x.latencyMs])).toEqual([
      [2, 9, 15],
      [1, 7, 42],
    ]);
    expect(firings(rm.db, 'light-on', 1)).toHaveLength(1);

    // A forced flicker is kept with what it overrode; a delete takes the firings along.
    await rm.deliver([
      ...send('AddInteraction', { id: 'light-off', when: { source: MOTION, op: '>', value: 5 }, then: { target: LIGHT, value: 0 }, force: true }, 8),
      ...send('DeleteInteraction', { id: 'light-on' }, 9),
    ]);
    expect(listInteractions(rm.db).map((i) => [i.id, i.forcedConflicts.map((c) => c.kind)])).toEqual([
      ['dark', []],
      ['fan', []],
      ['light-off', ['flicker']],
    ]);
    expect(firings(rm.db, 'light-on', 10)).toEqual([]);
  });

  it('uses the index on source for the engine lookup', async () => {
    rm = await openReadModel([interactionsProjection]);
    const plan = rm.db.prepare("EXPLAIN QUERY PLAN SELECT * FROM interactions WHERE source = 'sensor/x' AND enabled = 1").all() as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toContain('USING INDEX interactions_by_source');
  });

  it(`keeps only the last ${FIRINGS_KEPT} firings of an interaction`, async () => {
    rm = await openReadModel([interactionsProjection]);
    const f = fleet([interactionsDecider]);
    const events = f.send('interactions', 'default', 'AddInteraction', { id: 'r', when: { source: MOTION, op: '>', value: 5 }, then: { target: LIGHT, value: 1 } }, T(0));
    const total = FIRINGS_KEPT + 5;
    for (let i = 1; i <= total; i++) {
      events.push(...f.send('interactions', 'default', 'RecordFiring', { interactionId: 'r', readingValue: i, readingAt: T(1), actuatedAt: T(2), latencyMs: i % 50 }, T(3)));
    }
    await rm.deliver(events);
    expect(rm.db.prepare('SELECT COUNT(*) FROM interaction_firings').pluck().get()).toBe(FIRINGS_KEPT);
    const kept = firings(rm.db, 'r', FIRINGS_KEPT + 10);
    expect(kept).toHaveLength(FIRINGS_KEPT);
    expect(kept[0]!.readingValue).toBe(total);
    expect(kept[kept.length - 1]!.readingValue).toBe(6);
    expect(getInteraction(rm.db, 'r')?.fired).toBe(total);
  });

  it('rebuilt from zero is byte-identical to the incremental result, for random command sequences in random batches', async () => {
    const ids = ['a', 'b', 'c', 'd'];
    const addresses = ['sensor/s1', 'sensor/s2', 'sensor/s3'];
    const when = fc.record({ source: fc.constantFrom(...addresses), op: fc.constantFrom('>', '>=', '<', '<=', '==', '!='), value: fc.integer({ min: 0, max: 4 }) });
    const then = fc.record({ target: fc.constantFrom(...addresses), value: fc.integer({ min: 0, max: 2 }) });
    const command = fc.oneof(
      fc.record({ type: fc.constant('AddInteraction'), data: fc.record({ id: fc.constantFrom(...ids), when, then, force: fc.boolean(), enabled: fc.boolean() }) }),
      fc.record({ type: fc.constant('UpdateInteraction'), data: fc.record({ id: fc.constantFrom(...ids), when, force: fc.boolean() }) }),
      fc.record({ type: fc.constantFrom('DeleteInteraction', 'DisableInteraction', 'EnableInteraction'), data: fc.record({ id: fc.constantFrom(...ids) }) }),
      fc.record({
        type: fc.constant('RecordFiring'),
        data: fc.record({ interactionId: fc.constantFrom(...ids), readingValue: fc.integer({ min: 0, max: 9 }), readingAt: fc.constant(T(1)), actuatedAt: fc.constant(T(2)), latencyMs: fc.nat(500) }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('default', 'default', 'other'), command), { minLength: 20, maxLength: 120 }), fc.array(fc.nat(), { maxLength: 8 }), async (commands, cuts) => {
        const f = fleet([interactionsDecider]);
        const events: StreamEvent[] = commands.flatMap(([actor, c], i) => f.send('interactions', actor, c.type, c.data, T(i)));
        const { incremental, rebuilt } = await incrementalAndRebuilt(interactionsProjection, INTERACTIONS_TABLES, batches(events, cuts));
        expect(rebuilt).toBe(incremental);
      }),
      { numRuns: 15 },
    );
  });
});
