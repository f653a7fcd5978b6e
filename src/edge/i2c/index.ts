/**
 * I2C for edge workers: the bus port (real: `i2c-bus`, loaded lazily; simulated: register-level
 * chips), datasheet drivers implementing `DeviceDriver`, their simulated chips, and a bus scan.
 */
import type { DeviceDriver } from '../driver.js';
import { createAds1115Driver } from './ads1115.driver.js';
import { createAds1115Sim } from './ads1115.sim.js';
import { createBme280Driver } from './bme280.driver.js';
import { createBme280Sim } from './bme280.sim.js';
import type { I2cBus } from './i2cBus.js';
import { createMcp23017Driver } from './mcp23017.driver.js';
import { createMcp23017Sim } from './mcp23017.sim.js';
import { createPca9685Driver } from './pca9685.driver.js';
import { createPca9685Sim } from './pca9685.sim.js';
import type { I2cDriverName } from './scan.js';
import type { SimulatedI2cChip } from './simulatedChip.js';
import { createTmp102Driver } from './tmp102.driver.js';
import { createTmp102Sim } from './tmp102.sim.js';

export { openI2cBus, type I2cBus, type OpenI2cBusOptions } from './i2cBus.js';
export { createSimulatedI2cBus, type NackFault, type SimulatedI2cBus } from './simulatedI2cBus.js';
export { ChipNack, type Clock, type SimulatedI2cChip } from './simulatedChip.js';
export { createI2cDevice, swap16, type I2cDevice } from './i2cDevice.js';
export * from './errors.js';
export { sampleValue, sineWave, squareWave, type ValueSource } from './valueSource.js';
export { scanI2cBus, type I2cDriverName, type I2cScanResult } from './scan.js';

export { createTmp102Driver, decodeTmp102Temperature, type Tmp102Options } from './tmp102.driver.js';
export { createBme280Driver, type Bme280Options } from './bme280.driver.js';
export { createAds1115Driver, type Ads1115FullScale, type Ads1115Input, type Ads1115Mux, type Ads1115Options } from './ads1115.driver.js';
export { createPca9685Driver, pca9685Prescale, type Pca9685Options } from './pca9685.driver.js';
export { createMcp23017Driver, type Mcp23017Options, type Mcp23017PinConfig } from './mcp23017.driver.js';
export type { Mcp23017Pin } from './mcp23017.pins.js';

export { createTmp102Sim, type Tmp102Sim } from './tmp102.sim.js';
export { BME280_EXAMPLE_CALIBRATION, createBme280Sim, type Bme280Sim, type Bme280SimOptions } from './bme280.sim.js';
export { createAds1115Sim, type Ads1115Sim, type Ads1115SimOptions } from './ads1115.sim.js';
export { createPca9685Sim, type Pca9685Sim } from './pca9685.sim.js';
export { createMcp23017Sim, type Mcp23017Sim } from './mcp23017.sim.js';
export type { Bme280Calibration } from './bme280.calibration.js';

/**
 * Opens a device by driver name, as a hardware description names it. Options are the driver's
 * own (`Tmp102Options`…); they are checked when the driver is created, and the chip is set up on
 * the first read or write.
 */
export type I2cDriverFactory = (bus: I2cBus, address: number, options?: object) => DeviceDriver;

export const i2cDrivers: Readonly<Record<I2cDriverName, I2cDriverFactory>> = {
  tmp102: createTmp102Driver,
  bme280: createBme280Driver,
  ads1115: createAds1115Driver,
  pca9685: createPca9685Driver,
  mcp23017: createMcp23017Driver,
};

/** The simulated chip for each driver, for a `--simulate` run (options: the sim's own). */
export const i2cSimulators: Readonly<Record<I2cDriverName, (options?: object) => SimulatedI2cChip>> = {
  tmp102: createTmp102Sim,
  bme280: createBme280Sim,
  ads1115: createAds1115Sim,
  pca9685: createPca9685Sim,
  mcp23017: createMcp23017Sim,
};
