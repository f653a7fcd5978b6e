import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SystemModel, type Change } from './systemModel.js';

const sensor = (id: string, parent: string, extra: Record<string, unknown> = {}) => ({ id, role: 'sensor', type: 't', unit: '', parent, status: 'ONLINE', value: null, ...extra });

const VIEW = {
  seq: 10,
  nodes: [{ id: 'n1', status: 'ONLINE', devices: [sensor('h1', 'node/n1')] }],
  reactors: [{ id: 'r1', status: 'ONLINE', busDevices: [{ id: 'b1', reactor: 'r1' }], devices: [sensor('t10', 'reactor/r1'), sensor('t2', 'reactor/r1')] }],
  gateways: [{ id: 'g1', status: 'ONLINE', dependents: [{ localId: 'mcu-1', gateway: 'g1', status: 'ONLINE' }], devices: [] }],
  daemons: [{ id: 'p1', status: 'UNKNOWN' }],
  blocks: [{ id: 'svc:b1', role: null }],
  orphans: [sensor('lost', 'reactor/r9')],
};

describe('SystemModel', () => {
  it('loads the API\'s nested view flat and gives the tree back, ids in natural order, orphans apart', () => {
    const m = new SystemModel();
    m.load(VIEW);
    expect(m.seq).toBe(10);
    expect(m.get('sensor/t2')).toMatchObject({ parent: 'reactor/r1' });
    expect(m.get('dependent/g1/mcu-1')).toMatchObject({ localId: 'mcu-1' });
    const tree = m.tree();
    expect(tree.reactors).toEqual([{ key: 'reactor/r1', devices: ['sensor/t2', 'sensor/t10'], dependents: [] }]);
    expect(tree.nodes[0]!.devices).toEqual(['sensor/h1']);
    expect(tree.gateways[0]!.dependents).toEqual(['dependent/g1/mcu-1']);
    expect(tree.daemons).toEqual(['daemon/p1']);
    expect(tree.blocks).toEqual(['block/svc:b1']);
    expect(tree.orphans).toEqual(['sensor/lost']);
  });

  it('applies deltas: new entities, changed fields, removals, moves; skips what it has already seen', () => {
    const m = new SystemModel();
    m.load(VIEW);
    const before = m.tree();
    expect(m.apply([{ seq: 11, kind: 'sensor', id: 't2', change: { value: 21.5, status: 'OFFLINE' } }])).toEqual(['sensor/t2']);
    expect(m.get('sensor/t2')).toMatchObject({ value: 21.5, status: 'OFFLINE', parent: 'reactor/r1' });
    expect(m.tree()).toBe(before); // nothing moved: the tree is not rebuilt
    expect(m.apply([{ seq: 11, kind: 'sensor', id: 't2', change: { value: 99 } }])).toEqual([]);
    expect(m.get('sensor/t2')!.value).toBe(21.5);
    m.apply([
      { seq: 12, kind: 'reactor', id: 'r9', change: { id: 'r9', status: 'ONLINE' } },
      { seq: 13, kind: 'sensor', id: 't10', change: { parent: 'node/n1' } },
      { seq: 14, kind: 'daemon', id: 'p1', change: null },
      { seq: 15, kind: 'busDevice', id: 'r1/b2', change: { id: 'b2' } },
    ]);
    const after = m.tree();
    expect(after.orphans).toEqual([]);
    expect(after.reactors.map((r) => [r.key, r.devices])).toEqual([
      ['reactor/r1', ['sensor/t2']],
      ['reactor/r9', ['sensor/lost']],
    ]);
    expect(after.nodes[0]!.devices).toEqual(['sensor/h1', 'sensor/t10']);
    expect(after.daemons).toEqual([]);
    expect(m.seq).toBe(15);
  });

  it('law: however the deltas are split into batches, and with old ones delivered again, the result is the same', () => {
    const ids = fc.constantFrom('a', 'b', 'c');
    const change = fc.oneof(
      fc.record({ value: fc.integer(), status: fc.constantFrom('ONLINE', 'OFFLINE', 'UNKNOWN') }, { requiredKeys: [] }),
      fc.record({ parent: fc.constantFrom('reactor/r1', 'node/n1', 'reactor/none') }),
      fc.constant(null),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(ids, change), { maxLength: 30 }), fc.array(fc.nat(30), { maxLength: 5 }), (steps, cuts) => {
        const changes: Change[] = steps.map(([id, c], i) => ({ seq: 11 + i, kind: 'sensor', id, change: c === null ? null : { id, ...c } }));
        const once = new SystemModel();
        once.load(VIEW);
        once.apply(changes);
        const split = new SystemModel();
        split.load(VIEW);
        const points = [...new Set([0, ...cuts.map((c) => Math.min(c, changes.length)), changes.length])].sort((x, y) => x - y);
        for (let i = 1; i < points.length; i++) split.apply(changes.slice(0, points[i])); // each batch repeats the ones before it
        expect(split.seq).toBe(once.seq);
        expect(split.tree()).toEqual(once.tree());
        for (const id of ['a', 'b', 'c', 't2', 't10']) expect(split.get(`sensor/${id}`)).toEqual(once.get(`sensor/${id}`));
      }),
      { numRuns: 200 },
    );
  });
});
