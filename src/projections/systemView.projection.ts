import type Database from 'better-sqlite3';
import type { AnyDecider } from '../actors/decider.js';
import type { BlockState } from '../actors/kinds/block.decider.js';
import type { DaemonState } from '../actors/kinds/daemon.decider.js';
import type { DependentDevice, GatewayState } from '../actors/kinds/gateway.decider.js';
import { blockDecider, daemonDecider, gatewayDecider, nodeDecider, reactorDecider, sensorDecider } from '../actors/kinds/index.js';
import type { Liveness } from '../actors/kinds/liveness.js';
import type { NodeState } from '../actors/kinds/node.decider.js';
import type { ReactorDevice, ReactorState } from '../actors/kinds/reactor.decider.js';
import type { SensorState } from '../actors/kinds/sensor.decider.js';
import { isOlder } from '../actors/kinds/validate.js';
import type { RecordedEvent } from '../eventstore/eventStore.js';
import { addressOfStream } from '../shared/ids.js';
import type { Projection } from './projectionRunner.js';
import { perConnection } from './perConnection.js';

type Db = Database.Database;

/**
 * The live system view: nodes, reactors and gateways with the devices under them, daemons and
 * blocks, each entity one JSON document, plus a change feed of what each event changed.
 *
 * Each actor's state is folded with its own decider's `evolve` (kept in `sv_actors`), so the
 * view says exactly what the actors decide; documents are derived from those states.
 *
 * Sensors show UNKNOWN while their parent (reactor, node or gateway) is OFFLINE, and after it
 * comes back until they are heard from again: the reactor decider does the same for the devices
 * on its buses, and a sensor actor only learns of the outage later, if at all.
 *
 * The feed: every document an event changes appends `{seq, kind, id, change, position}`, where
 * `change` holds the changed top-level fields with their whole new values (the full document for
 * a new entity, null for a removed one). It keeps the newest `feedLimit` rows, pruned by seq. A
 * follower whose next row is not `seq + 1`, or whose seq is above `latestSeq` (after a rebuild),
 * reloads `getSystemView`.
 */
export type EntityKind = 'node' | 'reactor' | 'busDevice' | 'sensor' | 'gateway' | 'dependent' | 'daemon' | 'block';
type Doc = Record<string, unknown>;
interface Entity {
  kind: EntityKind;
  id: string;
  parent: string | null;
  doc: Doc;
}

export const DEFAULT_FEED_LIMIT = 100_000;

const DECIDERS: Readonly<Record<string, AnyDecider>> = {
  node: nodeDecider,
  reactor: reactorDecider,
  sensor: sensorDecider,
  gateway: gatewayDecider,
  block: blockDecider,
  daemon: daemonDecider,
};
const PARENT_KINDS = new Set(['node', 'reactor', 'gateway']);

const TABLES = `
CREATE TABLE IF NOT EXISTS sv_actors (kind TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, unknown_since TEXT, PRIMARY KEY (kind, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sv_entities (kind TEXT NOT NULL, id TEXT NOT NULL, parent TEXT, status TEXT, doc TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sv_entities_by_parent ON sv_entities (parent, kind, id) WHERE parent IS NOT NULL;
CREATE TABLE IF NOT EXISTS sv_changes (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, change TEXT NOT NULL, position INTEGER NOT NULL);`;

export const SYSTEM_VIEW_TABLES = ['sv_actors', 'sv_entities', 'sv_changes'] as const;

function prepare(db: Db) {
  return {
    actor: db.prepare('SELECT state, unknown_since AS unknownSince FROM sv_actors WHERE kind = ? AND id = ?'),
    putActor: db.prepare('INSERT INTO sv_actors VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET state = excluded.state, unknown_since = excluded.unknown_since'),
    entity: db.prepare('SELECT doc FROM sv_entities WHERE kind = ? AND id = ?').pluck(),
    status: db.prepare('SELECT status FROM sv_entities WHERE kind = ? AND id = ?').pluck(),
    putEntity: db.prepare(
      'INSERT INTO sv_entities VALUES (@kind, @id, @parent, @status, @doc) ON CONFLICT (kind, id) DO UPDATE SET parent = excluded.parent, status = excluded.status, doc = excluded.doc',
    ),
    dropEntity: db.prepare('DELETE FROM sv_entities WHERE kind = ? AND id = ?'),
    children: db.prepare("SELECT id FROM sv_entities WHERE parent = ? AND kind = 'sensor' ORDER BY id").pluck(),
    append: db.prepare('INSERT INTO sv_changes (kind, id, change, position) VALUES (?, ?, ?, ?)'),
    prune: db.prepare('DELETE FROM sv_changes WHERE seq <= ?'),
    all: db.prepare('SELECT kind, parent, doc FROM sv_entities ORDER BY kind, id'),
    after: db.prepare('SELECT seq, kind, id, change, position FROM sv_changes WHERE seq > ? ORDER BY seq LIMIT ?'),
    latest: db.prepare('SELECT COALESCE(MAX(seq), 0) FROM sv_changes').pluck(),
  };
}
type Statements = ReturnType<typeof prepare>;

// Statements are prepared once per connection; a reset drops them with the tables.
const cache = perConnection(prepare);
const statements = (db: Db): Statements => cache.get(db);

// ---- documents, derived from decider states ------------------------------------------------

const liveness = (s: { status: Liveness; statusChangedAt: string | null; lastSeen: string | null }) => ({
  status: s.status,
  statusChangedAt: s.statusChangedAt,
  lastSeen: s.lastSeen,
});

const nodeDoc = (id: string, s: NodeState): Doc => ({
  id,
  serial: s.serial,
  name: s.name,
  description: s.description,
  ...liveness(s),
  offlineReason: s.offlineReason,
  leader: s.leader,
  hardware: s.hardware,
});

const busDevice = (reactor: string, d: ReactorDevice): Entity => ({
  kind: 'busDevice',
  id: `${reactor}/${d.id}`,
  parent: `reactor/${reactor}`,
  doc: { id: d.id, reactor, bus: d.bus, address: d.address, driver: d.driver, status: d.status, statusChangedAt: d.statusChangedAt, discoveredAt: d.discoveredAt },
});

const gatewayDoc = (id: string, s: GatewayState): Doc => ({
  id,
  ...liveness(s),
  offlineReason: s.offlineReason,
  targetStatus: s.targetStatus,
  currentStatus: s.currentStatus,
  currentStatusAt: s.currentStatusAt,
  startedAt: s.startedAt,
});

function dependent(gateway: string, d: DependentDevice): Entity {
  const u = d.update;
  const firmware = {
    current: d.commit,
    target: u?.commit ?? null,
    update: u && { status: u.status, attempt: u.attempt?.number ?? null, attemptsUsed: u.attemptsUsed, maxAttempts: u.maxAttempts, progress: u.attempt?.percent ?? null, deadline: u.attempt?.deadline ?? null, lastError: u.lastError },
  };
  return {
    kind: 'dependent',
    id: `${gateway}/${d.localId}`,
    parent: `gateway/${gateway}`,
    doc: {
      localId: d.localId,
      gateway,
      boardType: d.boardType,
      // The gateway decider marks devices null while it is unreachable: not known either way.
      status: d.online === null ? 'UNKNOWN' : d.online ? 'ONLINE' : 'OFFLINE',
      statusChangedAt: d.onlineChangedAt,
      detectedAt: d.detectedAt,
      provisioned: d.provisioned,
      firmware,
      restartRequestedAt: d.restartRequestedAt,
      lastRestartedAt: d.lastRestartedAt,
      deleteRequestedAt: d.deleteRequestedAt,
    },
  };
}

const daemonDoc = (id: string, s: DaemonState): Doc => ({
  id,
  owner: s.owner,
  power: s.on === null ? null : s.on ? 'on' : 'off',
  powerConfirmedAt: s.confirmedAt,
  desired: s.desired && { power: s.desired.on ? 'on' : 'off', status: s.desired.status, requestId: s.desired.requestId, requestedAt: s.desired.requestedAt },
  watts: s.lastPower?.watts ?? null,
  wattsAt: s.lastPower?.at ?? null,
  status: s.online === false ? 'OFFLINE' : s.online === true || s.lastPower !== null ? 'ONLINE' : 'UNKNOWN',
});

const blockDoc = (id: string, s: BlockState): Doc => ({
  id,
  data: s.data,
  role: s.master ? 'master' : s.slave ? 'slave' : null,
  key: s.master?.key ?? s.slave?.key ?? null,
  interval: s.master?.interval ?? null,
  translations: s.slave?.translations ?? null,
  lastSync: s.lastSync,
});

/** What a sensor shows: UNKNOWN under an offline parent, and since then until it is heard from. */
function shownStatus(s: SensorState, parentStatus: Liveness | null, unknownSince: string | null): { status: Liveness; statusChangedAt: string | null } {
  const heardSince = unknownSince === null || [s.lastSeen, s.statusChangedAt].some((t) => t !== null && isOlder(unknownSince, t));
  if (parentStatus !== 'OFFLINE' && heardSince) return { status: s.status, statusChangedAt: s.statusChangedAt };
  return { status: 'UNKNOWN', statusChangedAt: unknownSince ?? s.statusChangedAt };
}

function sensorEntity(st: Statements, id: string, s: SensorState, unknownSince: string | null): Entity | undefined {
  if (!s.attached || s.parent === null) return undefined;
  const slash = s.parent.indexOf('/');
  const parentStatus = (st.status.get(s.parent.slice(0, slash), s.parent.slice(slash + 1)) as Liveness | null | undefined) ?? null;
  const reading = s.role === 'actuator' ? s.reported : s.lastReading;
  const d = s.desired;
  return {
    kind: 'sensor',
    id,
    parent: s.parent,
    doc: {
      id,
      address: `sensor/${id}`,
      role: s.role,
      type: s.type,
      unit: s.unit,
      parent: s.parent,
      ...shownStatus(s, parentStatus, unknownSince),
      lastSeen: s.lastSeen,
      value: reading?.value ?? null,
      valueAt: reading?.at ?? null,
      desired: d && { value: d.value, status: d.status, requestId: d.requestId, requestedAt: d.requestedAt, expiresAt: d.expiresAt, settledAt: d.settledAt },
    },
  };
}

// ---- folding ----------------------------------------------------------------------------------

function diff(before: Doc, after: Doc): Doc {
  const change: Doc = {};
  for (const key of Object.keys(after)) if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) change[key] = after[key];
  for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) change[key] = null;
  return change;
}

/** Writes one entity (or removes it) and records what changed; an unchanged document records nothing. */
function write(st: Statements, feed: { position: number; limit: number }, kind: EntityKind, id: string, next: Entity | undefined): void {
  const stored = st.entity.get(kind, id) as string | undefined;
  const text = next && JSON.stringify(next.doc);
  if (stored === text) return;
  let change: unknown = null;
  if (next === undefined) st.dropEntity.run(kind, id);
  else {
    const status = typeof next.doc.status === 'string' ? next.doc.status : null;
    st.putEntity.run({ kind, id, parent: next.parent, status, doc: text });
    change = stored === undefined ? next.doc : diff(JSON.parse(stored) as Doc, next.doc);
  }
  const seq = Number(st.append.run(kind, id, JSON.stringify(change), feed.position).lastInsertRowid);
  if (seq > feed.limit) st.prune.run(seq - feed.limit);
}

/** Entries of a map-valued state field that evolve replaced (unchanged ones keep their identity), and the removed keys. */
function changedEntries<T>(before: Record<string, T>, after: Record<string, T>): { changed: T[]; removed: string[] } {
  const changed = Object.keys(after).filter((k) => !Object.hasOwn(before, k) || before[k] !== after[k]).map((k) => after[k]!);
  return { changed, removed: Object.keys(before).filter((k) => !Object.hasOwn(after, k)) };
}

/** Every document of one actor that this change of state may have changed. */
function rewrite(st: Statements, feed: { position: number; limit: number }, kind: string, id: string, before: unknown, after: unknown, unknownSince: string | null): void {
  const put = (e: Entity) => write(st, feed, e.kind, e.id, e);
  switch (kind) {
    case 'node':
      return put({ kind: 'node', id, parent: null, doc: nodeDoc(id, after as NodeState) });
    case 'reactor': {
      const [b, a] = [before as ReactorState, after as ReactorState];
      put({ kind: 'reactor', id, parent: null, doc: { id, ...liveness(a), offlineReason: a.offlineReason } });
      const { changed, removed } = changedEntries(b.devices, a.devices);
      changed.forEach((d) => put(busDevice(id, d)));
      return removed.forEach((d) => write(st, feed, 'busDevice', `${id}/${d}`, undefined));
    }
    case 'gateway': {
      const [b, a] = [before as GatewayState, after as GatewayState];
      put({ kind: 'gateway', id, parent: null, doc: gatewayDoc(id, a) });
      const { changed, removed } = changedEntries(b.devices, a.devices);
      changed.forEach((d) => put(dependent(id, d)));
      return removed.forEach((d) => write(st, feed, 'dependent', `${id}/${d}`, undefined));
    }
    case 'sensor':
      return write(st, feed, 'sensor', id, sensorEntity(st, id, after as SensorState, unknownSince));
    case 'daemon':
      return put({ kind: 'daemon', id, parent: null, doc: daemonDoc(id, after as DaemonState) });
    case 'block':
      return put({ kind: 'block', id, parent: null, doc: blockDoc(id, after as BlockState) });
    default:
      return;
  }
}

/** A parent's status changed: its sensors' shown status may change too; going OFFLINE starts their UNKNOWN hold. */
function rewriteChildren(st: Statements, feed: { position: number; limit: number }, parent: string, wentOfflineAt: string | null): void {
  for (const id of st.children.all(parent) as string[]) {
    const row = st.actor.get('sensor', id) as { state: string; unknownSince: string | null } | undefined;
    if (row === undefined) continue;
    let unknownSince = row.unknownSince;
    if (wentOfflineAt !== null && (unknownSince === null || isOlder(unknownSince, wentOfflineAt))) {
      unknownSince = wentOfflineAt;
      st.putActor.run('sensor', id, row.state, unknownSince);
    }
    write(st, feed, 'sensor', id, sensorEntity(st, id, JSON.parse(row.state) as SensorState, unknownSince));
  }
}

/** State kept for the view: a daemon's recent reading times only serve its decider's duplicate check. */
const kept = (kind: string, state: unknown): unknown => (kind === 'daemon' ? { ...(state as DaemonState), recentReadingTimes: [] } : state);

function applyTo(db: Db, event: RecordedEvent, feedLimit: number): void {
  const address = addressOfStream(event.stream);
  const decider = address && Object.hasOwn(DECIDERS, address.kind) ? DECIDERS[address.kind] : undefined;
  if (!address || !decider) return;
  const { kind, id } = address;
  const st = statements(db);
  const row = st.actor.get(kind, id) as { state: string; unknownSince: string | null } | undefined;
  const before: unknown = row ? JSON.parse(row.state) : decider.initialState();
  const evolved: unknown = decider.evolve(before, { type: event.type, data: event.data });
  // An event type this view does not know leaves the state as it was.
  if (evolved === before) return;
  const after = kept(kind, evolved);
  const unknownSince = row?.unknownSince ?? null;
  st.putActor.run(kind, id, JSON.stringify(after), unknownSince);
  const feed = { position: event.position, limit: feedLimit };
  rewrite(st, feed, kind, id, before, after, unknownSince);
  if (PARENT_KINDS.has(kind)) {
    const [was, is] = [(before as { status: Liveness }).status, after as { status: Liveness; statusChangedAt: string | null }];
    if (was !== is.status) rewriteChildren(st, feed, `${kind}/${id}`, is.status === 'OFFLINE' ? is.statusChangedAt : null);
  }
}

export function createSystemViewProjection(opts: { feedLimit?: number } = {}): Projection {
  const feedLimit = opts.feedLimit ?? DEFAULT_FEED_LIMIT;
  if (!Number.isInteger(feedLimit) || feedLimit < 1) throw new RangeError(`feedLimit must be a positive integer, got ${String(feedLimit)}`);
  return {
    name: 'systemView',
    kinds: Object.keys(DECIDERS),
    // The view folds the deciders' states, so a new state shape rebuilds it.
    version: `1/${Object.entries(DECIDERS).map(([k, d]) => `${k}${d.version}`).join('.')}`,
    init: (db) => db.exec(TABLES),
    reset(db) {
      cache.forget(db);
      db.exec(SYSTEM_VIEW_TABLES.map((t) => `DROP TABLE IF EXISTS ${t};`).join(''));
    },
    apply: (db, event) => applyTo(db, event, feedLimit),
  };
}

export const systemViewProjection = createSystemViewProjection();

// ---- queries ----------------------------------------------------------------------------------

export interface SystemView {
  /** The feed position this view includes: follow with `changesAfter(db, seq)`. */
  seq: number;
  nodes: Array<Doc & { devices: Doc[] }>;
  reactors: Array<Doc & { busDevices: Doc[]; devices: Doc[] }>;
  gateways: Array<Doc & { dependents: Doc[]; devices: Doc[] }>;
  daemons: Doc[];
  blocks: Doc[];
  /** Sensors whose parent has not been heard of yet. */
  orphans: Doc[];
}

export interface Change {
  seq: number;
  kind: EntityKind;
  id: string;
  change: Doc | null;
  position: number;
}

function readView(db: Db): SystemView {
  const st = statements(db);
  const rows = st.all.all() as Array<{ kind: EntityKind; parent: string | null; doc: string }>;
  const docs = rows.map((r) => ({ ...r, doc: JSON.parse(r.doc) as Doc }));
  const under = new Map<string, { devices: Doc[]; busDevices: Doc[]; dependents: Doc[] }>();
  const slot = (parent: string) => under.get(parent) ?? under.set(parent, { devices: [], busDevices: [], dependents: [] }).get(parent)!;
  for (const r of docs) {
    if (r.parent === null) continue;
    const list = r.kind === 'sensor' ? 'devices' : r.kind === 'busDevice' ? 'busDevices' : 'dependents';
    slot(r.parent)[list].push(r.doc);
  }
  const top = (kind: EntityKind) => docs.filter((r) => r.kind === kind).map((r) => r.doc);
  const childrenOf = (kind: string, d: Doc) => slot(`${kind}/${String(d.id)}`);
  const placed = new Set(docs.filter((r) => PARENT_KINDS.has(r.kind)).map((r) => `${r.kind}/${String(r.doc.id)}`));
  return {
    seq: st.latest.get() as number,
    nodes: top('node').map((d) => ({ ...d, devices: childrenOf('node', d).devices })),
    reactors: top('reactor').map((d) => ({ ...d, busDevices: childrenOf('reactor', d).busDevices, devices: childrenOf('reactor', d).devices })),
    gateways: top('gateway').map((d) => ({ ...d, dependents: childrenOf('gateway', d).dependents, devices: childrenOf('gateway', d).devices })),
    daemons: top('daemon'),
    blocks: top('block'),
    orphans: docs.filter((r) => r.kind === 'sensor' && !placed.has(r.parent ?? '')).map((r) => r.doc),
  };
}

/** The whole tree, consistent with its `seq` (read in one transaction). */
export function getSystemView(db: Db): SystemView {
  return db.transaction(readView)(db);
}

export function changesAfter(db: Db, seq: number, limit = 1000): Change[] {
  const rows = statements(db).after.all(seq, Math.max(0, Math.trunc(limit))) as Array<Omit<Change, 'change'> & { change: string }>;
  return rows.map((r) => ({ ...r, change: JSON.parse(r.change) as Doc | null }));
}

export function latestSeq(db: Db): number {
  return statements(db).latest.get() as number;
}
