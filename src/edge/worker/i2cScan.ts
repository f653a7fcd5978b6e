import type { Logger } from '../../shared/logger.js';
import { startPeriodic } from '../../shared/periodic.js';
import { scanI2cBus } from '../i2c/index.js';
import type { EdgeCommand } from '../link/index.js';
import type { HardwareConfig } from './config.js';
import type { DeviceSlot } from './deviceSlot.js';
import type { BoardHardware } from './hardware.js';

/**
 * The reactor seed's "discover active sensors": every scan interval each I2C bus the board
 * uses is scanned, and the reactor actor is told the full list (`ReportDevices`) — chips found
 * at a configured address under that device's id, others as `i2c<bus>-0x<address>` — plus the
 * serial and BLE devices that are open. A bus that fails to scan skips the report: devices are
 * only ever removed by a scan that worked.
 */
export interface Scanner {
  /** One scan and report now (the first one runs before sampling starts). */
  scanOnce(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function startI2cScans(deps: { config: HardwareConfig; hardware: BoardHardware; slots: readonly DeviceSlot[]; append: (c: EdgeCommand[]) => Promise<void>; logger: Logger }): Scanner {
  const { config } = deps;
  const log = deps.logger.child({ component: 'i2c-scan' });
  const busNumbers = [...new Set(config.devices.filter((d) => d.bus === 'i2c').map((d) => d.busNumber))].sort((a, b) => a - b);
  let ticks: { stop(): Promise<void> } | undefined;
  let failing = false;

  async function scanOnce(): Promise<void> {
    const devices: Array<{ id: string; bus: string; address: number | string; driver: string }> = [];
    for (const n of busNumbers) {
      let found;
      try {
        found = await scanI2cBus(deps.hardware.i2cBus(n), { logger: log });
      } catch (err) {
        if (!failing) log.warn({ err, busNumber: n }, 'I2C scan failed; devices are reported again after the next scan that works');
        failing = true;
        return;
      }
      for (const f of found) {
        const configured = config.devices.find((d) => d.bus === 'i2c' && d.busNumber === n && d.i2cAddress === f.address);
        devices.push({ id: configured?.id ?? `i2c${n}-0x${f.address.toString(16).padStart(2, '0')}`, bus: `i2c-${n}`, address: f.address, driver: f.driver });
      }
    }
    if (failing) log.info('I2C scan works again');
    failing = false;
    for (const s of deps.slots) {
      if (s.config.bus === 'i2c' || !s.device) continue;
      devices.push({ id: s.config.id, bus: s.config.bus, address: String(s.config.address ?? s.config.path ?? s.config.options.serviceUuid), driver: s.config.driver });
    }
    log.debug({ devices }, 'devices found');
    await deps.append([{ kind: 'reactor', id: config.board.id, type: 'ReportDevices', data: { devices, at: new Date().toISOString() } }]);
  }

  return {
    scanOnce,
    start() {
      ticks = startPeriodic(scanOnce, config.scanIntervalMs, (err) => log.error({ err }, 'device report not buffered'));
    },
    async stop() {
      await ticks?.stop();
    },
  };
}
