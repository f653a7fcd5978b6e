import type { Logger } from '../../shared/logger.js';
import type { DeviceDriver } from '../driver.js';
import type { BleCentral } from './ble.js';
import { GATT_DRIVER, GattDriver } from './ble.driver.js';
import { UnknownBleDriverError } from './errors.js';
import type { SimPeripheral } from './simulatedPeripheral.js';
import { simulatedGattPeripheral, type SimulatedGattPeripheralOptions } from './simulatedValues.js';

/**
 * BLE for edge workers: the noble-shaped port and the real central (`openNoble`), a simulated
 * central and peripherals, the generic GATT driver, dependent-device scans, and OTA firmware
 * transfer (protocol, sender, simulated device).
 */
export {
  normalizeUuid,
  openNoble,
  waitForPoweredOn,
  withTimeout,
  type BleAdvertisement,
  type BleCentral,
  type BleCharacteristic,
  type BlePeripheral,
  type BleService,
  type BleState,
  type GattProperty,
  type OpenNobleOptions,
} from './ble.js';
export { GATT_DRIVER, GattDriver, openGattDriver, scanDependents, type FoundDependent, type ScanDependentsOptions } from './ble.driver.js';
export { parseGattOptions, type GattCharacteristicOptions, type GattDriverOptions } from './ble.options.js';
export * from './errors.js';
export { GATT_FORMATS, gattCodec, type GattCodec, type GattFormat } from './gattFormat.js';
export { GattLink, openGattLink, type OpenGattLinkOptions } from './gattLink.js';
export { findPeripheral, type PeripheralFilter } from './scan.js';
export { SimulatedCentral, type SimulatedCentralOptions } from './simulatedBle.js';
export { SimCharacteristic, SimPeripheral, type SimCharacteristicSpec, type SimPeripheralSpec, type SimServiceSpec } from './simulatedPeripheral.js';
export { simulatedGattPeripheral, valueSource, type SimulatedGattPeripheralOptions, type SimulatedValueOptions } from './simulatedValues.js';

export { crc32 } from './ota/crc32.js';
export * from './ota/errors.js';
export { attemptDeadline, progressCommand, resultCommand, runOtaAttempt, type OtaAttemptCommand, type OtaAttemptRequest, type RunOtaAttemptOptions } from './ota/otaAttempt.js';
export { OtaDeviceSim, createOtaPeripheral, type OtaDeviceStats, type OtaFaults, type OtaFlash, type OtaPeripheralOptions } from './ota/otaDevice.sim.js';
export { gattOtaConnector, type GattOtaConnectorOptions, type OtaConnect, type OtaLink } from './ota/otaLink.js';
export { sendFirmware, type OtaProgress, type OtaResult, type OtaSendOptions, type OtaStats } from './ota/otaSender.js';
export { OTA_CONTROL_UUID, OTA_DATA_UUID, OTA_PROTOCOL_VERSION, OTA_SERVICE_UUID } from './ota/protocol.js';

export type BleDriverFactory = (central: BleCentral, options: unknown, deps?: { logger?: Logger }) => DeviceDriver;

/** Driver name (a hardware.json BLE device's `driver`) → factory. Bad options throw `BleDriverConfigError` at once. */
export const bleDrivers: Readonly<Record<string, BleDriverFactory>> = {
  [GATT_DRIVER]: (central, options, deps) => new GattDriver(central, options, deps),
};

/**
 * The simulated device for each driver, for a `--simulate` run: built from the same options, added
 * to a `SimulatedCentral` that the driver is then given instead of `openNoble()`'s central.
 */
export const bleSimulators: Readonly<Record<string, (options: unknown, opts?: SimulatedGattPeripheralOptions) => SimPeripheral>> = {
  [GATT_DRIVER]: (options, opts) => simulatedGattPeripheral(options, opts),
};

export function openBleDriver(name: string, central: BleCentral, options: unknown, deps?: { logger?: Logger }): DeviceDriver {
  const factory = Object.hasOwn(bleDrivers, name) ? bleDrivers[name] : undefined;
  if (!factory) throw new UnknownBleDriverError(name, Object.keys(bleDrivers));
  return factory(central, options, deps);
}
