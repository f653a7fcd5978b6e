import { EdgeplaneError } from '../../shared/errors.js';

/**
 * I2C failures, one class each. Drivers translate what `i2c-bus` (or the simulated bus) throws
 * into these at the call site and keep the original as `cause`.
 */
const hex = (address: number): string => `0x${address.toString(16).padStart(2, '0')}`;

/** No device acknowledged: nothing at that address, or it is busy/unpowered (EREMOTEIO / ENXIO). */
export class I2cNackError extends EdgeplaneError {
  constructor(readonly address: number, operation: string, register?: number, cause?: unknown) {
    super('ERR_I2C_NACK', `no acknowledge from the I2C device at ${hex(address)} (${describe(operation, register)})`, details(address, operation, register), cause);
  }
}

/** Any other failure of a transfer (EIO, ETIMEDOUT, a closed bus…). */
export class I2cIoError extends EdgeplaneError {
  constructor(readonly address: number, operation: string, register: number | undefined, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('ERR_I2C_IO', `I2C transfer to ${hex(address)} failed (${describe(operation, register)}): ${reason}`, details(address, operation, register), cause);
  }
}

/** /dev/i2c-N is missing or not accessible. */
export class I2cBusUnavailableError extends EdgeplaneError {
  constructor(readonly busNumber: number, reason: string, cause?: unknown) {
    super('ERR_I2C_BUS_UNAVAILABLE', `I2C bus ${busNumber} is not available: ${reason}`, { busNumber, path: `/dev/i2c-${busNumber}` }, cause);
  }
}

/** The native `i2c-bus` module could not be loaded (not installed, or not built for this Node). */
export class I2cModuleUnavailableError extends EdgeplaneError {
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('ERR_I2C_MODULE_UNAVAILABLE', `the i2c-bus module could not be loaded: ${reason}`, {}, cause);
  }
}

/** Something answers at the address, but it is not the chip the driver is for. */
export class I2cUnexpectedDeviceError extends EdgeplaneError {
  constructor(readonly address: number, driver: string, found: string) {
    super('ERR_I2C_UNEXPECTED_DEVICE', `the device at ${hex(address)} is not a ${driver}: ${found}`, { address, driver, found });
  }
}

/** The chip did not finish a conversion in time, or holds no measurement yet. */
export class I2cNotReadyError extends EdgeplaneError {
  constructor(readonly address: number, driver: string, what: string) {
    super('ERR_I2C_NOT_READY', `${driver} at ${hex(address)}: ${what}`, { address, driver });
  }
}

/** Bad driver options; thrown when the driver is created, never later. */
export class I2cDriverConfigError extends EdgeplaneError {
  constructor(driver: string, message: string, details: Record<string, unknown> = {}) {
    super('ERR_I2C_DRIVER_CONFIG', `${driver}: ${message}`, { driver, ...details });
  }
}

/** A write to a channel that does not exist or is not an actuator, or a value it cannot take. */
export class I2cInvalidWriteError extends EdgeplaneError {
  constructor(driver: string, channel: string, reason: string) {
    super('ERR_I2C_INVALID_WRITE', `${driver}: cannot write ${JSON.stringify(channel)}: ${reason}`, { driver, channel });
  }
}

/** The bus itself failed while scanning (not a missing device: those are simply absent). */
export class I2cScanError extends EdgeplaneError {
  constructor(cause: unknown) {
    super('ERR_I2C_SCAN', `scanning the I2C bus failed: ${cause instanceof Error ? cause.message : String(cause)}`, {}, cause);
  }
}

export class I2cDriverClosedError extends EdgeplaneError {
  constructor(driver: string, address: number) {
    super('ERR_I2C_DRIVER_CLOSED', `${driver} at ${hex(address)} is closed`, { driver, address });
  }
}

/**
 * A NACK as Linux reports it: SMBus ioctls fail with errno 121 (EREMOTEIO; Node's errno table
 * has no name for it, so i2c-bus errors carry `code: ''` and `errno: 121`), plain read()/write()
 * go through libuv (`code: 'EREMOTEIO'`, `errno: -121`), and some adapters (i2c-i801) say ENXIO.
 */
export function isNack(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { errno, code } = e as { errno?: unknown; code?: unknown };
  return errno === 121 || errno === -121 || errno === 6 || errno === -6 || code === 'EREMOTEIO' || code === 'ENXIO';
}

export function toI2cError(e: unknown, address: number, operation: string, register?: number): EdgeplaneError {
  if (e instanceof EdgeplaneError) return e;
  return isNack(e) ? new I2cNackError(address, operation, register, e) : new I2cIoError(address, operation, register, e);
}

export function isI2cTransferError(e: unknown): boolean {
  return e instanceof I2cNackError || e instanceof I2cIoError;
}

function describe(operation: string, register: number | undefined): string {
  return register === undefined ? operation : `${operation} register ${hex(register)}`;
}

function details(address: number, operation: string, register: number | undefined): Record<string, unknown> {
  return register === undefined ? { address, operation } : { address, operation, register };
}

export { hex as formatI2cAddress };
