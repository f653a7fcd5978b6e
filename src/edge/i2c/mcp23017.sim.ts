import { MCP23017_PINS, mcp23017PinIndex, type Mcp23017Pin } from './mcp23017.pins.js';
import type { Clock, SimulatedI2cChip } from './simulatedChip.js';
import { sampleValue, type ValueSource } from './valueSource.js';

/**
 * An MCP23017 (Microchip DS20001952) at register level. Registers are kept in their
 * IOCON.BANK = 0 order (IODIRA 0x00 … OLATB 0x15, IOCON at both 0x0A and 0x0B); BANK = 1
 * addresses are translated. The pointer increments after each byte (rolling over to 0), or
 * with SEQOP set toggles within the A/B pair (BANK = 0) or stays (BANK = 1). A pin reads its
 * latch when it is an output, otherwise its external level (or, floating, 1 with its pull-up
 * and 0 without), inverted by IPOL. Writing GPIO writes OLAT. Interrupts are not modelled.
 */
export interface Mcp23017Sim extends SimulatedI2cChip {
  /** Drive an input pin high/low from outside, or let it float (undefined). */
  setInput(pin: Mcp23017Pin, level: boolean | undefined): void;
  /** External levels as a function of time (pins it leaves out float); `setInput` overrides. */
  setInputs(source: ValueSource<Partial<Record<Mcp23017Pin, boolean>>>): void;
  /** The electrical level of a pin now. */
  level(pin: Mcp23017Pin): boolean;
  /** A register by its BANK = 0 address (for tests). */
  register(address: number): number;
}

const IODIR = 0x00;
const IPOL = 0x02;
const IOCON = 0x0a;
const GPPU = 0x0c;
const INTF = 0x0e;
const GPIO = 0x12;
const OLAT = 0x14;
const LAST = 0x15;
const BANK = 0x80;
const SEQOP = 0x20;

export function createMcp23017Sim(opts: { inputs?: ValueSource<Partial<Record<Mcp23017Pin, boolean>>>; clock?: Clock } = {}): Mcp23017Sim {
  const regs = new Uint8Array(LAST + 1);
  regs[IODIR] = 0xff;
  regs[IODIR + 1] = 0xff;
  const clock = opts.clock ?? Date.now;
  let inputs = opts.inputs ?? {};
  const overrides = new Map<number, boolean | undefined>();
  let pointer = 0;

  const bank1 = (): boolean => ((regs[IOCON] ?? 0) & BANK) !== 0;
  /** The BANK = 0 address a wire address means, or undefined when nothing is there. */
  const canonical = (address: number): number | undefined => {
    if (!bank1()) return address <= LAST ? address : undefined;
    const port = address >> 4;
    const reg = address & 0x0f;
    return port <= 1 && reg <= 0x0a ? reg * 2 + port : undefined;
  };
  const bitOf = (pair: number, i: number): boolean => ((((regs[pair + 1] ?? 0) << 8) | (regs[pair] ?? 0)) >> i & 1) === 1;

  const levelOf = (i: number): boolean => {
    if (!bitOf(IODIR, i)) return bitOf(OLAT, i);
    const external = overrides.has(i) ? overrides.get(i) : sampleValue(inputs, clock())[MCP23017_PINS[i] as Mcp23017Pin];
    return external ?? bitOf(GPPU, i);
  };
  const gpioByte = (port: number): number => {
    let byte = 0;
    for (let bit = 0; bit < 8; bit += 1) {
      const i = port * 8 + bit;
      const inverted = bitOf(IODIR, i) && bitOf(IPOL, i);
      if (levelOf(i) !== inverted) byte |= 1 << bit;
    }
    return byte;
  };

  const readRegister = (address: number): number => {
    const reg = canonical(address);
    if (reg === undefined) return 0;
    if (reg === GPIO || reg === GPIO + 1) return gpioByte(reg - GPIO);
    if (reg === IOCON + 1) return regs[IOCON] ?? 0;
    return regs[reg] ?? 0;
  };

  const writeRegister = (address: number, value: number): void => {
    const reg = canonical(address);
    if (reg === undefined || (reg >= INTF && reg < GPIO)) return; // INTF and INTCAP are read-only
    if (reg === IOCON || reg === IOCON + 1) regs[IOCON] = value & 0xfe; // bit 0 is unimplemented
    else if (reg === GPIO || reg === GPIO + 1) regs[reg + 2] = value; // writes go to OLAT
    else regs[reg] = value;
  };

  const advance = (): void => {
    const seqop = ((regs[IOCON] ?? 0) & SEQOP) !== 0;
    if (!seqop) pointer = bank1() ? (pointer >= 0x1a ? 0 : pointer + 1) : pointer >= LAST ? 0 : pointer + 1;
    else if (!bank1()) pointer ^= 1;
  };

  return {
    write(bytes) {
      if (bytes.length === 0) return;
      pointer = bytes[0] ?? 0;
      for (const byte of bytes.subarray(1)) {
        writeRegister(pointer, byte);
        advance();
      }
    },
    read(length) {
      return Uint8Array.from({ length }, () => {
        const value = readRegister(pointer);
        advance();
        return value;
      });
    },
    setInput(pin, level) {
      const i = mcp23017PinIndex(pin);
      if (i === undefined) throw new Error(`no pin ${pin}`);
      if (level === undefined) overrides.delete(i);
      else overrides.set(i, level);
    },
    setInputs(source) {
      inputs = source;
    },
    level(pin) {
      const i = mcp23017PinIndex(pin);
      if (i === undefined) throw new Error(`no pin ${pin}`);
      return levelOf(i);
    },
    register: (address) => (address === GPIO || address === GPIO + 1 ? gpioByte(address - GPIO) : address === IOCON + 1 ? (regs[IOCON] ?? 0) : (regs[address] ?? 0)),
  };
}
