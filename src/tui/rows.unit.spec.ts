import { describe, expect, it } from 'vitest';
import { buildRows, parentIndex } from './rows.js';
import { SystemModel } from './systemModel.js';

function model() {
  const m = new SystemModel();
  m.load({
    seq: 1,
    nodes: [],
    reactors: [
      { id: 'r1', status: 'ONLINE', busDevices: [], devices: [{ id: 't1', parent: 'reactor/r1' }, { id: 't2', parent: 'reactor/r1' }] },
      { id: 'r2', status: 'OFFLINE', busDevices: [], devices: [{ id: 't3', parent: 'reactor/r2' }] },
    ],
    gateways: [],
    daemons: [{ id: 'p1' }],
    blocks: [],
    orphans: [],
  });
  return m;
}

const keys = (rows: { key: string; depth: number }[]) => rows.map((r) => `${'  '.repeat(r.depth)}${r.key}`);

describe('buildRows', () => {
  it('lists sections, their parents and devices, everything open; empty sections are left out', () => {
    expect(keys(buildRows(model(), new Set()))).toEqual([
      'section/reactors',
      '  reactor/r1',
      '    sensor/t1',
      '    sensor/t2',
      '  reactor/r2',
      '    sensor/t3',
      'section/daemons',
      '  daemon/p1',
    ]);
  });

  it('a folded parent hides its devices and tells how many; a folded section hides everything in it', () => {
    const rows = buildRows(model(), new Set(['reactor/r1', 'section/daemons']));
    expect(keys(rows)).toEqual(['section/reactors', '  reactor/r1', '  reactor/r2', '    sensor/t3', 'section/daemons']);
    expect(rows[1]).toMatchObject({ open: false, childCount: 2 });
    expect(rows[4]).toMatchObject({ open: false, childCount: 1 });
  });

  it('← from a device goes to its parent, from a parent to its section', () => {
    const rows = buildRows(model(), new Set());
    expect(parentIndex(rows, 3)).toBe(1);
    expect(parentIndex(rows, 4)).toBe(0);
    expect(parentIndex(rows, 0)).toBe(0);
  });
});
