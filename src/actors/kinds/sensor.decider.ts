import type { Command, Decider } from '../decider.js';
import { applySeen, applyStatus, initialLiveness, shouldTransition, signOfLife, type Liveness, type LivenessState } from './liveness.js';
import { DEVICE_ROLES, type DeviceRole } from './node.hardware.js';
import { allOf, at, contextOf, ignoreUnknownEvent, invalid, isOlder, ms, oneOf, parseTime, reject, show, str, unknownCommand, type Ctx } from './validate.js';

/**
 * One device channel on a node, reactor or gateway: a sensor (read-only) or an actuator.
 *
 * - Setting a value on a sensor is refused with ERR_SENSOR_READ_ONLY (the ECP seed crashed here).
 * - `SetValue` records a desired value under the command id; `ReportValue` from the edge confirms
 *   it when the values match; `ExpireDesired` (a timer) fails it once its `expiresAt` has passed.
 *   A new `SetValue` while one is pending supersedes it, so no request stays pending forever.
 * - Readings and reports are signs of life; a late one (older than what is known) is kept as
 *   history but never overwrites the newest value or flips the status.
 */
export type SensorValue = number | boolean | string;
export type ParentAddress = `${'node' | 'reactor' | 'gateway'}/${string}`;

export type SensorCommand =
  | Command<'AttachSensor', { role: DeviceRole; type: string; unit: string; parent: ParentAddress }>
  | Command<'RecordReading', { value: SensorValue; at?: string }>
  | Command<'SetValue', { value: SensorValue; expiresAt?: string }>
  | Command<'ReportValue', { value: SensorValue; at?: string }>
  | Command<'ExpireDesired', { at?: string; requestId?: string }>
  | Command<'MarkOnline', { at?: string }>
  | Command<'MarkOffline', { at?: string; reason?: string }>
  | Command<'MarkUnknown', { at?: string; reason?: string }>;

export type SensorEvent =
  | { type: 'SensorAttached'; data: { role: DeviceRole; type: string; unit: string; parent: ParentAddress; at: string } }
  | { type: 'ReadingRecorded'; data: { value: SensorValue; at: string } }
  | { type: 'ValueRequested'; data: { requestId: string; value: SensorValue; requestedAt: string; expiresAt: string | null } }
  | { type: 'DesiredValueSuperseded'; data: { requestId: string; by: string; at: string } }
  | { type: 'ActuatorValueReported'; data: { value: SensorValue; at: string } }
  | { type: 'DesiredValueConfirmed'; data: { requestId: string; value: SensorValue; at: string } }
  | { type: 'DesiredValueExpired'; data: { requestId: string; value: SensorValue; expiresAt: string; at: string } }
  | { type: 'SensorWentOnline'; data: { at: string } }
  | { type: 'SensorWentOffline'; data: { at: string; reason: string | null } }
  | { type: 'SensorBecameUnknown'; data: { at: string; reason: string | null } };

export interface DesiredValue {
  requestId: string;
  value: SensorValue;
  requestedAt: string;
  expiresAt: string | null;
  status: 'pending' | 'confirmed' | 'failed' | 'superseded';
  settledAt: string | null;
}

export interface SensorState extends LivenessState {
  attached: boolean;
  role: DeviceRole | null;
  type: string;
  unit: string;
  parent: ParentAddress | null;
  /** The newest reading (sensors). */
  lastReading: { value: SensorValue; at: string } | null;
  /** The newest value the edge reported applied (actuators). */
  reported: { value: SensorValue; at: string } | null;
  desired: DesiredValue | null;
}

const initialState = (): SensorState => ({ ...initialLiveness(), attached: false, role: null, type: '', unit: '', parent: null, lastReading: null, reported: null, desired: null });

const PARENT = /^(node|reactor|gateway)\/[A-Za-z0-9_\-:@]{1,128}$/;

function attach(ctx: Ctx, state: SensorState): SensorEvent[] {
  const role = oneOf(ctx, 'role', DEVICE_ROLES, 'ERR_INVALID_ROLE');
  const type = str(ctx, 'type', { max: 64 });
  const unit = str(ctx, 'unit', { allowEmpty: true, max: 32 });
  const parent = ctx.data.parent;
  if (typeof parent !== 'string' || !PARENT.test(parent)) {
    invalid(ctx, 'parent', `must be node/<id>, reactor/<id> or gateway/<id> (got ${show(parent)})`, 'ERR_INVALID_PARENT');
  }
  const data = { role, type, unit, parent: parent as ParentAddress };
  if (state.attached) {
    if (state.role === role && state.type === type && state.unit === unit && state.parent === parent) return [];
    reject(ctx, 'ERR_SENSOR_ALREADY_ATTACHED', `it is already attached to ${state.parent} as a ${state.role}`, { parent: state.parent, role: state.role });
  }
  return [{ type: 'SensorAttached', data: { ...data, at: ctx.now } }];
}

function value(ctx: Ctx): SensorValue {
  const v = ctx.data.value;
  if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 256)) return v;
  return invalid(ctx, 'value', `must be a finite number, a boolean or a string of at most 256 characters (got ${show(v)})`, 'ERR_INVALID_VALUE');
}

/** A reading or report is a sign of life: an offline or unknown device comes back online with it. */
function alive(state: SensorState, when: string): SensorEvent[] {
  return signOfLife(state, when) === 'online' ? [{ type: 'SensorWentOnline', data: { at: when } }] : [];
}

function requireRole(ctx: Ctx, state: SensorState, role: DeviceRole, hint: string): void {
  if (state.role !== role) reject(ctx, 'ERR_WRONG_ROLE', `it is ${state.role === 'sensor' ? 'a read-only sensor' : 'an actuator'}; ${hint}`, { role: state.role });
}

function setValue(ctx: Ctx, state: SensorState): SensorEvent[] {
  if (state.role === 'sensor') {
    reject(ctx, 'ERR_SENSOR_READ_ONLY', 'the device is a read-only sensor; only actuators accept SetValue', { role: 'sensor' });
  }
  const v = value(ctx);
  const expiresAt = ctx.data.expiresAt === undefined ? null : parseTime(ctx, 'expiresAt', ctx.data.expiresAt);
  if (expiresAt !== null && ms(expiresAt) <= ms(ctx.now)) {
    invalid(ctx, 'expiresAt', `must be later than the request time ${ctx.now} (got ${expiresAt})`, 'ERR_INVALID_EXPIRY');
  }
  const events: SensorEvent[] = [];
  if (state.desired?.status === 'pending') {
    events.push({ type: 'DesiredValueSuperseded', data: { requestId: state.desired.requestId, by: ctx.commandId, at: ctx.now } });
  }
  events.push({ type: 'ValueRequested', data: { requestId: ctx.commandId, value: v, requestedAt: ctx.now, expiresAt } });
  return events;
}

function reportValue(ctx: Ctx, state: SensorState): SensorEvent[] {
  requireRole(ctx, state, 'actuator', 'a sensor reports measurements with RecordReading');
  const v = value(ctx);
  const when = at(ctx);
  const events: SensorEvent[] = [...alive(state, when), { type: 'ActuatorValueReported', data: { value: v, at: when } }];
  // Only the newest report says what the actuator is now; a late one confirms nothing.
  const current = !isOlder(when, state.reported?.at ?? null);
  if (current && state.desired?.status === 'pending' && state.desired.value === v) {
    events.push({ type: 'DesiredValueConfirmed', data: { requestId: state.desired.requestId, value: v, at: when } });
  }
  return events;
}

function expire(ctx: Ctx, state: SensorState): SensorEvent[] {
  const when = at(ctx);
  const requestId = ctx.data.requestId === undefined ? undefined : str(ctx, 'requestId', { max: 128 });
  const d = state.desired;
  // A timer racing a confirmation (or a newer request) is normal, not an error.
  if (!d || d.status !== 'pending' || d.expiresAt === null || ms(when) < ms(d.expiresAt)) return [];
  if (requestId !== undefined && requestId !== d.requestId) return [];
  return [{ type: 'DesiredValueExpired', data: { requestId: d.requestId, value: d.value, expiresAt: d.expiresAt, at: when } }];
}

function mark(ctx: Ctx, state: SensorState, to: Liveness): SensorEvent[] {
  const when = at(ctx);
  const reason = to === 'ONLINE' ? null : (str(ctx, 'reason', { optional: true, max: 512 }) ?? null);
  if (!shouldTransition(state, to, when)) return [];
  if (to === 'ONLINE') return [{ type: 'SensorWentOnline', data: { at: when } }];
  return [{ type: to === 'OFFLINE' ? 'SensorWentOffline' : 'SensorBecameUnknown', data: { at: when, reason } }];
}

const commandTypes = allOf<SensorCommand['type']>({
  AttachSensor: true,
  RecordReading: true,
  SetValue: true,
  ReportValue: true,
  ExpireDesired: true,
  MarkOnline: true,
  MarkOffline: true,
  MarkUnknown: true,
});

function decide(command: SensorCommand, state: SensorState): SensorEvent[] {
  const ctx = contextOf(command, commandTypes);
  if (command.type !== 'AttachSensor' && !state.attached) reject(ctx, 'ERR_SENSOR_NOT_ATTACHED', 'the device is not attached; send AttachSensor first');
  switch (command.type) {
    case 'AttachSensor':
      return attach(ctx, state);
    case 'RecordReading': {
      requireRole(ctx, state, 'sensor', 'an actuator reports its applied value with ReportValue');
      const v = value(ctx);
      const when = at(ctx);
      return [...alive(state, when), { type: 'ReadingRecorded', data: { value: v, at: when } }];
    }
    case 'SetValue':
      return setValue(ctx, state);
    case 'ReportValue':
      return reportValue(ctx, state);
    case 'ExpireDesired':
      return expire(ctx, state);
    case 'MarkOnline':
      return mark(ctx, state, 'ONLINE');
    case 'MarkOffline':
      return mark(ctx, state, 'OFFLINE');
    case 'MarkUnknown':
      return mark(ctx, state, 'UNKNOWN');
    default:
      return unknownCommand('sensor', command);
  }
}

const newest = <T extends { at: string }>(current: T | null, next: T): T => (current !== null && isOlder(next.at, current.at) ? current : next);
const settle = (d: DesiredValue | null, status: DesiredValue['status'], at: string): DesiredValue | null => (d ? { ...d, status, settledAt: at } : d);

function evolve(state: SensorState, event: SensorEvent): SensorState {
  switch (event.type) {
    case 'SensorAttached': {
      const { role, type, unit, parent } = event.data;
      return { ...state, attached: true, role, type, unit, parent };
    }
    case 'ReadingRecorded':
      return { ...applySeen(state, event.data.at), lastReading: newest(state.lastReading, event.data) };
    case 'ActuatorValueReported':
      return { ...applySeen(state, event.data.at), reported: newest(state.reported, event.data) };
    case 'ValueRequested':
      return { ...state, desired: { ...event.data, status: 'pending', settledAt: null } };
    case 'DesiredValueSuperseded':
      return { ...state, desired: settle(state.desired, 'superseded', event.data.at) };
    case 'DesiredValueConfirmed':
      return { ...state, desired: settle(state.desired, 'confirmed', event.data.at) };
    case 'DesiredValueExpired':
      return { ...state, desired: settle(state.desired, 'failed', event.data.at) };
    case 'SensorWentOnline':
      return applyStatus(state, 'ONLINE', event.data.at);
    case 'SensorWentOffline':
      return applyStatus(state, 'OFFLINE', event.data.at);
    case 'SensorBecameUnknown':
      return applyStatus(state, 'UNKNOWN', event.data.at);
    default:
      return ignoreUnknownEvent(state, event);
  }
}

export const sensorDecider: Decider<SensorState, SensorCommand, SensorEvent> = {
  kind: 'sensor',
  version: '1',
  commandTypes,
  initialState,
  decide,
  evolve,
};
