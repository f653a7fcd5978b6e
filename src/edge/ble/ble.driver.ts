import { createLogger, type Logger } from '../../shared/logger.js';
import type { ChannelInfo, ChannelValue, DeviceDriver, Reading } from '../driver.js';
import type { BleCentral, BleCharacteristic, BlePeripheral } from './ble.js';
import { parseGattOptions, type ParsedGattOptions } from './ble.options.js';
import { BleCharacteristicError, BleDisconnectedError, BleTimeoutError, BleValueError, ChannelNotWritableError, UnknownChannelError, messageOf } from './errors.js';
import { gattCodec, type GattCodec } from './gattFormat.js';
import { openGattLink, type GattLink } from './gattLink.js';

export { scanDependents, type FoundDependent, type ScanDependentsOptions } from './scan.js';

/**
 * The generic GATT driver (`gatt`): a BLE sensor/actuator whose channels are characteristics,
 * each decoded by its format and scale. Notifying characteristics are subscribed and their latest
 * value cached; the others are read on every sample. Actuators are written, then read back.
 * After an unexpected disconnect it reconnects in the background (backing off), rediscovers and
 * resubscribes; a read while the device is away tries once and fails typed, never hangs.
 */
export const GATT_DRIVER = 'gatt';

type Channel = ParsedGattOptions['characteristics'][number] & { codec: GattCodec };

const can = (c: BleCharacteristic, ...props: string[]) => props.some((p) => c.properties.includes(p));

export class GattDriver implements DeviceDriver {
  readonly driver = GATT_DRIVER;
  readonly channels: readonly ChannelInfo[];
  /** Connections made so far: 1 after the first, one more per reconnect. */
  connections = 0;
  private readonly opts: ParsedGattOptions;
  private readonly byName: Map<string, Channel>;
  private readonly log: Logger;
  private peripheral: BlePeripheral | undefined;
  private link: GattLink | undefined;
  private connecting: Promise<GattLink> | undefined;
  private readonly subscribed = new Set<string>();
  private readonly latest = new Map<string, ChannelValue>();
  private detach: (() => void)[] = [];
  private closed = false;
  /** Set once connected: from then on the driver keeps reconnecting by itself. */
  private wanted = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retries = 0;
  /** The last link lost: a new connect waits until it is fully down (connecting while disconnecting confuses stacks). */
  private previous: GattLink | undefined;

  constructor(
    private readonly central: BleCentral,
    options: unknown,
    deps: { logger?: Logger } = {},
  ) {
    this.opts = parseGattOptions(options);
    this.byName = new Map(this.opts.characteristics.map((c) => [c.name, { ...c, codec: gattCodec(c.name, c.format, c.scale) }]));
    this.channels = this.opts.characteristics.map(({ name, role, type, unit }) => ({ name, role, type, unit }));
    const { serviceUuid, localName, address } = this.opts;
    this.log = (deps.logger ?? createLogger()).child({ component: 'ble-gatt', serviceUuid, localName, address });
  }

  get connected(): boolean {
    return this.link !== undefined && this.link.lost === undefined;
  }

  /** Connects now rather than at the first read. */
  async connect(): Promise<void> {
    await this.ensure();
  }

  async read(): Promise<Reading[]> {
    const link = await this.ensure();
    const readings: Reading[] = [];
    for (const ch of this.byName.values()) {
      const cached = this.latest.get(ch.name);
      if (this.subscribed.has(ch.name) && cached !== undefined) {
        readings.push({ channel: ch.name, value: cached });
        continue;
      }
      const c = link.characteristic(ch.uuid)!;
      if (!can(c, 'read')) continue; // notify-only, nothing notified yet
      readings.push({ channel: ch.name, value: await this.readValue(link, ch, c, 'read') });
    }
    return readings;
  }

  async write(channel: string, value: ChannelValue): Promise<ChannelValue> {
    const ch = this.byName.get(channel);
    if (!ch) throw new UnknownChannelError(GATT_DRIVER, channel);
    if (ch.role !== 'actuator') throw new ChannelNotWritableError(GATT_DRIVER, channel, 'it is a sensor');
    let data: Buffer;
    try {
      data = ch.codec.encode(value);
    } catch (e) {
      throw new ChannelNotWritableError(GATT_DRIVER, channel, messageOf(e));
    }
    const link = await this.ensure();
    const c = link.characteristic(ch.uuid)!;
    await this.guard(link, link.call('write', () => c.writeAsync(data, !can(c, 'write'))));
    const back = await this.readValue(link, ch, c, 'read back');
    return typeof value === 'boolean' ? back !== 0 : back;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const link = this.link;
    this.forget();
    if (!link) return;
    for (const name of this.subscribed) {
      const c = link.characteristic(this.byName.get(name)!.uuid);
      if (c) await link.call('unsubscribe', () => c.unsubscribeAsync()).catch(() => undefined);
    }
    await link.close();
  }

  private async readValue(link: GattLink, ch: Channel, c: BleCharacteristic, op: string): Promise<number | string> {
    const value = ch.codec.decode(await this.guard(link, link.call(op, () => c.readAsync())));
    this.latest.set(ch.name, value);
    return value;
  }

  /** A call that timed out leaves the link suspect (noble may have lost it silently): drop it, so the next call reconnects. */
  private async guard<T>(link: GattLink, call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (e) {
      if (e instanceof BleTimeoutError) {
        this.log.warn({ err: e }, 'GATT call timed out; dropping the link');
        void link.close();
      }
      throw e;
    }
  }

  private ensure(): Promise<GattLink> {
    if (this.closed) return Promise.reject(new BleDisconnectedError(this.describe(), 'driver closed'));
    if (this.link && !this.link.lost) return Promise.resolve(this.link);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<GattLink> {
    const o = this.opts;
    const filter = { serviceUuid: o.serviceUuid, ...(o.localName ? { localName: o.localName } : {}), ...(o.address ? { address: o.address } : {}) };
    const chars = [...this.byName.values()];
    await this.previous?.settled();
    let link: GattLink;
    try {
      link = await openGattLink(this.central, {
        filter,
        ...(this.peripheral ? { peripheral: this.peripheral } : {}),
        serviceUuids: [...new Set(chars.map((c) => c.serviceUuid))],
        characteristicUuids: chars.map((c) => c.uuid),
        scanTimeoutMs: o.scanTimeoutMs,
        connectTimeoutMs: o.connectTimeoutMs,
        opTimeoutMs: o.opTimeoutMs,
      });
    } catch (e) {
      this.peripheral = undefined; // gone or moved: scan again next time
      if (this.wanted) this.scheduleReconnect();
      throw e;
    }
    this.peripheral = link.peripheral;
    try {
      await this.attach(link);
    } catch (e) {
      this.forget();
      await link.close();
      if (this.wanted) this.scheduleReconnect();
      throw e;
    }
    if (this.closed) {
      this.forget();
      await link.close();
      throw new BleDisconnectedError(link.label, 'driver closed');
    }
    this.link = link;
    this.wanted = true;
    this.retries = 0;
    this.connections++;
    link.onLost((e) => this.lost(link, e));
    this.log.info({ device: link.label, connections: this.connections }, 'GATT device connected');
    return link;
  }

  /** Checks the GATT table against the options, listens, subscribes notifiers and seeds their cache. */
  private async attach(link: GattLink): Promise<void> {
    const device = link.label;
    for (const ch of this.byName.values()) {
      const c = link.characteristic(ch.uuid);
      if (!c) throw new BleCharacteristicError(device, ch.uuid, `not found in service ${ch.serviceUuid}`);
      if (ch.role === 'sensor' && !can(c, 'read', 'notify', 'indicate')) throw new BleCharacteristicError(device, ch.uuid, 'a sensor must be readable or notify');
      if (ch.role === 'actuator' && !(can(c, 'read') && can(c, 'write', 'writeWithoutResponse'))) {
        throw new BleCharacteristicError(device, ch.uuid, 'an actuator must be writable and readable (to read back what it applied)');
      }
      const onData = (data: Buffer) => {
        try {
          this.latest.set(ch.name, ch.codec.decode(data));
        } catch (e) {
          this.log.warn({ err: e instanceof BleValueError ? e : new BleValueError(ch.name, messageOf(e)), channel: ch.name }, 'undecodable value from the device');
        }
      };
      c.on('data', onData);
      this.detach.push(() => c.removeListener('data', onData));
      if (can(c, 'notify', 'indicate')) {
        await link.call('subscribe', () => c.subscribeAsync());
        this.subscribed.add(ch.name);
        // Seed the cache, so a sample right after (re)connecting is fresh rather than missing or stale.
        if (can(c, 'read')) await this.readValue(link, ch, c, 'read');
      }
    }
  }

  private forget(): void {
    for (const d of this.detach) d();
    this.detach = [];
    this.subscribed.clear();
    this.link = undefined;
  }

  private lost(link: GattLink, e: Error): void {
    if (this.link !== link) return;
    this.previous = link;
    this.forget();
    // What was cached came from a link that is gone; a later read must not pass it off as current.
    this.latest.clear();
    if (this.closed) return;
    this.log.warn({ err: e, device: link.label }, 'GATT device disconnected; reconnecting');
    this.scheduleReconnect(true);
  }

  private scheduleReconnect(now = false): void {
    if (this.closed || this.retryTimer) return;
    const delay = now ? 0 : Math.min(this.opts.reconnectDelayMs * 2 ** this.retries++, this.opts.reconnectMaxDelayMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed || this.connected || this.connecting) return;
      this.ensure().catch((e: unknown) => this.log.warn({ err: e }, 'GATT reconnect failed; will retry'));
    }, delay);
    this.retryTimer.unref();
  }

  private describe(): string {
    return this.opts.localName ?? this.opts.address ?? `service ${this.opts.serviceUuid}`;
  }
}

/** Makes the driver; bad options throw `BleDriverConfigError` here. It connects at the first read (or `connect()`). */
export function openGattDriver(central: BleCentral, options: unknown, deps: { logger?: Logger } = {}): GattDriver {
  return new GattDriver(central, options, deps);
}
