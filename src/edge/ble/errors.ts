import { EdgeplaneError } from '../../shared/errors.js';

/**
 * Failures of the BLE port, the GATT driver and the OTA transfer, one class each with a stable
 * code. Vendor errors (noble's) are kept as `cause`.
 */

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** No usable Bluetooth: `@abandonware/noble` failed to load (no adapter, EAFNOSUPPORT…) or its state is not poweredOn. */
export class BleUnavailableError extends EdgeplaneError {
  constructor(reason: string, cause?: unknown) {
    super('ERR_BLE_UNAVAILABLE', `Bluetooth LE is not available on this machine: ${reason}`, { reason }, cause);
  }
}

/** A GATT operation got no answer in time; noble itself never times out, so every call is bounded here. */
export class BleTimeoutError extends EdgeplaneError {
  constructor(readonly op: string, readonly timeoutMs: number, details: Record<string, unknown> = {}) {
    super('ERR_BLE_TIMEOUT', `BLE ${op} got no answer within ${timeoutMs} ms`, { op, timeoutMs, ...details });
  }
}

export class BleDeviceNotFoundError extends EdgeplaneError {
  constructor(readonly filter: Record<string, unknown>, readonly timeoutMs: number) {
    super('ERR_BLE_DEVICE_NOT_FOUND', `no BLE device matching ${JSON.stringify(filter)} was seen within ${timeoutMs} ms`, { ...filter, timeoutMs });
  }
}

export class BleConnectError extends EdgeplaneError {
  constructor(readonly device: string, cause: unknown) {
    super('ERR_BLE_CONNECT', `cannot connect to BLE device ${device}: ${messageOf(cause)}`, { device }, cause);
  }
}

/** The device lacks a characteristic the options name, or it lacks the property its role needs. */
export class BleCharacteristicError extends EdgeplaneError {
  constructor(readonly device: string, readonly uuid: string, reason: string) {
    super('ERR_BLE_CHARACTERISTIC', `BLE device ${device}, characteristic ${uuid}: ${reason}`, { device, uuid, reason });
  }
}

export class BleDisconnectedError extends EdgeplaneError {
  constructor(readonly device: string, reason?: unknown) {
    super('ERR_BLE_DISCONNECTED', `BLE device ${device} disconnected${reason === undefined ? '' : ` (reason ${String(reason)})`}`, { device });
  }
}

/** A GATT driver's options are wrong: reported when the driver is made, never at the first read. */
export class BleDriverConfigError extends EdgeplaneError {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super('ERR_BLE_DRIVER_CONFIG', `gatt driver options: ${reason}`, { reason, ...details });
  }
}

export class UnknownBleDriverError extends EdgeplaneError {
  constructor(readonly driver: string, known: readonly string[]) {
    super('ERR_UNKNOWN_BLE_DRIVER', `unknown BLE driver ${JSON.stringify(driver)} (known: ${known.join(', ')})`, { driver, known });
  }
}

export { ChannelNotWritableError, UnknownChannelError } from '../driverErrors.js';


/** Bytes from the device do not decode in the channel's format (too short, not a number). */
export class BleValueError extends EdgeplaneError {
  constructor(readonly channel: string, reason: string) {
    super('ERR_BLE_VALUE', `channel ${channel}: ${reason}`, { channel, reason });
  }
}
