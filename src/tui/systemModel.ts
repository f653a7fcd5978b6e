/**
 * The system view as `edgeplane top` keeps it: the API's entities, flat and keyed
 * `<kind>/<id>`, moved forward by the change feed (each delta holds the changed top-level fields
 * with their whole new values, the whole document for a new entity, null for a removed one).
 * The dashboard keeps the same model in the browser (src/ui/static/model.js).
 */
export type Doc = Record<string, any>;

export interface Change {
  seq: number;
  kind: string;
  id: string;
  change: Doc | null;
}

export interface SystemTree {
  nodes: Group[];
  reactors: Group[];
  gateways: Group[];
  daemons: string[];
  blocks: string[];
  orphans: string[];
}

export interface Group {
  key: string;
  devices: string[];
  dependents: string[];
}

const byId = new Intl.Collator(undefined, { numeric: true }).compare;

/** Where an entity hangs (null: top level). Bus devices are the reactor's own inventory: not shown. */
function parentOf(kind: string, doc: Doc): string | null {
  if (kind === 'sensor') return (doc.parent as string | undefined) ?? null;
  if (kind === 'dependent') return `gateway/${String(doc.gateway)}`;
  return null;
}

const kindOf = (key: string) => key.slice(0, key.indexOf('/'));

export class SystemModel {
  private entities = new Map<string, Doc>();
  private cachedTree: SystemTree | undefined;
  seq = -1;
  loaded = false;

  get(key: string): Doc | undefined {
    return this.entities.get(key);
  }

  /** Replaces everything with the API's nested view (`GET /v1/system`). */
  load(view: Doc): void {
    const out = new Map<string, Doc>();
    const sensors = (list: Doc[] | undefined) => list?.forEach((d) => out.set(`sensor/${d.id}`, d));
    for (const { devices, ...n } of (view.nodes ?? []) as Doc[]) (out.set(`node/${n.id}`, n), sensors(devices));
    for (const { devices, busDevices: _bus, ...r } of (view.reactors ?? []) as Doc[]) (out.set(`reactor/${r.id}`, r), sensors(devices));
    for (const { devices, dependents, ...g } of (view.gateways ?? []) as Doc[]) {
      out.set(`gateway/${g.id}`, g);
      sensors(devices);
      for (const d of (dependents ?? []) as Doc[]) out.set(`dependent/${g.id}/${d.localId}`, d);
    }
    for (const d of (view.daemons ?? []) as Doc[]) out.set(`daemon/${d.id}`, d);
    for (const b of (view.blocks ?? []) as Doc[]) out.set(`block/${b.id}`, b);
    sensors(view.orphans);
    this.entities = out;
    this.seq = view.seq as number;
    this.loaded = true;
    this.cachedTree = undefined;
  }

  /** Applies deltas in order, skipping any the model already includes; returns the keys changed. */
  apply(changes: readonly Change[]): string[] {
    const keys: string[] = [];
    for (const c of changes) {
      if (c.seq <= this.seq) continue;
      this.seq = c.seq;
      if (c.kind === 'busDevice') continue;
      const key = `${c.kind}/${c.id}`;
      const before = this.entities.get(key);
      if (c.change === null) {
        if (before !== undefined) this.cachedTree = undefined;
        this.entities.delete(key);
      } else if (before === undefined) {
        this.cachedTree = undefined;
        this.entities.set(key, c.change);
      } else {
        const after = { ...before, ...c.change };
        if (parentOf(c.kind, before) !== parentOf(c.kind, after)) this.cachedTree = undefined;
        this.entities.set(key, after);
      }
      keys.push(key);
    }
    return keys;
  }

  all(kind: string): Doc[] {
    const out: Doc[] = [];
    for (const [key, doc] of this.entities) if (kindOf(key) === kind) out.push(doc);
    return out;
  }

  /** The nested view, rebuilt only when something was added, removed or moved. */
  tree(): SystemTree {
    if (this.cachedTree) return this.cachedTree;
    const under = new Map<string, Group>();
    const group = (key: string) => under.get(key) ?? under.set(key, { key, devices: [], dependents: [] }).get(key)!;
    const top: Record<string, string[]> = { node: [], reactor: [], gateway: [], daemon: [], block: [] };
    const orphans: string[] = [];
    const keys = [...this.entities.keys()].sort(byId);
    for (const key of keys) {
      const kind = kindOf(key);
      const parent = parentOf(kind, this.entities.get(key)!);
      if (parent === null) top[kind]?.push(key);
      else if (!this.entities.has(parent)) orphans.push(key);
      else if (kind === 'sensor') group(parent).devices.push(key);
      else group(parent).dependents.push(key);
    }
    const groups = (list: string[]) => list.map((k) => under.get(k) ?? { key: k, devices: [], dependents: [] });
    this.cachedTree = { nodes: groups(top.node!), reactors: groups(top.reactor!), gateways: groups(top.gateway!), daemons: top.daemon!, blocks: top.block!, orphans };
    return this.cachedTree;
  }
}
