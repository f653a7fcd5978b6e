import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.js';
import type { GattDriverOptions } from './ble.options.js';
import { GattDriver, scanDependents } from './ble.driver.js';
import { bleDrivers, openBleDriver } from './index.js';
import { SimulatedCentral } from './simulatedBle.js';
import { SimPeripheral } from './simulatedPeripheral.js';

const ESS = '181a';
const TEMP = '2a6e';
const HUM = '2a6f';
const LED = 'ff01';
const LABEL = 'ff02';

/** A device firmware: temperature (int16, 0.01 °C, read+notify), humidity (uint16, 0.01 %, read only), a dimmable LED and a label. */
function envNode(address: string, localName = 'env-node', service = ESS): SimPeripheral {
  return new SimPeripheral({
    address,
    localName,
    services: [
      {
        uuid: service,
        characteristics: [
          { uuid: TEMP, properties: ['read', 'notify'], value: Buffer.from([0x35, 0x08]) }, // 2101 → 21.01
          { uuid: HUM, properties: ['read'], value: Buffer.from([0x9c, 0x12]) }, // 4764 → 47.64
          { uuid: LED, properties: ['read', 'write'], value: Buffer.from([0]) },
          { uuid: LABEL, properties: ['read'], value: Buffer.from('kitchen') },
        ],
      },
    ],
  });
}

const options = (extra: Partial<GattDriverOptions> = {}): GattDriverOptions => ({
  serviceUuid: '0x181A',
  characteristics: [
    { name: 'temperature', uuid: '2A6E', role: 'sensor', type: 'temperature', unit: '°C', format: 'int16le', scale: 0.01 },
    { name: 'humidity', uuid: '00002a6f-0000-1000-8000-00805f9b34fb', role: 'sensor', type: 'humidity', unit: '%', format: 'uint16le', scale: 0.01 },
    { name: 'led', uuid: LED, role: 'actuator', type: 'pwm', unit: '%', format: 'uint8' },
    { name: 'label', uuid: LABEL, role: 'sensor', type: 'text', unit: '', format: 'utf8' },
  ],
  scanTimeoutMs: 300,
  connectTimeoutMs: 300,
  opTimeoutMs: 200,
  reconnectDelayMs: 20,
  reconnectMaxDelayMs: 100,
  ...extra,
});

const logger = createLogger({ level: 'silent' });
const open: GattDriver[] = [];
function driver(central: SimulatedCentral, o: unknown = options()): GattDriver {
  const d = new GattDriver(central, o, { logger });
  open.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

const valueOf = (readings: { channel: string; value: unknown }[], channel: string) => readings.find((r) => r.channel === channel)?.value;

async function eventually(check: () => boolean | Promise<boolean>, ms = 1_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('gatt driver: options', () => {
  it.each([
    ['no service', { characteristics: [] }, /serviceUuid/],
    ['bad uuid', { ...options(), serviceUuid: 'xyz' }, /UUID/],
    ['no characteristics', { ...options(), characteristics: [] }, /characteristics/],
    ['unknown format', { ...options(), characteristics: [{ ...options().characteristics[0]!, format: 'int32le' }] }, /format/],
    ['duplicate name', { ...options(), characteristics: [options().characteristics[0]!, options().characteristics[0]!] }, /twice/],
    ['zero scale', { ...options(), characteristics: [{ ...options().characteristics[0]!, scale: 0 }] }, /scale/],
  ])('rejects %s when the driver is made', (_, o, message) => {
    expect(() => new GattDriver(new SimulatedCentral(), o)).toThrow(message);
    expect(() => new GattDriver(new SimulatedCentral(), o)).toThrow(expect.objectContaining({ code: 'ERR_BLE_DRIVER_CONFIG' }));
  });

  it('is registered as `gatt`, and an unknown driver name is a typed error', () => {
    expect(Object.keys(bleDrivers)).toEqual(['gatt']);
    const d = bleDrivers.gatt!(new SimulatedCentral(), options());
    expect(d.channels).toEqual([
      { name: 'temperature', role: 'sensor', type: 'temperature', unit: '°C' },
      { name: 'humidity', role: 'sensor', type: 'humidity', unit: '%' },
      { name: 'led', role: 'actuator', type: 'pwm', unit: '%' },
      { name: 'label', role: 'sensor', type: 'text', unit: '' },
    ]);
    expect(() => openBleDriver('toString', new SimulatedCentral(), options())).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_BLE_DRIVER' }));
  });
});

describe('gatt driver against simulated peripherals', () => {
  it('finds the device by service UUID (and local name), and reads every channel in its format and scale', async () => {
    const central = new SimulatedCentral();
    central.addPeripheral(envNode('aa:00:00:00:00:01', 'other-service', '180f'));
    central.addPeripheral(envNode('aa:00:00:00:00:02', 'wrong-name'));
    const target = central.addPeripheral(envNode('aa:00:00:00:00:03', 'env-node'));
    const d = driver(central, options({ localName: 'env-node' }));
    const readings = await d.read();
    expect(target.connected).toBe(true);
    expect(readings).toEqual([
      { channel: 'temperature', value: 21.01 },
      { channel: 'humidity', value: 47.64 },
      { channel: 'led', value: 0 },
      { channel: 'label', value: 'kitchen' },
    ]);
  });

  it('finds it by address too, and fails typed when nothing matches', async () => {
    const central = new SimulatedCentral();
    central.addPeripheral(envNode('aa:00:00:00:00:01'));
    const wanted = central.addPeripheral(envNode('aa:00:00:00:00:02'));
    await driver(central, options({ address: 'AA:00:00:00:00:02' })).read();
    expect(wanted.connected).toBe(true);
    const started = Date.now();
    await expect(driver(central, options({ address: 'aa:00:00:00:00:09' })).read()).rejects.toMatchObject({ code: 'ERR_BLE_DEVICE_NOT_FOUND' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('subscribes to notifying characteristics and reports the latest notified value', async () => {
    const central = new SimulatedCentral();
    const device = central.addPeripheral(envNode('aa:00:00:00:00:01'));
    const d = driver(central);
    await d.connect();
    expect(device.characteristic(TEMP).subscribed).toBe(true);
    expect(device.characteristic(HUM).subscribed).toBe(false);
    device.characteristic(TEMP).set(Buffer.from([0x0c, 0xfe])); // -500 → -5
    await eventually(async () => valueOf(await d.read(), 'temperature') === -5);
    // Humidity does not notify: a changed value is seen because it is read each time.
    device.characteristic(HUM).set(Buffer.from([0x10, 0x27]));
    expect(valueOf(await d.read(), 'humidity')).toBe(100);
  });

  it('writes an actuator and returns what the device reads back', async () => {
    const central = new SimulatedCentral();
    const writes: number[] = [];
    const device = new SimPeripheral({
      address: 'aa:00:00:00:00:01',
      services: [
        {
          uuid: ESS,
          characteristics: [
            { uuid: TEMP, properties: ['read'], value: Buffer.from([0, 0]) },
            { uuid: HUM, properties: ['read'], value: Buffer.from([0, 0]) },
            { uuid: LABEL, properties: ['read'], value: Buffer.from('x') },
            // The firmware caps the LED at 80 %: the read-back shows what was really applied.
            { uuid: LED, properties: ['read', 'write'], value: Buffer.from([0]), onWrite: (data) => (writes.push(data[0]!), device.characteristic(LED).set(Buffer.from([Math.min(80, data[0]!)]))) },
          ],
        },
      ],
    });
    central.addPeripheral(device);
    const d = driver(central);
    expect(await d.write('led', 42)).toBe(42);
    expect(await d.write('led', 95)).toBe(80);
    expect(writes).toEqual([42, 95]);
    expect(device.characteristic(LED).read()).toEqual(Buffer.from([80]));
    expect(await d.write('led', true)).toBe(true);
    expect(writes.at(-1)).toBe(1);
    await expect(d.write('temperature', 3)).rejects.toMatchObject({ code: 'ERR_CHANNEL_NOT_WRITABLE' });
    await expect(d.write('led', 300)).rejects.toMatchObject({ code: 'ERR_CHANNEL_NOT_WRITABLE' });
    await expect(d.write('nope', 1)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_CHANNEL' });
  });

  it('reconnects by itself after an unexpected disconnect: rediscovers, resubscribes, notifications flow again', async () => {
    const central = new SimulatedCentral();
    const device = central.addPeripheral(envNode('aa:00:00:00:00:01'));
    const d = driver(central);
    await d.connect();
    expect(d.connections).toBe(1);
    device.disconnect();
    await eventually(() => d.connections === 2 && d.connected);
    expect(device.characteristic(TEMP).subscribed).toBe(true);
    device.characteristic(TEMP).set(Buffer.from([0xe8, 0x03])); // 1000 → 10
    await eventually(async () => valueOf(await d.read(), 'temperature') === 10);
  });

  it('keeps trying while the device is away, and is back when it returns', async () => {
    const central = new SimulatedCentral();
    const device = central.addPeripheral(envNode('aa:00:00:00:00:01'));
    const d = driver(central);
    await d.connect();
    device.powerOff();
    await eventually(() => !d.connected);
    const started = Date.now();
    // A read while it is away fails typed and within its timeouts, never hangs.
    await expect(d.read()).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_BLE_(CONNECT|DEVICE_NOT_FOUND)$/) });
    expect(Date.now() - started).toBeLessThan(1_500);
    device.powerOn();
    await eventually(() => d.connected, 2_000);
    expect(valueOf(await d.read(), 'humidity')).toBe(47.64);
  });

  it('fails a read of a frozen device with ERR_BLE_TIMEOUT within its bound, then recovers on a fresh link', async () => {
    const central = new SimulatedCentral();
    const device = central.addPeripheral(envNode('aa:00:00:00:00:01'));
    const d = driver(central);
    await d.connect();
    device.hung = true;
    const started = Date.now();
    await expect(d.read()).rejects.toMatchObject({ code: 'ERR_BLE_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(600);
    device.hung = false;
    await eventually(async () => (await d.read().then(() => true, () => false)) && d.connections >= 2, 2_000);
  });

  it('refuses a device whose GATT table lacks a configured characteristic', async () => {
    const central = new SimulatedCentral();
    central.addPeripheral(envNode('aa:00:00:00:00:01'));
    const o = options();
    o.characteristics.push({ name: 'co2', uuid: '2b8c', role: 'sensor', type: 'co2', unit: 'ppm', format: 'uint16le' });
    await expect(driver(central, o).read()).rejects.toMatchObject({ code: 'ERR_BLE_CHARACTERISTIC', message: expect.stringContaining('2b8c') });
  });

  it('closes cleanly: unsubscribed, disconnected, no reconnect afterwards', async () => {
    const central = new SimulatedCentral();
    const device = central.addPeripheral(envNode('aa:00:00:00:00:01'));
    const d = driver(central);
    await d.connect();
    await d.close();
    expect(device.connected).toBe(false);
    expect(device.characteristic(TEMP).subscribed).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(device.connected).toBe(false);
    await expect(d.read()).rejects.toMatchObject({ code: 'ERR_BLE_DISCONNECTED' });
  });
});

describe('scanDependents', () => {
  it('returns every device advertising the service, as DetectDevice fields', async () => {
    const central = new SimulatedCentral();
    central.addPeripheral(envNode('aa:00:00:00:00:01', 'micro-1'));
    central.addPeripheral(envNode('aa:00:00:00:00:02', 'micro-2'));
    central.addPeripheral(envNode('aa:00:00:00:00:03', 'battery', '180f'));
    const found = await scanDependents(central, ESS, 50);
    expect(found.map((f) => [f.localId, f.boardType, f.address])).toEqual([
      ['aa0000000001', 'micro-1', 'aa:00:00:00:00:01'],
      ['aa0000000002', 'micro-2', 'aa:00:00:00:00:02'],
    ]);
    expect(central.scanning).toBe(false);
    expect(central.listenerCount('discover')).toBe(0);
    const typed = await scanDependents(central, ESS, 30, { boardType: 'microbit' });
    expect(typed.every((f) => f.boardType === 'microbit')).toBe(true);
  });

  it('serialises concurrent scans on one central instead of letting one stop the other', async () => {
    const central = new SimulatedCentral();
    central.addPeripheral(envNode('aa:00:00:00:00:01'));
    const [a, b] = await Promise.all([scanDependents(central, ESS, 30), scanDependents(central, ESS, 30)]);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
  });
});
