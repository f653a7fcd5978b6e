import type { Command, Decider } from '../decider.js';
import { findConflicts, type ComparisonOp, type Conflict, type DeviceRole, type Interaction, type RoleOf } from './interactionConflicts.js';
import { DEVICE_ROLES } from './node.hardware.js';
import { allOf, bool, contextOf, idField, ignoreUnknownEvent, invalid, nested, num, obj, oneOf, parseTime, reject, show, unknownCommand, type Ctx } from './validate.js';

/**
 * The ECP interaction layer's table ("if sensor/motion > 5 then sensor/light = 1"): one actor of
 * kind `interactions`, by convention `interactions/default`, so every change to the table is
 * decided in one place, one at a time, against the whole table.
 *
 * - A new, changed or re-enabled interaction is checked with `findConflicts`: a flicker pair,
 *   a cycle, or a sensor as target is refused with ERR_INTERACTION_CONFLICT, naming the
 *   interactions involved and why. `force: true` accepts a flicker or a cycle (the event keeps
 *   what was overridden); it never accepts a sensor target, which could only fail at every firing.
 * - Device roles are not in this actor's stream. Whoever submits a command that needs them (the
 *   API and the CLI, which resolve them from the system view) puts them in its data as
 *   `roles: {"sensor/light-1": "actuator", …}`; an address missing there is not judged.
 * - `RecordFiring` is the engine's account of one firing and its latency, kept for the
 *   interactions projection; it changes nothing here.
 */
export const COMPARISON_OPS: readonly ComparisonOp[] = ['>', '>=', '<', '<=', '==', '!='];

export type Roles = Record<string, DeviceRole>;
type When = Interaction['when'];
type Then = Interaction['then'];

export type InteractionsCommand =
  | Command<'AddInteraction', { id: string; when: When; then: Then; enabled?: boolean; force?: boolean; roles?: Roles }>
  | Command<'UpdateInteraction', { id: string; when?: When; then?: Then; force?: boolean; roles?: Roles }>
  | Command<'DeleteInteraction', { id: string }>
  | Command<'EnableInteraction', { id: string; force?: boolean; roles?: Roles }>
  | Command<'DisableInteraction', { id: string }>
  | Command<'RecordFiring', { interactionId: string; readingValue: number; readingAt: string; actuatedAt: string; latencyMs: number }>;

/** `forcedConflicts`: what `force: true` overrode (empty when nothing was). */
export type InteractionsEvent =
  | { type: 'InteractionAdded'; data: { id: string; when: When; then: Then; enabled: boolean; forcedConflicts: Conflict[]; at: string } }
  | { type: 'InteractionUpdated'; data: { id: string; when: When; then: Then; forcedConflicts: Conflict[]; at: string } }
  | { type: 'InteractionDeleted'; data: { id: string; at: string } }
  | { type: 'InteractionEnabled'; data: { id: string; forcedConflicts: Conflict[]; at: string } }
  | { type: 'InteractionDisabled'; data: { id: string; at: string } }
  | { type: 'FiringRecorded'; data: { interactionId: string; readingValue: number; readingAt: string; actuatedAt: string; latencyMs: number; at: string } };

export interface StoredInteraction extends Interaction {
  /** 1 when added, +1 on every update, enable and disable. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface InteractionsState {
  interactions: Record<string, StoredInteraction>;
}

const initialState = (): InteractionsState => ({ interactions: {} });

const ADDRESS = /^sensor\/(.*)$/s;
/** A day: a "latency" longer than that is a clock or unit mistake, not a measurement. */
export const MAX_LATENCY_MS = 86_400_000;

function address(ctx: Ctx, name: string, value: unknown = ctx.data[name]): string {
  const m = typeof value === 'string' ? ADDRESS.exec(value) : null;
  if (!m) return invalid(ctx, name, `must be a device address sensor/<id> (got ${show(value)})`);
  idField(ctx, name, m[1]);
  return value as string;
}

function parseWhen(ctx: Ctx): When {
  const w = nested(ctx, 'when', ctx.data.when);
  return { source: address(w, 'source'), op: oneOf(w, 'op', COMPARISON_OPS), value: num(w, 'value') };
}

function parseThen(ctx: Ctx): Then {
  const t = nested(ctx, 'then', ctx.data.then);
  return { target: address(t, 'target'), value: num(t, 'value') };
}

const optionalBool = (ctx: Ctx, name: string, fallback: boolean): boolean => (ctx.data[name] === undefined ? fallback : bool(ctx, name));

function parseRoles(ctx: Ctx): RoleOf {
  if (ctx.data.roles === undefined) return () => undefined;
  const roles = new Map<string, DeviceRole>();
  for (const [addr, role] of Object.entries(obj(ctx, 'roles'))) {
    const field = `roles[${JSON.stringify(addr)}]`;
    roles.set(address(ctx, field, addr), oneOf(ctx, field, DEVICE_ROLES, 'ERR_INVALID_ROLE', role));
  }
  return (addr) => roles.get(addr);
}

function existing(ctx: Ctx, state: InteractionsState, name = 'id'): StoredInteraction {
  const id = idField(ctx, name);
  const found = Object.hasOwn(state.interactions, id) ? state.interactions[id] : undefined;
  if (!found) reject(ctx, 'ERR_INTERACTION_NOT_FOUND', `no interaction ${id} exists`, { id });
  return found;
}

/**
 * The conflicts `candidate` would create that `force` overrides; refuses the command when
 * there are conflicts it does not (a sensor target always, the others without force).
 */
function admit(ctx: Ctx, candidate: Interaction, state: InteractionsState, roles: RoleOf): Conflict[] {
  const force = optionalBool(ctx, 'force', false);
  const conflicts = findConflicts(candidate, Object.values(state.interactions), roles);
  if (conflicts.length === 0) return [];
  const readOnly = conflicts.some((c) => c.kind === 'read-only-target');
  if (force && !readOnly) return conflicts;
  const why = conflicts.map((c) => `${c.kind} (${c.interactions.join(', ')}): ${c.reason}`).join('; ');
  const hint = readOnly ? 'force cannot make a sensor writable' : 'send force: true to accept it anyway';
  return reject(ctx, 'ERR_INTERACTION_CONFLICT', `interaction ${candidate.id} conflicts: ${why} (${hint})`, { conflicts });
}

function add(ctx: Ctx, state: InteractionsState): InteractionsEvent[] {
  const id = idField(ctx, 'id');
  const when = parseWhen(ctx);
  const then = parseThen(ctx);
  const enabled = optionalBool(ctx, 'enabled', true);
  const roles = parseRoles(ctx);
  if (Object.hasOwn(state.interactions, id)) reject(ctx, 'ERR_INTERACTION_EXISTS', `an interaction ${id} already exists; use UpdateInteraction to change it`, { id });
  const forcedConflicts = admit(ctx, { id, enabled, when, then }, state, roles);
  return [{ type: 'InteractionAdded', data: { id, when, then, enabled, forcedConflicts, at: ctx.now } }];
}

function update(ctx: Ctx, state: InteractionsState): InteractionsEvent[] {
  const current = existing(ctx, state);
  if (ctx.data.when === undefined && ctx.data.then === undefined) reject(ctx, 'ERR_INVALID_COMMAND', 'give a new when, then or both');
  const when = ctx.data.when === undefined ? current.when : parseWhen(ctx);
  const then = ctx.data.then === undefined ? current.then : parseThen(ctx);
  const roles = parseRoles(ctx);
  if (JSON.stringify([when, then]) === JSON.stringify([current.when, current.then])) return [];
  const forcedConflicts = admit(ctx, { id: current.id, enabled: current.enabled, when, then }, state, roles);
  return [{ type: 'InteractionUpdated', data: { id: current.id, when, then, forcedConflicts, at: ctx.now } }];
}

function enable(ctx: Ctx, state: InteractionsState): InteractionsEvent[] {
  const current = existing(ctx, state);
  const roles = parseRoles(ctx);
  if (current.enabled) return [];
  const forcedConflicts = admit(ctx, { ...current, enabled: true }, state, roles);
  return [{ type: 'InteractionEnabled', data: { id: current.id, forcedConflicts, at: ctx.now } }];
}

function recordFiring(ctx: Ctx, state: InteractionsState): InteractionsEvent[] {
  const { id: interactionId } = existing(ctx, state, 'interactionId');
  const readingValue = num(ctx, 'readingValue');
  const readingAt = parseTime(ctx, 'readingAt', ctx.data.readingAt);
  const actuatedAt = parseTime(ctx, 'actuatedAt', ctx.data.actuatedAt);
  const latencyMs = num(ctx, 'latencyMs', { min: 0, max: MAX_LATENCY_MS });
  return [{ type: 'FiringRecorded', data: { interactionId, readingValue, readingAt, actuatedAt, latencyMs, at: ctx.now } }];
}

const commandTypes = allOf<InteractionsCommand['type']>({
  AddInteraction: true,
  UpdateInteraction: true,
  DeleteInteraction: true,
  EnableInteraction: true,
  DisableInteraction: true,
  RecordFiring: true,
});

function decide(command: InteractionsCommand, state: InteractionsState): InteractionsEvent[] {
  const ctx = contextOf(command, commandTypes);
  switch (command.type) {
    case 'AddInteraction':
      return add(ctx, state);
    case 'UpdateInteraction':
      return update(ctx, state);
    case 'DeleteInteraction':
      return [{ type: 'InteractionDeleted', data: { id: existing(ctx, state).id, at: ctx.now } }];
    case 'EnableInteraction':
      return enable(ctx, state);
    case 'DisableInteraction': {
      const current = existing(ctx, state);
      return current.enabled ? [{ type: 'InteractionDisabled', data: { id: current.id, at: ctx.now } }] : [];
    }
    case 'RecordFiring':
      return recordFiring(ctx, state);
    default:
      return unknownCommand('interactions', command);
  }
}

function change(state: InteractionsState, id: string, at: string, f: (i: StoredInteraction) => Partial<StoredInteraction>): InteractionsState {
  const i = state.interactions[id];
  if (!i) return state;
  return { interactions: { ...state.interactions, [id]: { ...i, ...f(i), version: i.version + 1, updatedAt: at } } };
}

function evolve(state: InteractionsState, event: InteractionsEvent): InteractionsState {
  switch (event.type) {
    case 'InteractionAdded': {
      const { id, when, then, enabled, at } = event.data;
      return { interactions: { ...state.interactions, [id]: { id, enabled, when, then, version: 1, createdAt: at, updatedAt: at } } };
    }
    case 'InteractionUpdated':
      return change(state, event.data.id, event.data.at, () => ({ when: event.data.when, then: event.data.then }));
    case 'InteractionDeleted': {
      const { [event.data.id]: _deleted, ...interactions } = state.interactions;
      return { interactions };
    }
    case 'InteractionEnabled':
      return change(state, event.data.id, event.data.at, () => ({ enabled: true }));
    case 'InteractionDisabled':
      return change(state, event.data.id, event.data.at, () => ({ enabled: false }));
    case 'FiringRecorded':
      return state;
    default:
      return ignoreUnknownEvent(state, event);
  }
}

export const interactionsDecider: Decider<InteractionsState, InteractionsCommand, InteractionsEvent> = {
  kind: 'interactions',
  version: '1',
  commandTypes,
  initialState,
  decide,
  evolve,
};
