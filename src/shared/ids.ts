import * as crypto from 'node:crypto';
import { InvalidIdError } from './errors.js';

/**
 * Ids become NATS subject tokens and stream names, so they are restricted to characters that
 * can never split or wildcard a subject: letters, digits, `_`, `-`, `:`, `@` (no `.`, space, `*`,
 * `>`, `/`). Block ids use `<service>.<blockId>` at the API; the domain maps them before here.
 */
const ID_PATTERN = /^[A-Za-z0-9_\-:@]+$/;
const KIND_PATTERN = /^[a-z][a-z0-9_]*$/;
export const MAX_ID_LENGTH = 128;

export function validateId(id: unknown, what = 'actor id'): string {
  if (typeof id !== 'string') throw new InvalidIdError(what, String(id), 'must be a string');
  if (id.length === 0) throw new InvalidIdError(what, id, 'must not be empty');
  if (id.length > MAX_ID_LENGTH) throw new InvalidIdError(what, id, `longer than ${MAX_ID_LENGTH} characters`);
  if (!ID_PATTERN.test(id)) {
    throw new InvalidIdError(what, id, 'only letters, digits and _ - : @ are allowed (no dots, spaces, *, >, /)');
  }
  return id;
}

export function validateKind(kind: unknown): string {
  if (typeof kind !== 'string' || !KIND_PATTERN.test(kind) || kind.length > 32) {
    throw new InvalidIdError('actor kind', String(kind), 'must be lower-case letters, digits and _ starting with a letter');
  }
  return kind;
}

export interface ActorAddress {
  kind: string;
  id: string;
}

/** Parses and validates `kind/id`. */
export function parseAddress(address: string): ActorAddress {
  const slash = address.indexOf('/');
  if (slash <= 0) throw new InvalidIdError('actor address', address, 'expected <kind>/<id>');
  return { kind: validateKind(address.slice(0, slash)), id: validateId(address.slice(slash + 1)) };
}

export function streamName(kind: string, id: string): string {
  return `${kind}-${id}`;
}

/** The inverse of streamName: kinds never contain `-`, so the first `-` splits. */
export function addressOfStream(stream: string): ActorAddress | undefined {
  const dash = stream.indexOf('-');
  if (dash <= 0) return undefined;
  return { kind: stream.slice(0, dash), id: stream.slice(dash + 1) };
}

export function newId(): string {
  return crypto.randomUUID();
}

const EVENT_ID_NAMESPACE = Buffer.from('6f1c2b1e9d3a4c58a1f0e3b7c2d4a5e6', 'hex');
const SCRATCH = Buffer.alloc(1024);
EVENT_ID_NAMESPACE.copy(SCRATCH, 0);
/** `crypto.hash` (one call, no Hash object) where this Node has it (20.12 and later). */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: Buffer, encoding: 'buffer') => Buffer }).hash;

/**
 * A UUID (version 5, RFC 9562) derived from the actor, the command id and the event's index
 * in the command's output: deciding the same command again yields the same event ids, so a
 * redelivered command can never be stored twice.
 */
export function deriveEventId(kind: string, id: string, commandId: string, index: number): string {
  const name = `${kind}/${id}\u0000${commandId}\u0000${index}`;
  // Namespace and name in one scratch buffer, hashed in one call: it runs for every event decided.
  const hash =
    oneShotHash && name.length * 3 <= SCRATCH.length - EVENT_ID_NAMESPACE.length
      ? oneShotHash('sha1', SCRATCH.subarray(0, EVENT_ID_NAMESPACE.length + SCRATCH.write(name, EVENT_ID_NAMESPACE.length, 'utf8')), 'buffer')
      : crypto.createHash('sha1').update(EVENT_ID_NAMESPACE).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const h = hash.toString('hex', 0, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
