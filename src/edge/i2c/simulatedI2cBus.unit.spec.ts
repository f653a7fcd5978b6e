import { describe, expect, it } from 'vitest';
import { I2cIoError, I2cNackError, isNack } from './errors.js';
import { createI2cDevice, swap16 } from './i2cDevice.js';
import { ChipNack, type SimulatedI2cChip } from './simulatedChip.js';
import { createSimulatedI2cBus } from './simulatedI2cBus.js';

/** A plain 8-bit register file with an auto-incrementing pointer: the wire, nothing more. */
function registerFile(initial: Record<number, number> = {}): SimulatedI2cChip & { regs: Uint8Array; writes: number[][] } {
  const regs = new Uint8Array(256);
  for (const [r, v] of Object.entries(initial)) regs[Number(r)] = v;
  let pointer = 0;
  const writes: number[][] = [];
  return {
    regs,
    writes,
    write(bytes) {
      writes.push([...bytes]);
      pointer = bytes[0] ?? pointer;
      for (const b of bytes.subarray(1)) regs[pointer++ & 0xff] = b;
    },
    read(length) {
      return Uint8Array.from({ length }, () => regs[pointer++ & 0xff] ?? 0);
    },
  };
}

describe('simulated I2C bus', () => {
  it('NACKs an address with no chip exactly as i2c-bus on Linux does (errno 121, empty code)', async () => {
    const bus = createSimulatedI2cBus();
    const err = await bus.readByte(0x48, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ message: ', Remote I/O error', errno: 121, code: '', syscall: 'readByte' });
    const viaFile = await bus.i2cRead(0x48, 2, Buffer.alloc(2)).catch((e: unknown) => e);
    expect(viaFile).toMatchObject({ errno: -121, code: 'EREMOTEIO', syscall: 'read' });
    expect(isNack(err) && isNack(viaFile)).toBe(true);
  });

  it('reads a word low byte first (SMBus), and the device helpers swap it for big-endian registers', async () => {
    const bus = createSimulatedI2cBus();
    const chip = registerFile({ 0x10: 0x12, 0x11: 0x34 });
    bus.attach(0x20, chip);
    expect(await bus.readWord(0x20, 0x10)).toBe(0x3412);
    const device = createI2cDevice(bus, 0x20);
    expect(await device.readU16BE(0x10)).toBe(0x1234);
    expect(await device.readU16LE(0x10)).toBe(0x3412);
    await device.writeU16BE(0x20, 0xabcd);
    expect(chip.writes.at(-1)).toEqual([0x20, 0xab, 0xcd]);
    await bus.writeWord(0x20, 0x30, 0xabcd);
    expect(chip.writes.at(-1)).toEqual([0x30, 0xcd, 0xab]);
    expect(swap16(0x00ff)).toBe(0xff00);
  });

  it('frames block and plain transfers like the kernel: command byte, then data', async () => {
    const bus = createSimulatedI2cBus();
    const chip = registerFile();
    bus.attach(0x21, chip);
    await bus.writeI2cBlock(0x21, 0x40, 3, Buffer.from([1, 2, 3, 99]));
    expect(chip.writes.at(-1)).toEqual([0x40, 1, 2, 3]);
    const { bytesRead, buffer } = await bus.readI2cBlock(0x21, 0x40, 3, Buffer.alloc(4));
    expect(bytesRead).toBe(3);
    expect([...buffer]).toEqual([1, 2, 3, 0]);
    await bus.i2cWrite(0x21, 1, Buffer.from([0x41]));
    const plain = await bus.i2cRead(0x21, 2, Buffer.alloc(2));
    expect([...plain.buffer]).toEqual([2, 3]);
  });

  it("rejects what i2c-bus rejects, with i2c-bus's messages", async () => {
    const bus = createSimulatedI2cBus();
    await expect(bus.readByte(0x80, 0)).rejects.toThrow('Invalid I2C address 128');
    await expect(bus.writeByte(0x20, 0x100, 0)).rejects.toThrow('Invalid I2C command 256');
    await expect(bus.writeWord(0x20, 0, 0x10000)).rejects.toThrow('Invalid word 65536');
    await expect(bus.readI2cBlock(0x20, 0, 33, Buffer.alloc(33))).rejects.toThrow('Invalid buffer length 33');
    await expect(bus.i2cRead(0x20, 4, Buffer.alloc(2))).rejects.toThrow('Buffer must contain at least 4 bytes');
  });

  it('scans the attached chips only, and never throws on empty addresses', async () => {
    const bus = createSimulatedI2cBus();
    bus.attach(0x20, registerFile());
    bus.attach(0x76, registerFile());
    expect(await bus.scan()).toEqual([0x20, 0x76]);
    expect(await bus.scan(0x21, 0x75)).toEqual([]);
    expect(await bus.scan(0x76)).toEqual([0x76]);
  });

  it('injects NACKs after a number of good transfers, per address, then recovers', async () => {
    const bus = createSimulatedI2cBus();
    bus.attach(0x20, registerFile({ 0: 7 }));
    bus.attach(0x21, registerFile({ 0: 8 }));
    bus.injectNack({ address: 0x20, after: 1, count: 2 });
    const results = await Promise.allSettled([0, 1, 2, 3].map(() => bus.readByte(0x20, 0)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(await bus.readByte(0x21, 0)).toBe(8);
  });

  it('turns a chip that refuses a byte into a NACK, and a NACK into a typed error naming the address', async () => {
    const bus = createSimulatedI2cBus();
    bus.attach(0x40, { write: () => { throw new ChipNack('reserved register'); }, read: () => Uint8Array.of(0) });
    const device = createI2cDevice(bus, 0x40);
    const err = await device.writeU8(0x50, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cNackError);
    expect(err).toMatchObject({ code: 'ERR_I2C_NACK', details: { address: 0x40, register: 0x50 } });
    expect((err as Error).message).toContain('0x40');
    const missing = await createI2cDevice(bus, 0x41).readU8(0).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(I2cNackError);
    expect((missing as Error).message).toContain('0x41');
  });

  it('delays transfers when asked, and fails every transfer once closed', async () => {
    const bus = createSimulatedI2cBus();
    bus.attach(0x20, registerFile());
    bus.setDelay(30);
    const t0 = performance.now();
    await bus.readByte(0x20, 0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    bus.setDelay(0);
    await bus.close();
    const err = await createI2cDevice(bus, 0x20).readU8(0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cIoError);
    expect(err).toMatchObject({ code: 'ERR_I2C_IO' });
  });
});
