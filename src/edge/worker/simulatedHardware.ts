import type { Logger } from '../../shared/logger.js';
import { bleSimulators, createOtaPeripheral, SimulatedCentral, type OtaFaults, type SimPeripheral } from '../ble/index.js';
import { createSimulatedI2cBus, i2cSimulators, type I2cDriverName, type SimulatedI2cBus } from '../i2c/index.js';
import { simulateSerialDevice } from '../serial/index.js';
import type { HardwareConfig } from './config.js';
import type { DeviceConfig } from './configDevices.js';
import { simulatedFirmware } from './firmware.js';
import { openBleDriver, openI2cDriver, type BoardHardware } from './hardware.js';
import { i2cSimOptions, serialSimSource } from './simValues.js';

/**
 * `--simulate`: the same hardware description on simulated chips, driven by the real drivers
 * through the same bus ports: a simulated I2C bus per bus number with each chip attached at its
 * configured address, a protocol-level simulated device at the other end of an in-memory serial
 * link per serial device, and one simulated BLE central holding the GATT devices and, for a
 * gateway, OTA-capable dependents.
 */
export function createSimulatedHardware(config: HardwareConfig, logger: Logger): BoardHardware {
  const buses = new Map<number, SimulatedI2cBus>();
  const central = new SimulatedCentral();
  const peripherals = new Map<string, SimPeripheral>();
  const latencyMs = config.simulation.latencyMs;

  for (const d of config.simulation.dependents) {
    const { peripheral } = createOtaPeripheral({ address: d.address, ...(d.localName ? { localName: d.localName } : {}), latencyMs, faults: d.faults as OtaFaults });
    central.addPeripheral(peripheral);
  }

  const i2cBus = (n: number): SimulatedI2cBus => {
    let bus = buses.get(n);
    if (!bus) buses.set(n, (bus = createSimulatedI2cBus()));
    return bus;
  };
  // Chips are attached up front, so a reactor's first scan finds them all.
  const attached = new Set<string>();
  for (const d of config.devices) {
    if (d.bus !== 'i2c') continue;
    const key = `${d.busNumber}/${d.i2cAddress}`;
    if (attached.has(key)) continue;
    attached.add(key);
    i2cBus(d.busNumber).attach(d.i2cAddress!, i2cSimulators[d.driver as I2cDriverName](i2cSimOptions(d)));
  }

  function blePeripheral(d: DeviceConfig): void {
    const sim = bleSimulators[d.driver]!(d.options, { latencyMs });
    if (peripherals.has(sim.id)) return; // another entry for the same device
    peripherals.set(sim.id, sim);
    central.addPeripheral(sim);
  }

  return {
    simulated: true,
    i2cBus,
    async open(device, log) {
      if (device.bus === 'i2c') {
        return openI2cDriver(i2cBus(device.busNumber), device, log);
      }
      if (device.bus === 'serial') {
        const sim = await simulateSerialDevice(device.driver, device.options, { source: serialSimSource(device), logger: log });
        return { driver: sim.driver, close: () => sim.close() };
      }
      blePeripheral(device);
      return openBleDriver(central, device, log);
    },
    central: () => Promise.resolve(central),
    firmware: (commit) => Promise.resolve(simulatedFirmware(commit, config.simulation.firmwareBytes)),
    async close() {
      for (const p of peripherals.values()) p.powerOff();
      logger.debug({ buses: buses.size, peripherals: peripherals.size }, 'simulated hardware closed');
    },
  };
}
