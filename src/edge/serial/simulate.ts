import type { ChannelInfo, DeviceDriver } from '../driver.js';
import type { Logger } from '../../shared/logger.js';
import { UnknownSerialDriverError } from './errors.js';
import { JSONLINES_DRIVER, openJsonLinesDriver } from './jsonLines.driver.js';
import { startJsonLinesSim } from './jsonLines.sim.js';
import { createModbusDriver, MODBUS_DRIVER } from './modbus.driver.js';
import { modbusSimOptionsFor, startModbusSim } from './modbus.sim.js';
import { JsonLinesOptionsSchema, ModbusOptionsSchema, parseOptions } from './options.js';
import { createSerialPair } from './serialPort.js';
import { plausibleValues, type ValueSource } from './simValues.js';

/** A JSON-lines smart plug, what a simulated device says in `hello` when the options name no channels. */
export const SMART_PLUG_CHANNELS: readonly ChannelInfo[] = [
  { name: 'power', role: 'sensor', type: 'power', unit: 'W' },
  { name: 'relay', role: 'actuator', type: 'relay', unit: '' },
];

export interface SimulatedSerialDevice {
  readonly driver: DeviceDriver;
  close(): Promise<void>;
}

/**
 * For `--simulate`: the real driver, made from the device's own options, talking over an
 * in-memory link to a protocol-level simulated device built from the same options, whose
 * sensors follow `source` (plausible changing values by default).
 */
export async function simulateSerialDevice(driver: string, options: unknown, opts: { source?: ValueSource; logger?: Logger } = {}): Promise<SimulatedSerialDevice> {
  const source = opts.source ?? plausibleValues({ startedAtMs: Date.now() });
  const deps = opts.logger ? { logger: opts.logger } : {};
  if (driver === MODBUS_DRIVER) {
    const o = parseOptions(MODBUS_DRIVER, ModbusOptionsSchema, options);
    const [host, device] = createSerialPair({ baudRate: o.baudRate ?? 9600, names: [`sim-modbus-${o.slaveId}:host`, `sim-modbus-${o.slaveId}:device`] });
    const sim = startModbusSim(device, modbusSimOptionsFor(o.slaveId, o.registers, { source }));
    return joined(createModbusDriver(host, o, deps), () => sim.close(), host);
  }
  if (driver === JSONLINES_DRIVER) {
    const o = parseOptions(JSONLINES_DRIVER, JsonLinesOptionsSchema, options ?? {});
    const [host, device] = createSerialPair({ baudRate: o.baudRate ?? 9600, names: ['sim-jsonlines:host', 'sim-jsonlines:device'] });
    const sim = startJsonLinesSim(device, { channels: o.channels ?? SMART_PLUG_CHANNELS, source, device: { model: 'edgeplane-sim-plug' } });
    return joined(await openJsonLinesDriver(host, o, deps), () => sim.close(), host);
  }
  throw new UnknownSerialDriverError(driver, [JSONLINES_DRIVER, MODBUS_DRIVER]);
}

function joined(driver: DeviceDriver, stopSim: () => void, link: { close(): Promise<void> }): SimulatedSerialDevice {
  return {
    driver,
    async close() {
      await driver.close();
      stopSim();
      await link.close();
    },
  };
}
