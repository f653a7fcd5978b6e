import { ChipNack, type SimulatedI2cChip } from './simulatedChip.js';

/**
 * A PCA9685 (NXP PCA9685 rev. 4) at register level: MODE1/MODE2, sub/all-call addresses,
 * LEDn_ON/OFF (reserved bits 7:5 of the _H registers read 0), ALL_LED (write-only, read 0) and
 * PRE_SCALE, which only takes writes while SLEEP is set and never goes below 3. With AI set the
 * pointer increments after every byte, rolling over from 0x45 and from 0xFE to MODE1; pointing at
 * a reserved register (0x46..0xF9) is not acknowledged. Sleeping with outputs active sets
 * RESTART; writing RESTART = 1 once awake clears it and resumes the outputs.
 */
export interface Pca9685Sim extends SimulatedI2cChip {
  register(address: number): number;
  /** The PWM frequency the registers give with this oscillator. */
  frequencyHz(): number;
  /** Channel n's duty cycle (0..1) as the registers program it. */
  duty(channel: number): number;
  /** Oscillator on and PWM running (not asleep, no restart pending). */
  running(): boolean;
}

const MODE1 = 0x00;
const MODE2 = 0x01;
const LED0 = 0x06;
const LAST_LED = 0x45;
const ALL_LED = 0xfa;
const PRE_SCALE = 0xfe;
const TEST_MODE = 0xff;
const RESTART = 0x80;
const EXTCLK = 0x40;
const AI = 0x20;
const SLEEP = 0x10;

export function createPca9685Sim(opts: { oscillatorHz?: number } = {}): Pca9685Sim {
  const oscillatorHz = opts.oscillatorHz ?? 25_000_000;
  const regs = new Uint8Array(256);
  let pointer = 0;
  let restartPending = false;

  regs.set([0x11, 0x04, 0xe2, 0xe4, 0xe8, 0xe0], MODE1); // MODE1, MODE2, SUBADR1..3, ALLCALLADR
  for (let ch = 0; ch < 16; ch += 1) regs[LED0 + 4 * ch + 3] = 0x10; // every output full off
  regs[PRE_SCALE] = 0x1e; // 200 Hz

  const valid = (reg: number): boolean => reg <= LAST_LED || reg >= ALL_LED;
  const next = (reg: number): number => (reg === LAST_LED || reg === PRE_SCALE ? 0 : reg === TEST_MODE ? TEST_MODE : reg + 1);

  const dutyOf = (base: number): number => {
    const [onL = 0, onH = 0, offL = 0, offH = 0] = regs.subarray(base, base + 4);
    if (offH & 0x10) return 0; // full off wins
    if (onH & 0x10) return 1;
    const on = ((onH & 0x0f) << 8) | onL;
    const off = ((offH & 0x0f) << 8) | offL;
    return on === off ? 0 : ((off - on + 4096) % 4096) / 4096;
  };
  const anyActive = (): boolean => Array.from({ length: 16 }, (_, ch) => dutyOf(LED0 + 4 * ch)).some((d) => d > 0);

  const writeRegister = (reg: number, value: number): void => {
    if (reg === MODE1) {
      const old = regs[MODE1] ?? 0;
      const asleep = (old & SLEEP) !== 0;
      let next1 = (value & ~RESTART & ~EXTCLK) | ((value | old) & EXTCLK) | (old & RESTART); // EXTCLK is sticky
      if (!asleep && value & SLEEP && anyActive()) {
        next1 |= RESTART;
        restartPending = true;
      }
      if (value & RESTART && !(value & SLEEP) && old & RESTART) {
        next1 &= ~RESTART; // restart: outputs resume where they were
        restartPending = false;
      }
      regs[MODE1] = next1;
    } else if (reg === MODE2) regs[MODE2] = value & 0x1f;
    else if (reg <= 0x05) regs[reg] = value & 0xfe; // sub/all-call addresses; bit 0 reads 0
    else if (reg <= LAST_LED) regs[reg] = (reg - LED0) % 2 === 1 ? value & 0x1f : value; // _H: bits 7:5 reserved
    else if (reg >= ALL_LED && reg < PRE_SCALE) {
      for (let ch = 0; ch < 16; ch += 1) regs[LED0 + 4 * ch + (reg - ALL_LED)] = (reg - ALL_LED) % 2 === 1 ? value & 0x1f : value;
    } else if (reg === PRE_SCALE) {
      if ((regs[MODE1] ?? 0) & SLEEP) regs[PRE_SCALE] = Math.max(3, value); // blocked while awake
    }
    // TestMode (0xFF) is left alone.
  };

  const readRegister = (reg: number): number => (reg >= ALL_LED && reg < PRE_SCALE ? 0 : (regs[reg] ?? 0));
  const autoIncrement = (): boolean => ((regs[MODE1] ?? 0) & AI) !== 0;

  return {
    write(bytes) {
      if (bytes.length === 0) return;
      const reg = bytes[0] ?? 0;
      if (!valid(reg)) throw new ChipNack(`register 0x${reg.toString(16)} is reserved`);
      pointer = reg;
      for (const byte of bytes.subarray(1)) {
        writeRegister(pointer, byte);
        if (autoIncrement()) pointer = next(pointer);
      }
    },
    read(length) {
      return Uint8Array.from({ length }, () => {
        const value = readRegister(pointer);
        if (autoIncrement()) pointer = next(pointer);
        return value;
      });
    },
    register: (address) => readRegister(address),
    frequencyHz: () => oscillatorHz / (4096 * ((regs[PRE_SCALE] ?? 0x1e) + 1)),
    duty: (channel) => dutyOf(LED0 + 4 * channel),
    running: () => ((regs[MODE1] ?? 0) & SLEEP) === 0 && !restartPending,
  };
}
