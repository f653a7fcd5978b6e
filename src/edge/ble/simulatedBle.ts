import { EventEmitter } from 'node:events';
import { normalizeUuid, type BleCentral, type BleCharacteristic, type BlePeripheral, type BleService, type BleState, type PeripheralState } from './ble.js';
import type { SimCharacteristic, SimPeripheral } from './simulatedPeripheral.js';

/**
 * A simulated BLE central speaking GATT to `SimPeripheral`s through the noble-shaped port, with
 * noble's habits kept on purpose (see ble.ts): requests on a dropped link never settle, a connect
 * to an absent device waits until it advertises again (or `cancelConnect()`), characteristic
 * objects from an earlier connection are dead, subscriptions end with the link.
 */

const later = (ms: number, fn: () => void): void => {
  if (ms > 0) setTimeout(fn, ms);
  else setImmediate(fn);
};

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

const REMOTE_USER_TERMINATED = 0x13;
const LOCAL_HOST_TERMINATED = 0x16;

class SimulatedCharacteristicHandle extends EventEmitter implements BleCharacteristic {
  readonly uuid: string;
  readonly properties: string[];
  readonly name = null;
  readonly type = null;

  constructor(
    private readonly owner: SimulatedPeripheralHandle,
    private readonly target: SimCharacteristic,
    readonly generation: number,
  ) {
    super();
    this.uuid = target.uuid;
    this.properties = [...target.properties];
  }

  readAsync(): Promise<Buffer> {
    return this.owner.request(this.generation, () => {
      this.require(['read'], 'read');
      const data = this.target.read();
      // noble emits a read's result as `data` too, before the callback.
      this.emit('data', Buffer.from(data), false);
      return Buffer.from(data);
    });
  }

  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void> {
    if (!(data instanceof Uint8Array)) return Promise.reject(new Error('data must be a Buffer or Uint8Array'));
    const copy = Buffer.from(data);
    const apply = () => {
      this.require([withoutResponse ? 'writeWithoutResponse' : 'write'], withoutResponse ? 'write without response' : 'write');
      this.target.write(copy, withoutResponse);
    };
    if (!withoutResponse) return this.owner.request(this.generation, apply);
    // Without response the central only knows the packet left: it resolves now, the device handles it later.
    void this.owner.request(this.generation, apply).catch(() => undefined);
    return this.owner.state === 'connected' && this.generation === this.owner.generation ? Promise.resolve() : never();
  }

  subscribeAsync(): Promise<void> {
    return this.owner.request(this.generation, () => {
      this.require(['notify', 'indicate'], 'subscribe');
      this.target.setSubscribed(true);
    });
  }

  unsubscribeAsync(): Promise<void> {
    return this.owner.request(this.generation, () => this.target.setSubscribed(false));
  }

  private require(any: string[], op: string): void {
    if (!any.some((p) => this.properties.includes(p))) throw new Error(`ATT error: ${op} not permitted on characteristic ${this.uuid}`);
  }
}

class SimulatedPeripheralHandle extends EventEmitter implements BlePeripheral {
  readonly id: string;
  readonly uuid: string;
  readonly address: string;
  readonly addressType = 'public';
  readonly connectable = true;
  readonly advertisement: { localName?: string; serviceUuids: string[] };
  readonly mtu = null;
  state: PeripheralState = 'disconnected';
  /** Bumped on every connect and disconnect: answers meant for another link never arrive. */
  generation = 0;
  private cancelPending: (() => void) | undefined;
  /** The device is attached to this central (a link exists), whatever `state` says meanwhile. */
  private linked = false;
  /** The characteristic objects of the latest discovery, which notifications reach (noble replaces them per discovery). */
  private readonly latest = new Map<string, SimulatedCharacteristicHandle>();

  constructor(
    readonly device: SimPeripheral,
    private readonly central: SimulatedCentral,
  ) {
    super();
    this.id = device.id;
    this.uuid = device.id;
    this.address = device.address;
    this.advertisement = { ...(device.localName === undefined ? {} : { localName: device.localName }), serviceUuids: [...device.advertisedServiceUuids] };
  }

  get rssi(): number {
    return this.device.rssi;
  }

  connectAsync(): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.state = 'connecting';
      const attempt = () => {
        if (this.state !== 'connecting') return;
        if (!this.device.connectable || this.central.state !== 'poweredOn') {
          this.device.once('advertise', attempt);
          return;
        }
        this.cancelPending = undefined;
        this.generation++;
        this.state = 'connected';
        this.linked = true;
        const generation = this.generation;
        this.device.attach({
          deliver: (service, characteristic, data) => {
            const handle = this.latest.get(`${service}/${characteristic}`);
            later(this.device.latencyMs, () => {
              if (handle && this.generation === generation) handle.emit('data', data, true);
            });
          },
          drop: (reason) => this.linkLost(reason),
        });
        resolve();
      };
      this.cancelPending = () => {
        this.device.removeListener('advertise', attempt);
        this.state = 'disconnected';
        reject(new Error('connection canceled!'));
      };
      later(this.device.latencyMs, attempt);
    });
  }

  cancelConnect(): void {
    if (this.state !== 'connecting') return;
    const cancel = this.cancelPending;
    this.cancelPending = undefined;
    cancel?.();
  }

  disconnectAsync(): Promise<void> {
    if (this.state !== 'connected') return Promise.resolve();
    this.state = 'disconnecting';
    return new Promise<void>((resolve) => {
      this.once('disconnect', () => resolve());
      later(this.device.latencyMs, () => this.linkLost(LOCAL_HOST_TERMINATED));
    });
  }

  discoverSomeServicesAndCharacteristicsAsync(serviceUuids: string[], characteristicUuids: string[]): Promise<{ services: BleService[]; characteristics: BleCharacteristic[] }> {
    const wantS = new Set(serviceUuids.map(normalizeUuid));
    const wantC = new Set(characteristicUuids.map(normalizeUuid));
    const generation = this.generation;
    return this.request(generation, () => {
      const services: BleService[] = [];
      const characteristics: BleCharacteristic[] = [];
      for (const [uuid, chars] of this.device.services) {
        if (wantS.size > 0 && !wantS.has(uuid)) continue;
        services.push({ uuid });
        for (const c of chars.values()) {
          if (wantC.size > 0 && !wantC.has(c.uuid)) continue;
          const handle = new SimulatedCharacteristicHandle(this, c, generation);
          this.latest.set(`${uuid}/${c.uuid}`, handle);
          characteristics.push(handle);
        }
      }
      return { services, characteristics };
    });
  }

  /** One GATT request: answered after the device's latency, or never (link gone, stale object, frozen device). */
  request<T>(generation: number, answer: () => T): Promise<T> {
    if (this.state !== 'connected' || generation !== this.generation) return never();
    return new Promise<T>((resolve, reject) => {
      later(this.device.latencyMs, () => {
        if (generation !== this.generation || this.device.hung) return;
        try {
          resolve(answer());
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  linkLost(reason: number): void {
    if (!this.linked) return;
    this.linked = false;
    this.generation++;
    // A connect issued while this link was going down stays pending; the device advertises again on detach.
    if (this.state !== 'connecting') this.state = 'disconnected';
    this.latest.clear();
    this.device.detach();
    setImmediate(() => this.emit('disconnect', reason));
  }
}

export interface SimulatedCentralOptions {
  state?: BleState;
  /** How often an advertising device is reported again while scanning with `allowDuplicates`. */
  advertisingIntervalMs?: number;
}

export class SimulatedCentral extends EventEmitter implements BleCentral {
  private current: BleState;
  private readonly handles = new Map<string, SimulatedPeripheralHandle>();
  private scan: { filter: Set<string>; allowDuplicates: boolean; seen: Set<string>; ticker: NodeJS.Timeout | undefined } | null = null;
  private readonly advertisingIntervalMs: number;

  constructor(opts: SimulatedCentralOptions = {}) {
    super();
    this.current = opts.state ?? 'poweredOn';
    this.advertisingIntervalMs = opts.advertisingIntervalMs ?? 100;
  }

  get state(): BleState {
    return this.current;
  }

  get scanning(): boolean {
    return this.scan !== null;
  }

  /** The adapter changes state; anything but poweredOn ends scans and links. */
  setState(state: BleState): void {
    this.current = state;
    if (state !== 'poweredOn') {
      this.endScan();
      for (const h of this.handles.values()) h.linkLost(LOCAL_HOST_TERMINATED);
    }
    this.emit('stateChange', state);
  }

  addPeripheral(device: SimPeripheral): SimPeripheral {
    if (this.handles.has(device.id)) throw new Error(`simulated peripheral ${device.id} is already added`);
    this.handles.set(device.id, new SimulatedPeripheralHandle(device, this));
    device.on('advertise', () => this.seen(device));
    if (this.scan) later(device.latencyMs, () => this.seen(device));
    return device;
  }

  /** The central-side object for a device, as `discover` hands it out. */
  peripheral(id: string): BlePeripheral | undefined {
    return this.handles.get(id);
  }

  startScanningAsync(serviceUuids: string[] = [], allowDuplicates = false): Promise<void> {
    if (this.current !== 'poweredOn') return Promise.reject(new Error(`Could not start scanning, state is ${this.current} (not poweredOn)`));
    this.endScan();
    const scan = { filter: new Set(serviceUuids.map(normalizeUuid)), allowDuplicates, seen: new Set<string>(), ticker: undefined as NodeJS.Timeout | undefined };
    this.scan = scan;
    for (const h of this.handles.values()) later(h.device.latencyMs, () => this.seen(h.device));
    if (allowDuplicates) {
      scan.ticker = setInterval(() => {
        for (const h of this.handles.values()) this.seen(h.device);
      }, this.advertisingIntervalMs);
      scan.ticker.unref();
    }
    this.emit('scanStart', !allowDuplicates);
    return Promise.resolve();
  }

  stopScanningAsync(): Promise<void> {
    this.endScan();
    this.emit('scanStop');
    return Promise.resolve();
  }

  private endScan(): void {
    clearInterval(this.scan?.ticker);
    this.scan = null;
  }

  private seen(device: SimPeripheral): void {
    const scan = this.scan;
    const handle = this.handles.get(device.id);
    if (!scan || !handle || !device.connectable) return;
    if (scan.filter.size > 0 && !device.advertisedServiceUuids.some((u) => scan.filter.has(u))) return;
    if (!scan.allowDuplicates && scan.seen.has(device.id)) return;
    scan.seen.add(device.id);
    this.emit('discover', handle);
  }
}
