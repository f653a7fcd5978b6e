import { InvalidIdError } from '../shared/errors.js';
import { validateId, validateKind } from '../shared/ids.js';

/** Every subject and JetStream name edgeplane uses is built here and nowhere else. */
export const STREAM_COMMANDS = 'EP_CMD';
export const STREAM_EVENTS = 'EP_EVT';
export const STREAM_EDGE = 'EP_EDGE';
export const STREAM_SYNC = 'EP_SYNC';
export const CONSUMER_ACTOR_HOST = 'ep-actor-host';
export const KV_CHECKPOINTS = 'ep_checkpoints';

export const COMMANDS_FILTER = 'ep.cmd.>';
export const EVENTS_FILTER = 'ep.evt.>';
export const EDGE_FILTER = 'ep.edge.>';
export const SYNC_FILTER = 'ep.sync.>';

/**
 * What a board must do, on `ep.edge.<boardKind>.<boardId>.<action>`: `set` (an actuator value,
 * with an expiry), `power` (a smart plug), `ota` (a firmware update attempt). A board subscribes
 * to `ep.edge.<its kind>.<its id>.>` and may be permitted nothing else.
 */
export function edgeSubject(boardKind: string, boardId: string, action: 'set' | 'power' | 'ota'): string {
  return `ep.edge.${validateKind(boardKind)}.${validateId(boardId)}.${action}`;
}

/** A Spark master block's broadcast, under its routing key `<service>.<blockId>`. */
export function syncSubject(key: string): string {
  const dot = key.indexOf('.');
  return `ep.sync.${validateId(key.slice(0, dot), 'block service')}.${validateId(key.slice(dot + 1), 'block id')}`;
}

const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

export function validateTypeName(type: unknown, what = 'type'): string {
  if (typeof type !== 'string' || type.length > 64 || !TYPE_PATTERN.test(type)) {
    throw new InvalidIdError(what, String(type), 'must be letters, digits and _ starting with a letter (at most 64)');
  }
  return type;
}

export function commandSubject(kind: string, id: string): string {
  return `ep.cmd.${validateKind(kind)}.${validateId(id)}`;
}

/** `ep.cmd.<kind>.<id>` → kind and id, or undefined when the subject is not of that shape. */
export function parseCommandSubject(subject: string): { kind: string; id: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 4 || parts[0] !== 'ep' || parts[1] !== 'cmd') return undefined;
  return { kind: parts[2]!, id: parts[3]! };
}

export function eventSubject(kind: string, id: string, type: string): string {
  return `ep.evt.${kind}.${id}.${type}`;
}

/** Headers edgeplane puts on its messages. */
export const HEADER = {
  msgId: 'Nats-Msg-Id',
  expectedLastMsgId: 'Nats-Expected-Last-Msg-Id',
  reply: 'Ep-Reply',
  position: 'Ep-Position',
} as const;
