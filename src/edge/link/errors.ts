import { EdgeplaneError } from '../../shared/errors.js';

/** The buffer's files say something that cannot be true (lost metadata, a segment out of order). */
export class BufferCorruptError extends EdgeplaneError {
  constructor(dir: string, reason: string, details: Record<string, unknown> = {}) {
    super('ERR_BUFFER_CORRUPT', `store-and-forward buffer ${dir} is corrupt: ${reason}`, { dir, ...details });
  }
}

/** Another live process (or another open instance in this one) already owns the buffer directory. */
export class BufferLockedError extends EdgeplaneError {
  constructor(dir: string, pid: number) {
    super('ERR_BUFFER_LOCKED', `store-and-forward buffer ${dir} is in use by process ${pid}`, { dir, pid });
  }
}

export class BufferClosedError extends EdgeplaneError {
  constructor(dir: string) {
    super('ERR_BUFFER_CLOSED', `store-and-forward buffer ${dir} is closed`, { dir });
  }
}

/** A write or fsync failed: the buffer refuses further appends until it is reopened (recovery). */
export class BufferWriteFailedError extends EdgeplaneError {
  constructor(dir: string, cause: unknown) {
    super('ERR_BUFFER_WRITE_FAILED', `store-and-forward buffer ${dir} could not write: ${(cause as Error)?.message ?? String(cause)}`, { dir }, cause);
  }
}

export class RecordTooLargeError extends EdgeplaneError {
  constructor(size: number, limit: number) {
    super('ERR_RECORD_TOO_LARGE', `a buffered command of ${size} bytes exceeds the limit of ${limit} bytes`, { size, limit });
  }
}

/** The first connection attempt loop was aborted (the worker is shutting down). */
export class ConnectAbortedError extends EdgeplaneError {
  constructor(servers: string | string[]) {
    super('ERR_CONNECT_ABORTED', `connecting to ${String(servers)} was aborted`, { servers });
  }
}

/** `drained()` gave up: readings are still on disk, undelivered (they stay there). */
export class NotDrainedError extends EdgeplaneError {
  constructor(pending: number, ms: number) {
    super('ERR_NOT_DRAINED', `${pending} buffered records still undelivered after ${ms} ms`, { pending, ms });
  }
}

export class ForwarderClosedError extends EdgeplaneError {
  constructor() {
    super('ERR_FORWARDER_CLOSED', 'the forwarder is closed (undelivered records stay on disk for the next run)');
  }
}
