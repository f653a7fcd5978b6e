import { EventEmitter } from 'node:events';
import { normalizeUuid, type GattProperty } from './ble.js';

/**
 * The device side of a simulated BLE peripheral: its advertisement, its GATT table and what its
 * firmware does on reads and writes. A `SimulatedCentral` (simulatedBle.ts) reaches it only the
 * way a radio would: connect, discover, read, write, subscribe; the peripheral can drop the link
 * on its own (`disconnect()`), vanish (`powerOff()`) or freeze (`hung`), which is how tests
 * inject the faults real devices have.
 */

export interface SimCharacteristicSpec {
  uuid: string;
  properties: GattProperty[];
  /** The stored value, or a source sampled on every read and notification tick. */
  value?: Buffer | (() => Buffer);
  /** While a central is subscribed, notify the source's value this often. */
  notifyEveryMs?: number;
  /** What the firmware does with a write (after the value is stored). */
  onWrite?: (data: Buffer, withoutResponse: boolean) => void;
}

export interface SimServiceSpec {
  uuid: string;
  characteristics: SimCharacteristicSpec[];
}

export interface SimPeripheralSpec {
  /** Like noble's id on Linux: the address without colons. Default: derived from `address`. */
  id?: string;
  address: string;
  localName?: string;
  /** Advertised service UUIDs; default: every service's UUID. */
  serviceUuids?: string[];
  services: SimServiceSpec[];
  rssi?: number;
  /** Delay of every GATT answer and notification. Default 0 (next turn of the event loop). */
  latencyMs?: number;
}

/** What a connected central gives the peripheral to reach back (notifications, link loss). */
export interface SimLink {
  deliver(serviceUuid: string, characteristicUuid: string, data: Buffer): void;
  drop(reason: number): void;
}

export class SimCharacteristic {
  readonly uuid: string;
  readonly properties: readonly GattProperty[];
  subscribed = false;
  private stored: Buffer;
  private readonly source: (() => Buffer) | undefined;
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    readonly serviceUuid: string,
    private readonly spec: SimCharacteristicSpec,
    private readonly owner: SimPeripheral,
  ) {
    this.uuid = normalizeUuid(spec.uuid);
    this.properties = [...spec.properties];
    this.source = typeof spec.value === 'function' ? spec.value : undefined;
    this.stored = Buffer.isBuffer(spec.value) ? Buffer.from(spec.value) : Buffer.alloc(0);
  }

  /** The value a read returns now. */
  read(): Buffer {
    return this.source ? this.source() : Buffer.from(this.stored);
  }

  /** A write from the central: stored, then handed to the firmware. */
  write(data: Buffer, withoutResponse: boolean): void {
    this.stored = Buffer.from(data);
    this.spec.onWrite?.(Buffer.from(data), withoutResponse);
  }

  /** The firmware changes the value; subscribers are notified. */
  set(data: Buffer): void {
    this.stored = Buffer.from(data);
    this.notify(data);
  }

  /** Sends a notification if a central is subscribed; otherwise it is lost, as on air. */
  notify(data: Buffer): boolean {
    if (!this.subscribed) return false;
    return this.owner.notifyFrom(this, Buffer.from(data));
  }

  setSubscribed(on: boolean): void {
    this.subscribed = on;
    clearInterval(this.ticker);
    this.ticker = undefined;
    if (on && this.spec.notifyEveryMs !== undefined) {
      this.ticker = setInterval(() => this.notify(this.read()), this.spec.notifyEveryMs);
      this.ticker.unref();
    }
  }
}

export class SimPeripheral extends EventEmitter {
  readonly id: string;
  readonly address: string;
  readonly localName: string | undefined;
  readonly advertisedServiceUuids: string[];
  readonly rssi: number;
  latencyMs: number;
  /** A frozen firmware: GATT requests are never answered (the link stays up). */
  hung = false;
  private powered = true;
  private advertisingOn = true;
  private link: SimLink | null = null;
  readonly services = new Map<string, Map<string, SimCharacteristic>>();

  constructor(spec: SimPeripheralSpec) {
    super();
    this.address = spec.address.toLowerCase();
    this.id = spec.id ?? this.address.replace(/:/g, '');
    this.localName = spec.localName;
    this.rssi = spec.rssi ?? -60;
    this.latencyMs = spec.latencyMs ?? 0;
    for (const s of spec.services) {
      const uuid = normalizeUuid(s.uuid);
      this.services.set(uuid, new Map(s.characteristics.map((c) => [normalizeUuid(c.uuid), new SimCharacteristic(uuid, c, this)])));
    }
    this.advertisedServiceUuids = (spec.serviceUuids ?? spec.services.map((s) => s.uuid)).map(normalizeUuid);
  }

  characteristic(uuid: string): SimCharacteristic {
    const u = normalizeUuid(uuid);
    for (const chars of this.services.values()) {
      const c = chars.get(u);
      if (c) return c;
    }
    throw new Error(`simulated peripheral ${this.id} has no characteristic ${uuid}`);
  }

  get connected(): boolean {
    return this.link !== null;
  }

  /** Seen by scans and accepts a connection: powered, advertising, and (single-link, like most peripherals) not connected. */
  get connectable(): boolean {
    return this.powered && this.advertisingOn && this.link === null;
  }

  /** Drops the link from the peripheral's side: the unexpected disconnect a central must survive. */
  disconnect(reason = 0x13): void {
    this.link?.drop(reason);
  }

  setAdvertising(on: boolean): void {
    this.advertisingOn = on;
    if (this.connectable) this.emit('advertise');
  }

  /** Out of range or out of battery: the link drops and nothing answers until `powerOn()`. */
  powerOff(): void {
    this.powered = false;
    this.disconnect(0x08);
  }

  powerOn(): void {
    this.powered = true;
    if (this.connectable) this.emit('advertise');
  }

  // ---- used by the simulated central ----

  attach(link: SimLink): void {
    this.link = link;
  }

  /** Called by the central once the link is gone (either side ended it): subscriptions end with it. */
  detach(): void {
    this.link = null;
    for (const chars of this.services.values()) for (const c of chars.values()) c.setSubscribed(false);
    this.emit('disconnected');
    if (this.connectable) this.emit('advertise');
  }

  notifyFrom(c: SimCharacteristic, data: Buffer): boolean {
    if (!this.link) return false;
    this.link.deliver(c.serviceUuid, c.uuid, data);
    return true;
  }
}
