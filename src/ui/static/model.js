// The system view as the browser keeps it: every entity the API's view holds, flat, keyed
// `<kind>/<id>`, moved forward by the change feed's deltas (each holds the changed top-level
// fields with their whole new values, the whole document for a new entity, null for a removed one).

/** @typedef {Record<string, any>} Doc */
/** @typedef {{ seq: number, kind: string, id: string, change: Doc | null }} Change */

/** Sort by id, numerically where ids share a prefix ("t2" before "t10"). */
const byId = new Intl.Collator(undefined, { numeric: true }).compare;

/** The API's nested view as flat entities. @param {any} view @returns {Map<string, Doc>} */
function flatten(view) {
  /** @type {Map<string, Doc>} */
  const out = new Map();
  /** @param {string} kind @param {string} id @param {Doc} doc */
  const put = (kind, id, doc) => out.set(`${kind}/${id}`, doc);
  const sensors = (/** @type {Doc[]} */ list) => list.forEach((d) => put('sensor', d.id, d));
  for (const { devices, ...n } of view.nodes ?? []) (put('node', n.id, n), sensors(devices ?? []));
  for (const { devices, busDevices, ...r } of view.reactors ?? []) {
    put('reactor', r.id, r);
    sensors(devices ?? []);
    for (const b of busDevices ?? []) put('busDevice', `${r.id}/${b.id}`, b);
  }
  for (const { devices, dependents, ...g } of view.gateways ?? []) {
    put('gateway', g.id, g);
    sensors(devices ?? []);
    for (const d of dependents ?? []) put('dependent', `${g.id}/${d.localId}`, d);
  }
  for (const d of view.daemons ?? []) put('daemon', d.id, d);
  for (const b of view.blocks ?? []) put('block', b.id, b);
  sensors(view.orphans ?? []);
  return out;
}

/** Where an entity hangs in the tree (null: top level). @param {string} kind @param {Doc} doc */
function parentOf(kind, doc) {
  if (kind === 'sensor') return doc.parent ?? null;
  if (kind === 'busDevice') return `reactor/${doc.reactor}`;
  if (kind === 'dependent') return `gateway/${doc.gateway}`;
  return null;
}

export function createModel() {
  /** @type {Map<string, Doc>} */
  let entities = new Map();
  let seq = -1;
  let loaded = false;
  /** @type {any} */
  let tree = null;
  /** @type {Set<(e: { reset?: boolean, keys: string[], structural: boolean }) => void>} */
  const listeners = new Set();

  /** @param {{ reset?: boolean, keys: string[], structural: boolean }} e */
  const emit = (e) => listeners.forEach((fn) => fn(e));

  return {
    get seq() {
      return seq;
    },
    get loaded() {
      return loaded;
    },
    /** @param {string} key */
    get: (key) => entities.get(key),
    /** @param {string} kind */
    all: (kind) => [...entities.entries()].filter(([k]) => k.startsWith(`${kind}/`)).map(([, d]) => d).sort((a, b) => byId(String(a.id), String(b.id))),
    /** @param {any} view */
    load(view) {
      entities = flatten(view);
      seq = view.seq;
      loaded = true;
      tree = null;
      emit({ reset: true, keys: [], structural: true });
    },
    /**
     * Applies deltas in order; one already included (seq ≤ the model's) is skipped.
     * @param {Change[]} changes
     */
    apply(changes) {
      const keys = [];
      let structural = false;
      for (const c of changes) {
        if (c.seq <= seq) continue;
        seq = c.seq;
        const key = `${c.kind}/${c.id}`;
        const before = entities.get(key);
        if (c.change === null) {
          structural ||= before !== undefined;
          entities.delete(key);
        } else if (before === undefined) {
          structural = true;
          entities.set(key, c.change);
        } else {
          const after = { ...before, ...c.change };
          structural ||= parentOf(c.kind, before) !== parentOf(c.kind, after);
          entities.set(key, after);
        }
        keys.push(key);
      }
      if (structural) tree = null;
      if (keys.length) emit({ keys, structural });
    },
    /** @param {(e: { reset?: boolean, keys: string[], structural: boolean }) => void} fn */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** The nested view, rebuilt only when something was added, removed or moved. */
    tree() {
      if (tree) return tree;
      /** @type {Map<string, { devices: string[], busDevices: string[], dependents: string[] }>} */
      const under = new Map();
      const slot = (/** @type {string} */ p) => under.get(p) ?? under.set(p, { devices: [], busDevices: [], dependents: [] }).get(p);
      /** @type {Record<string, string[]>} */
      const top = { node: [], reactor: [], gateway: [], daemon: [], block: [] };
      const orphans = [];
      const sorted = [...entities.entries()].sort(([a], [b]) => byId(a, b));
      for (const [key, doc] of sorted) {
        const kind = key.slice(0, key.indexOf('/'));
        const parent = parentOf(kind, doc);
        if (parent === null) top[kind]?.push(key);
        else slot(parent)?.[kind === 'sensor' ? 'devices' : kind === 'busDevice' ? 'busDevices' : 'dependents'].push(key);
      }
      for (const [key, doc] of sorted) if (key.startsWith('sensor/') && !entities.has(doc.parent ?? '')) orphans.push(key);
      const children = (/** @type {string} */ k) => under.get(k) ?? { devices: [], busDevices: [], dependents: [] };
      tree = {
        nodes: top.node.map((k) => ({ key: k, ...children(k) })),
        reactors: top.reactor.map((k) => ({ key: k, ...children(k) })),
        gateways: top.gateway.map((k) => ({ key: k, ...children(k) })),
        daemons: top.daemon,
        blocks: top.block,
        orphans,
      };
      return tree;
    },
  };
}
