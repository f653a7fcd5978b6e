import type { Logger } from '../../shared/logger.js';
import { openNoble, type BleCentral } from '../ble/index.js';
import { openI2cBus, type I2cBus } from '../i2c/index.js';
import { linkOptionsOf, openSerialPort, serialDrivers, type SerialLink } from '../serial/index.js';
import type { HardwareConfig } from './config.js';
import type { DeviceConfig } from './configDevices.js';
import { firmwareFromDir } from './firmware.js';
import { openBleDriver, openI2cDriver, retryingOnce, type BoardHardware, type OpenedDriver } from './hardware.js';
import { lazyI2cBus } from './lazyI2cBus.js';
import { loadNative } from './native.js';

/**
 * The board's real buses, each opened only when a device uses it (so a board with no BLE never
 * loads noble): I2C buses at their first transfer, a serial port once for every device on it
 * (Modbus slaves share an RS-485 line), the BLE central at the first BLE device or scan.
 */
export function createRealHardware(config: HardwareConfig): BoardHardware {
  const i2c = new Map<number, I2cBus>();
  const ports = new Map<string, { link: ReturnType<typeof retryingOnce<SerialLink>>; users: number }>();
  const central = retryingOnce<BleCentral>(() => openNoble({ importer: () => loadNative('@abandonware/noble') }));

  const i2cBus = (n: number): I2cBus => {
    let bus = i2c.get(n);
    if (!bus) i2c.set(n, (bus = lazyI2cBus(() => openI2cBus(n, { loadModule: () => loadNative('i2c-bus') }))));
    return bus;
  };

  async function openSerial(device: DeviceConfig, log: Logger): Promise<OpenedDriver> {
    const path = device.path!;
    let port = ports.get(path);
    if (!port) ports.set(path, (port = { link: retryingOnce(() => openSerialPort(path, linkOptionsOf(device.options), { load: () => loadNative('serialport') as Promise<never> /* the module's own type */ })), users: 0 }));
    const link = await port.link.get();
    const factory = serialDrivers[device.driver as keyof typeof serialDrivers];
    const driver = await factory(link, device.options, { logger: log });
    port.users++;
    const shared = port;
    return {
      driver,
      async close() {
        await driver.close();
        if (--shared.users === 0) {
          ports.delete(path);
          await link.close();
        }
      },
    };
  }

  return {
    simulated: false,
    i2cBus,
    async open(device, log) {
      if (device.bus === 'i2c') {
        return openI2cDriver(i2cBus(device.busNumber), device, log);
      }
      if (device.bus === 'serial') return openSerial(device, log);
      return openBleDriver(await central.get(), device, log);
    },
    central: () => central.get(),
    firmware: (commit) => firmwareFromDir(config.dependents.firmwareDir, commit),
    async close() {
      await Promise.all([...i2c.values()].map((b) => b.close().catch(() => undefined)));
      i2c.clear();
      // noble keeps its HCI socket open for the life of the process; nothing to close here.
    },
  };
}
