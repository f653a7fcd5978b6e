import { InvalidIdError } from '../shared/errors.js';
import { validateId, validateKind } from '../shared/ids.js';

/** Every subject and JetStream name edgeplane uses is built here and nowhere else. */
export const STREAM_COMMANDS = 'EP_CMD';
export const STREAM_EVENTS = 'EP_EVT';
export const CONSUMER_ACTOR_HOST = 'ep-actor-host';
export const KV_CHECKPOINTS = 'ep_checkpoints';

export const COMMANDS_FILTER = 'ep.cmd.>';
export const EVENTS_FILTER = 'ep.evt.>';

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
