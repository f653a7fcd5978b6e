import type { Logger } from '../../shared/logger.js';
import type { ChannelInfo, DeviceDriver, Reading } from '../driver.js';
import { createDriverSession } from './driverSession.js';
import { I2cDriverConfigError, I2cNotReadyError } from './errors.js';
import type { I2cBus } from './i2cBus.js';
import { createI2cDevice } from './i2cDevice.js';
import { driverLogger } from './log.js';
import { pollUntil, sleep } from './poll.js';

/** ADS1115 (TI SBAS444) 16-bit ADC; addresses 0x48–0x4B (ADDR to GND, VDD, SDA, SCL). */
export type Ads1115Mux = 'ain0' | 'ain1' | 'ain2' | 'ain3' | 'ain0-ain1' | 'ain0-ain3' | 'ain1-ain3' | 'ain2-ain3';
export type Ads1115FullScale = 6.144 | 4.096 | 2.048 | 1.024 | 0.512 | 0.256;

export interface Ads1115Input {
  /** Channel name; the mux name by default (`ain0`, `ain0-ain1`…). */
  name?: string;
  mux: Ads1115Mux;
  /** PGA full scale in volts (±); 4.096 by default. The inputs must still stay within GND…VDD. */
  fullScale?: Ads1115FullScale;
}

export interface Ads1115Options {
  /** Samples per second (DR); 128 by default, as after power-up. */
  dataRate?: 8 | 16 | 32 | 64 | 128 | 250 | 475 | 860;
  /** What to convert on each read; the four single-ended inputs by default. */
  inputs?: Ads1115Input[];
  logger?: Logger;
}

const REG_CONVERSION = 0x00;
const REG_CONFIG = 0x01;
const OS = 0x8000;
const MODE_SINGLE_SHOT = 0x0100;
const COMP_QUE_DISABLE = 0x0003;
const MUX: Record<Ads1115Mux, number> = { 'ain0-ain1': 0, 'ain0-ain3': 1, 'ain1-ain3': 2, 'ain2-ain3': 3, ain0: 4, ain1: 5, ain2: 6, ain3: 7 };
const PGA: Record<number, number> = { 6.144: 0, 4.096: 1, 2.048: 2, 1.024: 3, 0.512: 4, 0.256: 5 };
const DATA_RATE: Record<number, number> = { 8: 0, 16: 1, 32: 2, 64: 3, 128: 4, 250: 5, 475: 6, 860: 7 };

interface PreparedInput {
  name: string;
  config: number;
  voltsPerCode: number;
}

export function createAds1115Driver(bus: I2cBus, address: number, options: Ads1115Options = {}): DeviceDriver {
  const rate = options.dataRate ?? 128;
  const dr = DATA_RATE[rate];
  if (dr === undefined) throw new I2cDriverConfigError('ads1115', `dataRate must be one of ${Object.keys(DATA_RATE).join(', ')}, not ${String(rate)}`);
  const inputs = prepare(options.inputs ?? (['ain0', 'ain1', 'ain2', 'ain3'] as const).map((mux) => ({ mux })), dr);
  const conversionMs = 1000 / rate;
  const device = createI2cDevice(bus, address);
  const logger = driverLogger('ads1115', address, options.logger);
  // A conversion left running by an interrupted read would swallow our next start (OS = 1 has
  // no effect while converting) and hand us its input's result: wait it out first.
  const idle = async (): Promise<boolean> => ((await device.readU16BE(REG_CONFIG)) & OS) !== 0;
  const init = async (): Promise<void> => {
    if (!(await pollUntil(idle, { timeoutMs: 1000 / 8 + 10 }))) throw new I2cNotReadyError(address, 'ads1115', 'a conversion in progress did not finish');
  };
  const session = createDriverSession({ driver: 'ads1115', address, logger, init });

  const convert = async (input: PreparedInput): Promise<Reading> => {
    await device.writeU16BE(REG_CONFIG, input.config); // OS = 1 starts one conversion
    await sleep(Math.ceil(conversionMs));
    const done = await pollUntil(idle, { timeoutMs: 2 * conversionMs + 10 });
    if (!done) throw new I2cNotReadyError(address, 'ads1115', `conversion of ${input.name} not finished after ${Math.ceil(3 * conversionMs + 10)} ms`);
    const code = ((await device.readU16BE(REG_CONVERSION)) << 16) >> 16; // two's complement
    return { channel: input.name, value: code * input.voltsPerCode };
  };

  return {
    driver: 'ads1115',
    channels: inputs.map((i): ChannelInfo => ({ name: i.name, role: 'sensor', type: 'voltage', unit: 'V' })),
    read: () =>
      session.run(async () => {
        const readings: Reading[] = [];
        for (const input of inputs) readings.push(await convert(input));
        return readings;
      }),
    close: async () => session.close(),
  };
}

function prepare(inputs: Ads1115Input[], dr: number): PreparedInput[] {
  if (inputs.length === 0) throw new I2cDriverConfigError('ads1115', 'inputs must not be empty');
  const names = new Set<string>();
  return inputs.map((input) => {
    const mux = MUX[input.mux];
    if (mux === undefined) throw new I2cDriverConfigError('ads1115', `unknown mux ${JSON.stringify(input.mux)} (one of ${Object.keys(MUX).join(', ')})`);
    const fullScale = input.fullScale ?? 4.096;
    const pga = PGA[fullScale];
    if (pga === undefined) throw new I2cDriverConfigError('ads1115', `fullScale must be one of ${Object.keys(PGA).join(', ')} V, not ${String(fullScale)}`);
    const name = input.name ?? input.mux;
    if (names.has(name)) throw new I2cDriverConfigError('ads1115', `two inputs are named ${JSON.stringify(name)}`);
    names.add(name);
    const config = OS | (mux << 12) | (pga << 9) | MODE_SINGLE_SHOT | (dr << 5) | COMP_QUE_DISABLE;
    return { name, config, voltsPerCode: fullScale / 32768 };
  });
}
