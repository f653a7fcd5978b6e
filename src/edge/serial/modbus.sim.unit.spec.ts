import { afterEach, describe, expect, it } from 'vitest';
import { withCrc } from './modbus/crc16.js';
import { toHex } from './modbus/frames.js';
import { modbusSimOptionsFor, startModbusSim, type ModbusSimOptions } from './modbus.sim.js';
import { SMART_PLUG_REGISTERS } from './modbus.driver.js';
import { createSerialPair, type SerialLink } from './serialPort.js';
import { plausibleValues } from './simValues.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/ /g, ''), 'hex'));
const stops: Array<() => void> = [];
afterEach(() => stops.splice(0).forEach((s) => s()));

/** The master's end of a link to a simulated slave, sending raw frames and collecting raw answers. */
function slave(options: ModbusSimOptions): { send(hex: string | Uint8Array): Promise<string>; sim: ReturnType<typeof startModbusSim>; host: SerialLink } {
  const [host, device] = createSerialPair({ baudRate: 19200 });
  const sim = startModbusSim(device, options);
  stops.push(() => sim.close());
  return {
    sim,
    host,
    async send(frame) {
      const got: number[] = [];
      const onData = (c: Uint8Array): void => void got.push(...c);
      host.on('data', onData);
      await host.write(typeof frame === 'string' ? bytes(frame) : frame);
      // Longer than the simulated slave ever takes to answer.
      await new Promise((r) => setTimeout(r, 25));
      host.off('data', onData);
      return toHex(Uint8Array.from(got));
    },
  };
}

const specBank: Array<[number, number]> = [
  [0x6b, 0xae41],
  [0x6c, 0x5652],
  [0x6d, 0x4340],
  [0x01, 0x0000],
];

describe('simulated Modbus RTU slave', () => {
  it('answers the specification example read byte for byte', async () => {
    const s = slave({ slaveId: 0x11, registers: specBank });
    expect(await s.send('11 03 00 6B 00 03 76 87')).toBe('11 03 06 AE 41 56 52 43 40 49 AD');
  });

  it('echoes a write single register and keeps the value', async () => {
    const s = slave({ slaveId: 0x11, registers: specBank });
    expect(await s.send('11 06 00 01 00 03 9A 9B')).toBe('11 06 00 01 00 03 9A 9B');
    expect(s.sim.bank.get(1)).toBe(3);
  });

  it('answers exceptions: unknown function, missing register, bad quantity, refused value', async () => {
    const s = slave({ slaveId: 0x11, registers: specBank, accepts: (_a, v) => v < 10 });
    expect(await s.send(withCrc(bytes('11 04 00 00 00 01')))).toBe(toHex(withCrc(bytes('11 84 01'))));
    expect(await s.send(withCrc(bytes('11 03 00 6C 00 03')))).toBe(toHex(withCrc(bytes('11 83 02'))));
    expect(await s.send(withCrc(bytes('11 03 00 6B 00 00')))).toBe(toHex(withCrc(bytes('11 83 03'))));
    expect(await s.send(withCrc(bytes('11 06 00 02 00 01')))).toBe(toHex(withCrc(bytes('11 86 02'))));
    expect(await s.send(withCrc(bytes('11 06 00 01 00 0A')))).toBe(toHex(withCrc(bytes('11 86 03'))));
    expect(s.sim.stats.exceptions).toBe(5);
    expect(s.sim.bank.get(1)).toBe(0);
  });

  it('stays silent for other slaves and for frames with a bad CRC', async () => {
    const s = slave({ slaveId: 0x11, registers: specBank });
    expect(await s.send(withCrc(bytes('12 03 00 6B 00 03')))).toBe('');
    expect(await s.send('11 03 00 6B 00 03 76 88')).toBe('');
    expect(s.sim.stats).toMatchObject({ requests: 0, ignoredForeign: 1, ignoredBadCrc: 1 });
    // and is back in step for the next good frame
    expect(await s.send('11 03 00 6B 00 03 76 87')).toBe('11 03 06 AE 41 56 52 43 40 49 AD');
  });

  it('applies broadcast writes without answering', async () => {
    const s = slave({ slaveId: 0x11, registers: specBank });
    expect(await s.send(withCrc(bytes('00 06 00 01 00 05')))).toBe('');
    expect(s.sim.bank.get(1)).toBe(5);
  });

  it('frames a request split over chunks', async () => {
    const s = slave({ slaveId: 0x11, registers: specBank });
    const got: number[] = [];
    s.host.on('data', (c) => void got.push(...c));
    for (const part of ['11 03 00', '6B 00', '03 76 87']) {
      await s.host.write(bytes(part));
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 25));
    expect(toHex(Uint8Array.from(got))).toBe('11 03 06 AE 41 56 52 43 40 49 AD');
  });

  it('injects faults: drop, corrupt CRC, foreign reply first, delay', async () => {
    const s = slave({ slaveId: 0x11, registers: specBank });
    s.sim.faults.dropReplies = 1;
    expect(await s.send('11 03 00 6B 00 03 76 87')).toBe('');
    s.sim.faults.corruptCrc = 1;
    expect(await s.send('11 03 00 6B 00 03 76 87')).toBe('11 03 06 AE 41 56 52 43 40 49 52');
    s.sim.faults.foreignReplies = 1;
    const foreign = toHex(withCrc(bytes('12 03 06 AE 41 56 52 43 40')));
    expect(await s.send('11 03 00 6B 00 03 76 87')).toBe(`${foreign} 11 03 06 AE 41 56 52 43 40 49 AD`);
    s.sim.faults.delayMs = 60;
    expect(await s.send('11 03 00 6B 00 03 76 87')).toBe('');
  });

  it('simulates a smart plug from its register table: power follows the source and the relay', async () => {
    let now = 0;
    const s = slave(modbusSimOptionsFor(1, SMART_PLUG_REGISTERS, { source: plausibleValues(), now: () => now }));
    const power = async (): Promise<number> => {
      const hex = (await s.send(withCrc(bytes('01 03 00 00 00 01')))).split(' ');
      return parseInt(`${hex[3]}${hex[4]}`, 16) / 10;
    };
    const samples: number[] = [];
    for (now = 0; now < 600_000; now += 150_000) samples.push(await power());
    for (const w of samples) expect(w).toBeGreaterThan(0);
    expect(new Set(samples).size).toBeGreaterThan(1);
    // relay (register 1) takes only 0/1; off drops the power to 0
    expect(await s.send(withCrc(bytes('01 06 00 01 00 02')))).toBe(toHex(withCrc(bytes('01 86 03'))));
    await s.send(withCrc(bytes('01 06 00 01 00 00')));
    expect(await power()).toBe(0);
  });
});
