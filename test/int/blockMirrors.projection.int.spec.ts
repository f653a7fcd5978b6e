import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { blockDecider } from '../../src/actors/kinds/block.decider.js';
import { BLOCK_MIRRORS_TABLES, blockMirrors, blockMirrorsProjection, mirrorsForKey } from '../../src/projections/blockMirrors.projection.js';
import { batches, fleet, incrementalAndRebuilt, openReadModel, type ReadModel, type StreamEvent } from '../helpers/readModel.js';

const T = (s: number) => new Date(Date.UTC(2024, 4, 1, 12, 0, s)).toISOString();
const KEY = 'spark-master.master-sensor';
const MASTER = 'spark-master:master-sensor';

// The seed's translation example.
const masterData = { value: 123, other_value: 567, nested: { value: 456, other_value: 890 } };
const slaveBefore = { targetvalue: 0, value: 0, nested: { target: { thing: 0 }, thang: 0 } };
const translations = { value: 'targetvalue', 'nested/value': 'nested/target/value' };

describe('block mirrors projection (real SQLite store and runner)', () => {
  let rm: ReadModel | undefined;
  afterEach(async () => {
    await rm?.close();
    rm = undefined;
  });

  it('shows, per key, the master and what each slave last mirrored, with the lag', async () => {
    rm = await openReadModel([blockMirrorsProjection]);
    const f = fleet([blockDecider]);
    const send = (id: string, type: string, data: unknown, s: number) => f.send('block', id, type, data, T(s));
    await rm.deliver([
      ...send(MASTER, 'WriteBlock', { data: masterData }, 0),
      ...send(MASTER, 'BecomeMaster', { interval: 5 }, 1),
      ...send('spark-slave:dummy-sensor', 'WriteBlock', { data: slaveBefore }, 1),
      ...send('spark-slave:dummy-sensor', 'BecomeSlave', { key: KEY, translations }, 2),
      ...send('spark-slave:copy', 'BecomeSlave', { key: KEY, translations: {} }, 2),
      // The sync process manager delivers master revision 0 (written at T(0)) at T(3): 3 s of lag.
      ...send('spark-slave:dummy-sensor', 'ApplySync', { key: KEY, data: masterData, masterRevision: 0, masterAt: T(0) }, 3),
    ]);

    const mirrors = mirrorsForKey(rm.db, KEY)!;
    expect(mirrors.master).toEqual({ block: MASTER, interval: 5, since: T(1), data: masterData, dataAt: T(0), dataRevision: 0 });
    expect(mirrors.slaves).toEqual([
      { block: 'spark-slave:copy', translations: {}, since: T(2), mirrored: null, masterRevision: null, masterAt: null, at: null, lagMs: null },
      {
        block: 'spark-slave:dummy-sensor',
        translations,
        since: T(2),
        mirrored: { targetvalue: 123, value: 0, nested: { target: { thing: 0, value: 456 }, thang: 0 } },
        masterRevision: 0,
        masterAt: T(0),
        at: T(3),
        lagMs: 3000,
      },
    ]);

    // A local write does not change what was mirrored; a stopped slave leaves the key.
    await rm.deliver([
      ...send('spark-slave:dummy-sensor', 'WriteBlock', { data: { targetvalue: 1 } }, 4),
      ...send('spark-slave:copy', 'ApplySync', { key: KEY, data: masterData, masterRevision: 0, masterAt: T(0) }, 5),
      ...send('spark-slave:copy', 'StopSync', {}, 6),
    ]);
    const after = mirrorsForKey(rm.db, KEY)!;
    expect(after.slaves.map((s) => [s.block, s.mirrored?.targetvalue ?? s.mirrored?.value])).toEqual([['spark-slave:dummy-sensor', 123]]);
    expect(blockMirrors(rm.db).map((k) => k.key)).toEqual([KEY]);
    expect(mirrorsForKey(rm.db, 'nobody.here')).toBeUndefined();
  });

  it('lists a key a slave follows before any master exists, and a master stopping leaves its slaves listed', async () => {
    rm = await openReadModel([blockMirrorsProjection]);
    const f = fleet([blockDecider]);
    await rm.deliver([
      ...f.send('block', 'b:early', 'BecomeSlave', { key: 'a.m', translations: {} }, T(0)),
      ...f.send('block', 'c:m', 'BecomeMaster', { interval: 1 }, T(0)),
      ...f.send('block', 'c:m', 'StopSync', {}, T(1)),
    ]);
    expect(blockMirrors(rm.db)).toEqual([{ key: 'a.m', master: null, slaves: [expect.objectContaining({ block: 'b:early' })] }]);
  });

  it('rebuilt from zero is byte-identical to the incremental result, for random command sequences in random batches', async () => {
    const blocks = ['s:m1', 's:m2', 't:x', 't:y'];
    const keys = ['s.m1', 's.m2'];
    const data = fc.dictionary(fc.constantFrom('value', 'other', 'nested'), fc.oneof(fc.integer({ min: 0, max: 9 }), fc.record({ value: fc.integer({ min: 0, max: 9 }) })), { maxKeys: 3 });
    const command = fc.oneof(
      fc.record({ type: fc.constantFrom('WriteBlock', 'PatchBlock'), data: fc.record({ data }) }),
      fc.record({ type: fc.constant('BecomeMaster'), data: fc.record({ interval: fc.integer({ min: 1, max: 10 }) }) }),
      fc.record({ type: fc.constant('BecomeSlave'), data: fc.record({ key: fc.constantFrom(...keys), translations: fc.constantFrom({}, { value: 'targetvalue' }, { 'nested/value': 'a/b' }) }) }),
      fc.record({ type: fc.constant('StopSync'), data: fc.constant({}) }),
      fc.record({ type: fc.constant('ApplySync'), data: fc.record({ key: fc.constantFrom(...keys), data, masterRevision: fc.nat(5), masterAt: fc.integer({ min: 0, max: 50 }).map(T) }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...blocks), command), { minLength: 20, maxLength: 120 }), fc.array(fc.nat(), { maxLength: 8 }), async (commands, cuts) => {
        const f = fleet([blockDecider]);
        const events: StreamEvent[] = commands.flatMap(([id, c], i) => f.send('block', id, c.type, c.data, T(i)));
        const { incremental, rebuilt } = await incrementalAndRebuilt(blockMirrorsProjection, BLOCK_MIRRORS_TABLES, batches(events, cuts));
        expect(rebuilt).toBe(incremental);
      }),
      { numRuns: 20 },
    );
  });
});
