import type { DeviceDriver } from '../driver.js';
import type { Logger } from '../../shared/logger.js';
import { UnknownSerialDriverError } from './errors.js';
import { JSONLINES_DRIVER, openJsonLinesDriver } from './jsonLines.driver.js';
import { createModbusDriver, MODBUS_DRIVER } from './modbus.driver.js';
import type { SerialLink } from './serialPort.js';

/**
 * Serial devices: the SerialLink port (real `serialport` or an in-memory pair), the JSON-lines
 * and Modbus RTU drivers, and their protocol-level simulators.
 */
export type SerialDriverFactory = (link: SerialLink, options: unknown, deps?: { logger?: Logger }) => Promise<DeviceDriver>;

/**
 * Driver name (a hardware description's `driver`) → factory. Async because a JSON-lines device
 * is asked for its channels when it opens. Drivers never close the link they were given.
 */
export const serialDrivers: Readonly<Record<typeof JSONLINES_DRIVER | typeof MODBUS_DRIVER, SerialDriverFactory>> = {
  [JSONLINES_DRIVER]: (link, options, deps) => openJsonLinesDriver(link, options, deps),
  [MODBUS_DRIVER]: async (link, options, deps) => createModbusDriver(link, options, deps),
};

export function serialDriverFor(name: string): SerialDriverFactory {
  const factory = (serialDrivers as Record<string, SerialDriverFactory | undefined>)[name];
  if (!factory) throw new UnknownSerialDriverError(name, Object.keys(serialDrivers));
  return factory;
}

export * from './errors.js';
export { createSerialPair, openSerialPort, type SerialLink, type SerialPortDeps, type SerialPortOptions } from './serialPort.js';
export { linkOptionsOf, type JsonLinesDriverOptions, type ModbusDriverOptions, type RegisterFormat, type RegisterSpec } from './options.js';
export { createJsonLinesClient, type JsonLinesClient, type JsonLinesClientOptions, type JsonLinesHello, type JsonLinesStats } from './jsonLines.js';
export { JSONLINES_DRIVER, openJsonLinesDriver, type JsonLinesDriver } from './jsonLines.driver.js';
export { startJsonLinesSim, type JsonLinesSim, type JsonLinesSimFaults, type JsonLinesSimOptions } from './jsonLines.sim.js';
export { createModbusDriver, MODBUS_DRIVER, SMART_PLUG_REGISTERS, type ModbusDriver } from './modbus.driver.js';
export { modbusSimOptionsFor, startModbusSim, type ModbusSim, type ModbusSimFaults, type ModbusSimOptions, type ModbusSimStats } from './modbus.sim.js';
export { acquireRtuMaster, createRtuMaster, silenceFor, type RtuMaster, type RtuMasterOptions, type RtuMasterStats, type RtuRequestOptions } from './modbus/rtu.js';
export { crc16Modbus, hasValidCrc, withCrc } from './modbus/crc16.js';
export { exceptionName } from './modbus/frames.js';
export { plausibleValues, type SimDeviceState, type ValueSource } from './simValues.js';
export { simulateSerialDevice, SMART_PLUG_CHANNELS, type SimulatedSerialDevice } from './simulate.js';
