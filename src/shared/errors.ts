/**
 * Every failure edgeplane reports, one class each, with a stable string `code`.
 * Domain and adapter code throw these; only the HTTP layer maps codes to statuses.
 */
export class EdgeplaneError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return Object.keys(this.details).length > 0
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export type ExpectedRevisionLabel = 'no_stream' | 'any' | 'stream_exists' | number;

export class WrongExpectedRevisionError extends EdgeplaneError {
  constructor(readonly stream: string, readonly expected: ExpectedRevisionLabel, readonly actual: number | 'no_stream', cause?: unknown) {
    super('ERR_WRONG_EXPECTED_REVISION', `stream ${stream}: expected revision ${expected}, but it is at ${actual}`, { stream, expected, actual }, cause);
  }
}

export class StreamNotFoundError extends EdgeplaneError {
  constructor(readonly stream: string, cause?: unknown) {
    super('ERR_STREAM_NOT_FOUND', `stream ${stream} does not exist`, { stream }, cause);
  }
}

/** The same event id was appended before, somewhere other than where this append puts it. */
export class DuplicateEventIdError extends EdgeplaneError {
  /** Where the id is stored, when the store knows (same stream only). */
  constructor(readonly eventId: string, readonly stream: string, readonly storedAt?: { stream: string; revision: number }) {
    super('ERR_DUPLICATE_EVENT_ID', `event id ${eventId} is already stored elsewhere (append to ${stream} refused)`, { eventId, stream, ...(storedAt ? { storedAt } : {}) });
  }
}

export class InvalidIdError extends EdgeplaneError {
  constructor(what: string, value: string, reason: string) {
    super('ERR_INVALID_ID', `invalid ${what} ${JSON.stringify(value)}: ${reason}`, { what, value });
  }
}

export class InvalidCommandError extends EdgeplaneError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ERR_INVALID_COMMAND', message, details);
  }
}

export class UnknownKindError extends EdgeplaneError {
  constructor(readonly kind: string, known: readonly string[]) {
    super('ERR_UNKNOWN_KIND', `unknown actor kind ${JSON.stringify(kind)} (known: ${known.join(', ') || 'none'})`, { kind, known });
  }
}

export class UnknownCommandError extends EdgeplaneError {
  constructor(readonly kind: string, readonly type: string) {
    super('ERR_UNKNOWN_COMMAND', `actor kind ${kind} has no command ${JSON.stringify(type)}`, { kind, type });
  }
}

export class PayloadTooLargeError extends EdgeplaneError {
  constructor(size: number, limit: number) {
    super('ERR_PAYLOAD_TOO_LARGE', `payload of ${size} bytes exceeds the limit of ${limit} bytes`, { size, limit });
  }
}

/** A decider threw something that is not a domain rejection: a bug, reported, never retried. */
export class DeciderFailedError extends EdgeplaneError {
  constructor(kind: string, type: string, cause: unknown) {
    super('ERR_DECIDER_FAILED', `decider for ${kind} failed on ${type}: ${cause instanceof Error ? cause.message : String(cause)}`, { kind, type }, cause);
  }
}

export class CommandTimeoutError extends EdgeplaneError {
  constructor(subject: string, ms: number) {
    super('ERR_COMMAND_TIMEOUT', `no reply to the command on ${subject} within ${ms} ms (it is stored in JetStream and will still be processed)`, { subject, ms });
  }
}

export class StoreClosedError extends EdgeplaneError {
  constructor() {
    super('ERR_STORE_CLOSED', 'the event store is closed');
  }
}

export class ConfigError extends EdgeplaneError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ERR_CONFIG', message, details);
  }
}

/**
 * A command the domain refused. Deciders throw subclasses (or this) with their own code,
 * e.g. `new DomainRejection('ERR_SENSOR_READ_ONLY', 'sensor t1 is read-only')`.
 */
export class DomainRejection extends EdgeplaneError {
  /** Marks a rejection by shape too, so deciders loaded from another copy of this module count. */
  readonly isDomainRejection = true;
}

export function isDomainRejection(e: unknown): e is EdgeplaneError {
  return e instanceof Error && (e as { isDomainRejection?: unknown }).isDomainRejection === true && typeof (e as { code?: unknown }).code === 'string';
}

export function isEdgeplaneError(e: unknown): e is EdgeplaneError {
  return e instanceof EdgeplaneError;
}

/** The wire form of any failure: `{code, message, details?}`. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export function toErrorBody(e: unknown): ErrorBody {
  if (isEdgeplaneError(e)) return e.toJSON();
  if (isDomainRejection(e)) return { code: e.code, message: e.message };
  return { code: 'ERR_INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/**
 * A write carried a fencing token older than one already seen for its key: the writer (a leader
 * or a partition holder) has been replaced and must stop. Never retried.
 */
export class FencedError extends EdgeplaneError {
  constructor(readonly key: string, readonly token: number, readonly current: number) {
    super('ERR_FENCED', `fenced: ${key} token ${token} is older than ${current}; this writer was replaced`, { key, token, current });
  }
}

/** A lease ran out (or was given up) while what it starts was still starting: the start stops. */
export class LeaseLostError extends EdgeplaneError {
  constructor(readonly key: string, readonly token: number) {
    super('ERR_LEASE_LOST', `the lease ${key} (token ${token}) is no longer held; its start was abandoned`, { key, token });
  }
}

/** A command reached a process that does not hold its actor's partition (it moved): send it again. */
export class NotPartitionOwnerError extends EdgeplaneError {
  constructor(readonly partition: number) {
    super('ERR_NOT_PARTITION_OWNER', `this process does not hold partition ${partition}; the command must go to its holder`, { partition });
  }
}

export class WrongPartitionError extends EdgeplaneError {
  constructor(readonly subject: string, readonly partition: number) {
    super('ERR_WRONG_PARTITION', `command subject ${subject} names the wrong partition: this actor is in partition ${partition}`, { subject, partition });
  }
}
