import { InvalidCommandError } from '../../shared/errors.js';
import { validateId } from '../../shared/ids.js';
import type { ChannelValue } from '../driver.js';
import type { EdgeCommand } from './diskBuffer.js';

/**
 * What the control plane asks of a board (bodies published by src/processes/actuations.process.ts
 * on `ep.edge.<boardKind>.<boardId>.<action>`), parsed from untrusted JSON.
 */
export interface SetActuation {
  action: 'set';
  sensor: string;
  requestId: string;
  value: ChannelValue;
  requestedAt: string;
  expiresAt: string;
}

export interface PowerActuation {
  action: 'power';
  daemon: string;
  requestId: string;
  on: boolean;
  requestedAt: string;
  expiresAt: string;
}

export interface OtaAttempt {
  action: 'ota';
  gateway: string;
  localId: string;
  commit: string;
  attempt: number;
  timeoutMs: number;
  deadline: string;
}

export type Actuation = SetActuation | PowerActuation | OtaAttempt;

const str = (o: Record<string, unknown>, k: string): string => {
  if (typeof o[k] !== 'string' || (o[k] as string).length === 0) throw new InvalidCommandError(`actuation field ${k} must be a non-empty string`, { field: k });
  return o[k] as string;
};
const time = (o: Record<string, unknown>, k: string): string => {
  const v = str(o, k);
  if (Number.isNaN(Date.parse(v))) throw new InvalidCommandError(`actuation field ${k} must be a time`, { field: k, value: v });
  return v;
};

export function parseActuation(action: string, body: unknown): Actuation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidCommandError('an actuation must be a JSON object');
  const o = body as Record<string, unknown>;
  switch (action) {
    case 'set': {
      const v = o.value;
      if (!(typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) throw new InvalidCommandError('actuation value must be a number, boolean or string', { field: 'value' });
      return { action, sensor: validateId(o.sensor, 'sensor id'), requestId: str(o, 'requestId'), value: v, requestedAt: time(o, 'requestedAt'), expiresAt: time(o, 'expiresAt') };
    }
    case 'power':
      if (typeof o.on !== 'boolean') throw new InvalidCommandError('actuation field on must be true or false', { field: 'on' });
      return { action, daemon: validateId(o.daemon, 'daemon id'), requestId: str(o, 'requestId'), on: o.on, requestedAt: time(o, 'requestedAt'), expiresAt: time(o, 'expiresAt') };
    case 'ota':
      if (!Number.isInteger(o.attempt) || !Number.isInteger(o.timeoutMs)) throw new InvalidCommandError('OTA attempt and timeoutMs must be integers');
      return { action, gateway: validateId(o.gateway, 'gateway id'), localId: validateId(o.localId, 'device id'), commit: str(o, 'commit'), attempt: o.attempt as number, timeoutMs: o.timeoutMs as number, deadline: time(o, 'deadline') };
    default:
      throw new InvalidCommandError(`unknown actuation ${JSON.stringify(action)}`);
  }
}

/** When the actuation stops being worth applying: a stale "light on" is never applied late. */
export function expiryOf(a: Actuation): string {
  return a.action === 'ota' ? a.deadline : a.expiresAt;
}

export function dedupeKey(a: Actuation): string {
  return a.action === 'ota' ? `ota/${a.gateway}/${a.localId}/${a.commit}/${a.attempt}` : `${a.action}/${a.requestId}`;
}

/** The command that tells the actor what the hardware now really does. */
export function confirmation(a: SetActuation | PowerActuation, readBack: ChannelValue, at: string): EdgeCommand {
  if (a.action === 'set') return { kind: 'sensor', id: a.sensor, type: 'ReportValue', data: { value: readBack, at } };
  if (typeof readBack !== 'boolean') throw new InvalidCommandError(`a plug's read-back must be true or false (got ${JSON.stringify(readBack)})`);
  return { kind: 'daemon', id: a.daemon, type: 'ConfirmPower', data: { on: readBack, at } };
}

export function otaReport(a: OtaAttempt, outcome: { percent: number } | { done: true } | { error: string }, at: string): EdgeCommand {
  const base = { localId: a.localId, attempt: a.attempt, at };
  if ('percent' in outcome) return { kind: 'gateway', id: a.gateway, type: 'ReportUpdateProgress', data: { ...base, percent: outcome.percent } };
  if ('done' in outcome) return { kind: 'gateway', id: a.gateway, type: 'CompleteUpdate', data: base };
  return { kind: 'gateway', id: a.gateway, type: 'FailUpdateAttempt', data: { ...base, error: outcome.error.slice(0, 512) } };
}
