import { describe, expect, it } from 'vitest';
import type { BleCharacteristic, BlePeripheral } from './ble.js';
import { SimulatedCentral } from './simulatedBle.js';
import { SimPeripheral } from './simulatedPeripheral.js';

/** The simulator keeps noble's habits (ble.ts): these tests pin them, since the driver and the OTA sender are built around them. */

const ESS = '181a';
const TEMP = '2a6e';

function thermometer(address = 'aa:bb:cc:00:00:01', service = ESS) {
  return new SimPeripheral({
    address,
    localName: 'thermo',
    services: [{ uuid: service, characteristics: [{ uuid: TEMP, properties: ['read', 'notify'], value: Buffer.from([0x35, 0x08]) }] }],
  });
}

function discover(central: SimulatedCentral, services: string[] = []): Promise<BlePeripheral> {
  return new Promise((resolve) => {
    central.on('discover', resolve);
    void central.startScanningAsync(services, false);
  });
}

/** Whether a promise is still pending after `ms` (the simulator, like noble, leaves some for ever). */
const settlesWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

async function connected(central: SimulatedCentral): Promise<{ p: BlePeripheral; temp: BleCharacteristic }> {
  const p = await discover(central, [ESS]);
  await central.stopScanningAsync();
  await p.connectAsync();
  const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([ESS], [TEMP]);
  return { p, temp: characteristics[0]! };
}

describe('SimulatedCentral (noble-shaped)', () => {
  it('refuses to scan unless poweredOn, as noble does', async () => {
    const central = new SimulatedCentral({ state: 'poweredOff' });
    await expect(central.startScanningAsync([], false)).rejects.toThrow(/not poweredOn/);
  });

  it('discovers only devices advertising a wanted service, once per scan, as the same object each time', async () => {
    const central = new SimulatedCentral();
    central.addPeripheral(thermometer('aa:bb:cc:00:00:01'));
    central.addPeripheral(thermometer('aa:bb:cc:00:00:02', '180f'));
    const seen: BlePeripheral[] = [];
    central.on('discover', (p: BlePeripheral) => seen.push(p));
    await central.startScanningAsync(['0000181A-0000-1000-8000-00805F9B34FB'], false);
    await new Promise((r) => setTimeout(r, 30));
    await central.stopScanningAsync();
    await central.startScanningAsync([ESS], false);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen.map((p) => p.id)).toEqual(['aabbcc000001', 'aabbcc000001']);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]!.advertisement).toEqual({ localName: 'thermo', serviceUuids: [ESS] });
  });

  it('reports a device again and again while scanning with allowDuplicates, and stops with the scan', async () => {
    const central = new SimulatedCentral({ advertisingIntervalMs: 10 });
    central.addPeripheral(thermometer());
    let seen = 0;
    central.on('discover', () => seen++);
    await central.startScanningAsync([ESS], true);
    await new Promise((r) => setTimeout(r, 60));
    await central.stopScanningAsync();
    const atStop = seen;
    expect(atStop).toBeGreaterThan(2);
    await new Promise((r) => setTimeout(r, 40));
    expect(seen).toBe(atStop);
  });

  it('reads (also emitting data with isNotification=false) and notifies subscribers (isNotification=true)', async () => {
    const central = new SimulatedCentral();
    const device = central.addPeripheral(thermometer());
    const { temp } = await connected(central);
    const events: [string, boolean][] = [];
    temp.on('data', (d, n) => events.push([d.toString('hex'), n]));
    expect((await temp.readAsync()).readInt16LE(0)).toBe(2101);
    await temp.subscribeAsync();
    device.characteristic(TEMP).set(Buffer.from([0x3f, 0x08]));
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([
      ['3508', false],
      ['3f08', true],
    ]);
  });

  it('leaves a request pending for ever when the link drops under it, and reports the disconnect', async () => {
    const central = new SimulatedCentral();
    const device = central.addPeripheral(thermometer());
    device.latencyMs = 20;
    const { p, temp } = await connected(central);
    const reasons: unknown[] = [];
    p.on('disconnect', (r) => reasons.push(r));
    const read = temp.readAsync();
    device.disconnect();
    expect(await settlesWithin(read, 80)).toBe(false);
    expect(reasons).toEqual([0x13]);
    expect(p.state).toBe('disconnected');
    expect(device.connected).toBe(false);
  });

  it('kills characteristic objects of an earlier connection and ends subscriptions with the link', async () => {
    const central = new SimulatedCentral();
    const device = central.addPeripheral(thermometer());
    const first = await connected(central);
    await first.temp.subscribeAsync();
    expect(device.characteristic(TEMP).subscribed).toBe(true);
    device.disconnect();
    await new Promise((r) => setImmediate(r));
    expect(device.characteristic(TEMP).subscribed).toBe(false);
    await first.p.connectAsync();
    expect(await settlesWithin(first.temp.readAsync(), 50)).toBe(false);
    const { characteristics } = await first.p.discoverSomeServicesAndCharacteristicsAsync([ESS], [TEMP]);
    expect((await characteristics[0]!.readAsync()).length).toBe(2);
  });

  it('keeps a connect to an absent device pending until it is back, or until cancelConnect', async () => {
    const central = new SimulatedCentral();
    const device = central.addPeripheral(thermometer());
    const p = await discover(central);
    device.powerOff();
    const waiting = p.connectAsync();
    expect(await settlesWithin(waiting, 40)).toBe(false);
    device.powerOn();
    await waiting;
    expect(p.state).toBe('connected');
    await p.disconnectAsync();
    device.powerOff();
    const cancelled = p.connectAsync();
    p.cancelConnect();
    await expect(cancelled).rejects.toThrow(/canceled/);
    expect(p.state).toBe('disconnected');
  });

  it('refuses operations a characteristic does not allow, like an ATT error', async () => {
    const central = new SimulatedCentral();
    central.addPeripheral(thermometer());
    const { temp } = await connected(central);
    await expect(temp.writeAsync(Buffer.from([1]), false)).rejects.toThrow(/not permitted/);
  });

  it('answers nothing while the device is hung', async () => {
    const central = new SimulatedCentral();
    const device = central.addPeripheral(thermometer());
    const { temp } = await connected(central);
    device.hung = true;
    expect(await settlesWithin(temp.readAsync(), 40)).toBe(false);
  });
});
