import type { Logger } from '../../shared/logger.js';
import { bleDrivers, type BleCentral } from '../ble/index.js';
import type { DeviceDriver } from '../driver.js';
import { i2cDrivers, type I2cBus, type I2cDriverName } from '../i2c/index.js';
import type { DeviceConfig } from './configDevices.js';

/**
 * What the worker needs from a board's hardware, real (realHardware.ts: i2c-bus, serialport,
 * noble) or simulated (simulatedHardware.ts: register- and protocol-level chips behind the same
 * ports). The worker above this line runs the same either way.
 */
export interface OpenedDriver {
  driver: DeviceDriver;
  /** Closes the driver and lets go of what it used (a shared serial port is closed by its last user). */
  close(): Promise<void>;
}

export interface BoardHardware {
  readonly simulated: boolean;
  /** Opens a device's driver; a failure of the bus (not of the options) is retried by the caller. */
  open(device: DeviceConfig, logger: Logger): Promise<OpenedDriver>;
  /** The I2C bus, opened at its first transfer (a reactor scans it). */
  i2cBus(busNumber: number): I2cBus;
  /** The BLE central (rejects ERR_BLE_UNAVAILABLE without Bluetooth; tried again at the next call). */
  central(): Promise<BleCentral>;
  /** A firmware image to send to a dependent device. */
  firmware(commit: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** A value cached until it fails, so the next caller tries again (a bus that appears later). */
export function retryingOnce<T>(make: () => Promise<T>): { get(): Promise<T>; peek(): Promise<T> | undefined } {
  let current: Promise<T> | undefined;
  return {
    get() {
      current ??= make().catch((e: unknown) => {
        current = undefined;
        throw e;
      });
      return current;
    },
    peek: () => current,
  };
}

/** An I2C device's driver on its bus, real or simulated alike. */
export function openI2cDriver(bus: I2cBus, device: DeviceConfig, logger: Logger): OpenedDriver {
  const driver = i2cDrivers[device.driver as I2cDriverName](bus, device.i2cAddress!, { ...device.options, logger });
  return { driver, close: () => driver.close() };
}

/** A BLE device's driver through the central, real or simulated alike. */
export function openBleDriver(central: BleCentral, device: DeviceConfig, logger: Logger): OpenedDriver {
  const driver = bleDrivers[device.driver]!(central, device.options, { logger });
  return { driver, close: () => driver.close() };
}
