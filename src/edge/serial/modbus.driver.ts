import type { ChannelValue, DeviceDriver, Reading } from '../driver.js';
import type { Logger } from '../../shared/logger.js';
import { ChannelNotWritableError, UnknownChannelError } from './errors.js';
import { acquireRtuMaster, type RtuMasterStats, type RtuRequestOptions } from './modbus/rtu.js';
import { buildRegisterMap, decodeRegister, encodeRegister, readBlocks } from './modbus/registerMap.js';
import { componentLogger } from './log.js';
import { ModbusOptionsSchema, parseOptions, type RegisterSpec } from './options.js';
import type { SerialLink } from './serialPort.js';

export const MODBUS_DRIVER = 'modbus';

export interface ModbusDriver extends DeviceDriver {
  readonly slaveId: number;
  write(channel: string, value: ChannelValue): Promise<ChannelValue>;
  /** The link's master counters (shared by every slave on the link). */
  readonly stats: Readonly<RtuMasterStats>;
}

/**
 * A smart plug as holding registers: power in W×10 at 0, the relay (0 off, 1 on) at 1, energy
 * in Wh as a 32-bit counter at 2–3. A register table like any other, here as the example the
 * simulator and tests share.
 */
export const SMART_PLUG_REGISTERS: readonly RegisterSpec[] = [
  { name: 'power', address: 0, role: 'sensor', type: 'power', unit: 'W', scale: 0.1 },
  { name: 'relay', address: 1, role: 'actuator', type: 'relay', unit: '', format: 'bool' },
  { name: 'energy', address: 2, role: 'sensor', type: 'energy', unit: 'Wh', format: 'uint32' },
];

/**
 * A Modbus RTU slave described by a register table (options.ts: ModbusDriverOptions). Reads
 * with function 03, as few requests as the table allows; writes with 06, then reads the register
 * back so the value returned is the one the device holds.
 */
export function createModbusDriver(link: SerialLink, rawOptions: unknown, deps: { logger?: Logger } = {}): ModbusDriver {
  const options = parseOptions(MODBUS_DRIVER, ModbusOptionsSchema, rawOptions);
  const map = buildRegisterMap(MODBUS_DRIVER, options.registers);
  const blocks = readBlocks(map);
  const byName = new Map(map.map((ch) => [ch.info.name, ch]));
  const log = componentLogger('modbus-driver', { link: link.name, slave: options.slaveId }, deps.logger);
  const master = acquireRtuMaster(link, { silenceMs: options.silenceMs, logger: log });
  const slave = options.slaveId;
  const requestOptions: RtuRequestOptions = { timeoutMs: options.timeoutMs, retries: options.retries };

  return {
    driver: MODBUS_DRIVER,
    channels: map.map((ch) => ch.info),
    slaveId: slave,
    stats: master.stats,
    async read(): Promise<Reading[]> {
      const values = new Map<string, ChannelValue>();
      for (const block of blocks) {
        const words = await master.readHoldingRegisters(slave, block.address, block.quantity, requestOptions);
        for (const ch of block.members) {
          const at = ch.address - block.address;
          values.set(ch.info.name, decodeRegister(ch, words.slice(at, at + ch.words)));
        }
      }
      return map.map((ch) => ({ channel: ch.info.name, value: values.get(ch.info.name) as ChannelValue }));
    },
    async write(channel: string, value: ChannelValue): Promise<ChannelValue> {
      const ch = byName.get(channel);
      if (!ch) throw new UnknownChannelError(MODBUS_DRIVER, channel);
      if (ch.info.role !== 'actuator') throw new ChannelNotWritableError(MODBUS_DRIVER, channel, 'it is a sensor');
      const [word] = encodeRegister(MODBUS_DRIVER, ch, value);
      await master.writeSingleRegister(slave, ch.address, word as number, requestOptions);
      return decodeRegister(ch, await master.readHoldingRegisters(slave, ch.address, 1, requestOptions));
    },
    async close(): Promise<void> {
      master.close();
    },
  };
}
