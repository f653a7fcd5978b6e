import type { Fence, RecordedEvent } from '../eventstore/eventStore.js';
import { InvalidCommandError, PayloadTooLargeError, type ErrorBody } from '../shared/errors.js';
import { validateId } from '../shared/ids.js';
import { validateTypeName } from '../transport/subjects.js';

/**
 * A command on the wire (the body of `ep.cmd.<kind>.<id>`): one object, or an array of them for
 * the same actor, which the actor decides one after another and stores in one append.
 */
export interface CommandRequest {
  id: string;
  type: string;
  data: Record<string, unknown>;
  /** Refuse with ERR_WRONG_EXPECTED_REVISION unless the actor is at this revision (-1: no events yet). */
  expectedRevision?: number;
  correlationId?: string;
  causationId?: string;
  /** Fencing tokens of the singleton that sent it (e.g. `{key: 'leader', token}`); refused once stale. */
  fences?: Fence[];
}

/**
 * An actor's answer. `retryable` marks a failure of the infrastructure (the store could not be
 * written), not of the command: such a command must be delivered again, never acknowledged.
 */
export type CommandResult =
  | { ok: true; commandId: string; revision: number; position: number; events: RecordedEvent[]; duplicate?: boolean }
  | { ok: false; commandId?: string; error: ErrorBody; retryable?: true };

export const DEFAULT_MAX_COMMAND_BYTES = 256 * 1024;
export const MAX_BATCH = 1000;

const decoder = new TextDecoder();

export function parseCommandMessage(bytes: Uint8Array, maxBytes = DEFAULT_MAX_COMMAND_BYTES): { commands: CommandRequest[]; batch: boolean } {
  if (bytes.length > maxBytes) throw new PayloadTooLargeError(bytes.length, maxBytes);
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new InvalidCommandError(`command body is not JSON: ${(e as Error).message}`);
  }
  if (Array.isArray(body)) {
    if (body.length === 0) throw new InvalidCommandError('a command batch must not be empty');
    if (body.length > MAX_BATCH) throw new InvalidCommandError(`a command batch holds at most ${MAX_BATCH} commands (got ${body.length})`);
    return { commands: body.map((c, i) => validateCommand(c, i)), batch: true };
  }
  return { commands: [validateCommand(body)], batch: false };
}

export function validateCommand(c: unknown, index?: number): CommandRequest {
  const where = index === undefined ? 'command' : `command [${index}]`;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new InvalidCommandError(`${where} must be a JSON object {id, type, data}`);
  const o = c as Record<string, unknown>;
  const id = validateId(o.id, `${where} id`);
  const type = validateTypeName(o.type, `${where} type`);
  const data = o.data ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new InvalidCommandError(`${where} data must be a JSON object`, { id, type });
  const out: CommandRequest = { id, type, data: data as Record<string, unknown> };
  if (o.expectedRevision !== undefined) {
    if (!Number.isInteger(o.expectedRevision) || (o.expectedRevision as number) < -1) {
      throw new InvalidCommandError(`${where} expectedRevision must be an integer ≥ -1`, { id });
    }
    out.expectedRevision = o.expectedRevision as number;
  }
  if (o.correlationId !== undefined) out.correlationId = validateId(o.correlationId, `${where} correlationId`);
  if (o.causationId !== undefined) out.causationId = validateId(o.causationId, `${where} causationId`);
  if (o.fences !== undefined) out.fences = validateFences(o.fences, where);
  return out;
}

const FENCE_KEY = /^[a-z][a-z0-9.]{0,63}$/;

function validateFences(fences: unknown, where: string): Fence[] {
  if (!Array.isArray(fences) || fences.length > 4) throw new InvalidCommandError(`${where} fences must be an array of at most 4 {key, token}`);
  return fences.map((f: unknown) => {
    const { key, token } = (f ?? {}) as { key?: unknown; token?: unknown };
    if (typeof key !== 'string' || !FENCE_KEY.test(key) || !Number.isSafeInteger(token) || (token as number) < 0) {
      throw new InvalidCommandError(`${where} fence must be {key: lower-case name, token: integer ≥ 0}`, { fence: f });
    }
    return { key, token: token as number };
  });
}
