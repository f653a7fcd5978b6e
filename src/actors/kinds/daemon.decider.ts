import type { Command, Decider } from '../decider.js';
import { allOf, at, bool, contextOf, idField, ignoreUnknownEvent, invalid, isOlder, ms, reject, show, unknownCommand, type Ctx } from './validate.js';

/**
 * A Paddy smart plug ("daemon"), owned by one user.
 *
 * - `SwitchPower` is the wish (recorded under the command id), `ConfirmPower` the plug's word.
 * - `RecordPower` arrives every ~10 s. Out-of-order readings are accepted as events (the kWh
 *   projection sorts by `at`); a reading with the same `at` as one already recorded is a
 *   duplicate and refused. Only the newest READING_WINDOW times are remembered, so a
 *   duplicate of a reading older than that is not caught here and the projection must key
 *   readings by `at` too. The newest reading is the plug's current draw.
 * - Liveness marks a silent plug offline (`MarkOffline`); its next message brings it back.
 */
export type DaemonCommand =
  | Command<'RegisterDaemon', { owner: string }>
  | Command<'SwitchPower', { on: boolean }>
  | Command<'ConfirmPower', { on: boolean; at?: string }>
  | Command<'RecordPower', { watts: number; at?: string }>
  | Command<'MarkOnline', { at?: string }>
  | Command<'MarkOffline', { at?: string; reason?: string }>;

export type DaemonEvent =
  | { type: 'DaemonRegistered'; data: { owner: string; at: string } }
  | { type: 'PowerSwitchRequested'; data: { requestId: string; on: boolean; at: string } }
  /** `requestId` names the switch request it confirms, or null when the plug changed on its own. */
  | { type: 'PowerConfirmed'; data: { on: boolean; at: string; requestId: string | null } }
  | { type: 'PowerRecorded'; data: { watts: number; at: string } }
  | { type: 'DaemonWentOnline'; data: { at: string } }
  | { type: 'DaemonWentOffline'; data: { at: string; reason: string | null } };

export interface DaemonState {
  owner: string | null;
  desired: { requestId: string; on: boolean; requestedAt: string; status: 'pending' | 'confirmed' } | null;
  /** What the plug last confirmed; null until it has. */
  on: boolean | null;
  confirmedAt: string | null;
  lastPower: { watts: number; at: string } | null;
  /** The newest reading times, ascending, for refusing duplicates. */
  recentReadingTimes: string[];
  /** null until liveness has an opinion; false after a missed heartbeat until the plug speaks again. */
  online: boolean | null;
}

export const READING_WINDOW = 64;

const initialState = (): DaemonState => ({ owner: null, desired: null, on: null, confirmedAt: null, lastPower: null, recentReadingTimes: [], online: null });

/** A plug marked offline that speaks again is back online first (the seed's wills, without heartbeats). */
const back = (ctx: Ctx, state: DaemonState, events: DaemonEvent[]): DaemonEvent[] =>
  state.online === false && events.length > 0 ? [{ type: 'DaemonWentOnline', data: { at: ctx.now } }, ...events] : events;

function register(ctx: Ctx, state: DaemonState): DaemonEvent[] {
  const owner = idField(ctx, 'owner');
  if (state.owner === owner) return [];
  if (state.owner !== null) reject(ctx, 'ERR_DAEMON_ALREADY_OWNED', 'the daemon already belongs to another user', { owner: state.owner });
  return [{ type: 'DaemonRegistered', data: { owner, at: ctx.now } }];
}

function confirm(ctx: Ctx, state: DaemonState): DaemonEvent[] {
  const on = bool(ctx, 'on');
  const when = at(ctx);
  if (isOlder(when, state.confirmedAt)) return [];
  const pending = state.desired?.status === 'pending' && state.desired.on === on ? state.desired.requestId : null;
  if (on === state.on && pending === null) return [];
  return [{ type: 'PowerConfirmed', data: { on, at: when, requestId: pending } }];
}

function recordPower(ctx: Ctx, state: DaemonState): DaemonEvent[] {
  const watts = ctx.data.watts;
  if (typeof watts !== 'number' || !Number.isFinite(watts) || watts < 0) {
    invalid(ctx, 'watts', `must be a finite number of watts, 0 or more (got ${show(watts)})`, 'ERR_INVALID_POWER');
  }
  const when = at(ctx);
  if (state.recentReadingTimes.includes(when)) reject(ctx, 'ERR_DUPLICATE_READING', `a power reading at ${when} is already recorded`, { at: when });
  return [{ type: 'PowerRecorded', data: { watts, at: when } }];
}

const commandTypes = allOf<DaemonCommand['type']>({ RegisterDaemon: true, SwitchPower: true, ConfirmPower: true, RecordPower: true, MarkOnline: true, MarkOffline: true });

function decide(command: DaemonCommand, state: DaemonState): DaemonEvent[] {
  const ctx = contextOf(command, commandTypes);
  if (command.type !== 'RegisterDaemon' && state.owner === null) reject(ctx, 'ERR_DAEMON_NOT_REGISTERED', 'the daemon has no owner yet; send RegisterDaemon first');
  switch (command.type) {
    case 'RegisterDaemon':
      return register(ctx, state);
    case 'SwitchPower':
      return [{ type: 'PowerSwitchRequested', data: { requestId: ctx.commandId, on: bool(ctx, 'on'), at: ctx.now } }];
    case 'ConfirmPower':
      return back(ctx, state, confirm(ctx, state));
    case 'RecordPower':
      return back(ctx, state, recordPower(ctx, state));
    case 'MarkOnline':
      return state.online === true ? [] : [{ type: 'DaemonWentOnline', data: { at: at(ctx) } }];
    case 'MarkOffline': {
      const reason = ctx.data.reason;
      if (reason !== undefined && typeof reason !== 'string') invalid(ctx, 'reason', `must be text (got ${show(reason)})`);
      return state.online === false ? [] : [{ type: 'DaemonWentOffline', data: { at: at(ctx), reason: (reason as string | undefined) ?? null } }];
    }
    default:
      return unknownCommand('daemon', command);
  }
}

function remember(times: string[], at: string): string[] {
  const next = [...times, at].sort((a, b) => ms(a) - ms(b));
  return next.length > READING_WINDOW ? next.slice(next.length - READING_WINDOW) : next;
}

function evolve(state: DaemonState, event: DaemonEvent): DaemonState {
  switch (event.type) {
    case 'DaemonRegistered':
      return { ...state, owner: event.data.owner };
    case 'PowerSwitchRequested':
      return { ...state, desired: { requestId: event.data.requestId, on: event.data.on, requestedAt: event.data.at, status: 'pending' } };
    case 'PowerConfirmed': {
      const desired = state.desired && event.data.requestId === state.desired.requestId ? { ...state.desired, status: 'confirmed' as const } : state.desired;
      return { ...state, on: event.data.on, confirmedAt: event.data.at, desired };
    }
    case 'PowerRecorded': {
      const { watts, at: when } = event.data;
      const lastPower = state.lastPower && isOlder(when, state.lastPower.at) ? state.lastPower : { watts, at: when };
      return { ...state, lastPower, recentReadingTimes: remember(state.recentReadingTimes, when) };
    }
    case 'DaemonWentOnline':
      return { ...state, online: true };
    case 'DaemonWentOffline':
      return { ...state, online: false };
    default:
      return ignoreUnknownEvent(state, event);
  }
}

export const daemonDecider: Decider<DaemonState, DaemonCommand, DaemonEvent> = {
  kind: 'daemon',
  version: '2',
  commandTypes,
  initialState,
  decide,
  evolve,
};
