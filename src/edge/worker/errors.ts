import { EdgeplaneError } from '../../shared/errors.js';

/**
 * Failures of the edge worker itself (the buses, drivers and link have their own). Each names
 * what is wrong so a board's operator can fix hardware.json without reading code.
 */

/** hardware.json is unreadable or wrong; `field` is the path of the bad value (`devices[2].address`). */
export class HardwareConfigError extends EdgeplaneError {
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly file?: string,
  ) {
    super('ERR_HARDWARE_CONFIG', `${file ? `${file}: ` : ''}${field ? `${field}: ` : ''}${reason}`, { field, ...(file ? { file } : {}) });
  }
}

/** An actuation names a sensor actor this board does not drive (a stale request, or a wrong parent). */
export class UnknownActuatorError extends EdgeplaneError {
  constructor(readonly sensor: string, board: string) {
    super('ERR_UNKNOWN_ACTUATOR', `board ${board} drives no actuator channel named sensor/${sensor}`, { sensor, board });
  }
}

/** The device is configured but its bus or driver could not be opened yet (retried in the background). */
export class DeviceNotReadyError extends EdgeplaneError {
  constructor(readonly device: string, reason: string) {
    super('ERR_DEVICE_NOT_READY', `device ${device} is not open yet: ${reason}`, { device });
  }
}

/** A firmware update attempt could not be run or did not succeed; the message is what the gateway actor records. */
export class OtaAttemptError extends EdgeplaneError {
  constructor(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super('ERR_OTA_ATTEMPT', message, details, cause);
  }
}
