import type { Doc, SystemModel } from './systemModel.js';

/**
 * The tree as lines: sections (reactors, nodes, gateways, plugs, blocks), the parents in them and
 * their devices. `collapsed` holds the keys the person folded; everything else is open.
 */
export interface Row {
  /** `section/<name>` or the entity's `<kind>/<id>`. */
  key: string;
  kind: string;
  depth: number;
  title: string;
  doc: Doc | undefined;
  /** Children hidden or shown by ←/→ (undefined: a leaf). */
  open: boolean | undefined;
  childCount: number;
}

const SECTIONS = [
  ['reactors', 'Reactors'],
  ['nodes', 'Nodes'],
  ['gateways', 'Gateways'],
  ['daemons', 'Plugs'],
  ['blocks', 'Blocks'],
  ['orphans', 'Devices without a known parent'],
] as const;

const kindOf = (key: string) => key.slice(0, key.indexOf('/'));

export function buildRows(model: SystemModel, collapsed: ReadonlySet<string>): Row[] {
  const tree = model.tree();
  const rows: Row[] = [];
  const leaf = (key: string, depth: number) => {
    const doc = model.get(key);
    rows.push({ key, kind: kindOf(key), depth, title: String(doc?.id ?? doc?.localId ?? key), doc, open: undefined, childCount: 0 });
  };
  for (const [name, title] of SECTIONS) {
    const members: Array<{ key: string; children: string[] }> =
      name === 'reactors' || name === 'nodes' || name === 'gateways'
        ? tree[name].map((g) => ({ key: g.key, children: [...g.devices, ...g.dependents] }))
        : tree[name].map((key) => ({ key, children: [] }));
    if (members.length === 0) continue;
    const sectionKey = `section/${name}`;
    const sectionOpen = !collapsed.has(sectionKey);
    rows.push({ key: sectionKey, kind: 'section', depth: 0, title, doc: undefined, open: sectionOpen, childCount: members.length });
    if (!sectionOpen) continue;
    for (const m of members) {
      if (m.children.length === 0 && name !== 'reactors' && name !== 'nodes' && name !== 'gateways') {
        leaf(m.key, 1);
        continue;
      }
      const doc = model.get(m.key);
      const open = !collapsed.has(m.key);
      rows.push({ key: m.key, kind: kindOf(m.key), depth: 1, title: `${kindOf(m.key)} ${String(doc?.id ?? m.key)}`, doc, open, childCount: m.children.length });
      if (open) for (const c of m.children) leaf(c, 2);
    }
  }
  return rows;
}

/** The row a ← on `rows[i]` goes to: its parent (the nearest row above with a smaller depth). */
export function parentIndex(rows: readonly Row[], i: number): number {
  const depth = rows[i]?.depth ?? 0;
  for (let j = i - 1; j >= 0; j--) if (rows[j]!.depth < depth) return j;
  return i;
}
