import { EdgeplaneError } from '../../../shared/errors.js';

/**
 * Why a firmware transfer failed, one class per cause, each naming where it stopped. The sender
 * never throws these: it returns them in a failed `OtaResult`, whose `error.message` becomes the
 * gateway's `FailUpdateAttempt.error`.
 */
export class OtaError extends EdgeplaneError {
  readonly isOtaError = true;
}

/** The device never answered START with READY. */
export class OtaStartTimeoutError extends OtaError {
  constructor(tries: number, timeoutMs: number) {
    super('ERR_OTA_START_TIMEOUT', `the device did not answer START (${tries} tries, ${timeoutMs} ms each)`, { tries, timeoutMs });
  }
}

export class OtaChunkTimeoutError extends OtaError {
  constructor(seq: number, offset: number, retries: number, timeoutMs: number) {
    super('ERR_OTA_CHUNK_TIMEOUT', `chunk ${seq} (offset ${offset}) timed out after ${retries} retries (${timeoutMs} ms each)`, { seq, offset, retries, timeoutMs });
  }
}

/** The device kept refusing a chunk (NAK), e.g. its CRC never matched. */
export class OtaChunkRejectedError extends OtaError {
  constructor(seq: number, offset: number, retries: number, reason: string) {
    super('ERR_OTA_CHUNK_REJECTED', `chunk ${seq} (offset ${offset}) was refused after ${retries} retries: ${reason}`, { seq, offset, retries, reason });
  }
}

export class OtaVerifyTimeoutError extends OtaError {
  constructor(tries: number, timeoutMs: number) {
    super('ERR_OTA_VERIFY_TIMEOUT', `the device did not answer VERIFY (${tries} tries, ${timeoutMs} ms each)`, { tries, timeoutMs });
  }
}

/** All bytes arrived, but the image the device holds is not the one sent. */
export class OtaCrcMismatchError extends OtaError {
  constructor(expected: number, actual: number) {
    super('ERR_OTA_CRC_MISMATCH', `CRC mismatch: the device computed ${hex(actual)} over the image, expected ${hex(expected)}`, { expected, actual });
  }
}

/** The device refused the update at START or VERIFY for a reason other than the image CRC. */
export class OtaRefusedError extends OtaError {
  constructor(reason: string, detail: number) {
    super('ERR_OTA_REFUSED', `the device refused the update: ${reason}`, { reason, detail });
  }
}

export class OtaDisconnectedError extends OtaError {
  constructor(offset: number, attempts: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('ERR_OTA_DISCONNECTED', `disconnected at offset ${offset} and could not reconnect (${attempts} attempts; last: ${why})`, { offset, attempts }, cause);
  }
}

export class OtaDeadlineError extends OtaError {
  constructor(deadlineMs: number, offset: number, size: number, while_: string) {
    super('ERR_OTA_DEADLINE', `the update's deadline (${new Date(deadlineMs).toISOString()}) passed at offset ${offset} of ${size} while ${while_}`, { deadline: deadlineMs, offset, size });
  }
}

/** The device answered something the protocol does not allow (bad frame, offset out of range). */
export class OtaProtocolError extends OtaError {
  constructor(reason: string) {
    super('ERR_OTA_PROTOCOL', `OTA protocol error: ${reason}`, { reason });
  }
}

export class OtaAbortedError extends OtaError {
  constructor(offset: number) {
    super('ERR_OTA_ABORTED', `the update was aborted at offset ${offset}`, { offset });
  }
}

/** Bad sender options (image too large for the protocol, chunk size out of range…). */
export class OtaConfigError extends OtaError {
  constructor(reason: string) {
    super('ERR_OTA_CONFIG', `OTA options: ${reason}`, { reason });
  }
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
