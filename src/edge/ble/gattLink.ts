import { normalizeUuid, withTimeout, type BleCentral, type BleCharacteristic, type BlePeripheral } from './ble.js';
import { BleConnectError, BleDisconnectedError, BleTimeoutError } from './errors.js';
import { findPeripheral, type PeripheralFilter } from './scan.js';

/**
 * One connection to one peripheral, with every GATT call bounded twice: by a timeout, and by the
 * link itself, so a call pending when the device drops fails at once with `BleDisconnectedError`
 * instead of hanging (noble's own promises would never settle). Shared by the GATT driver and the
 * OTA sender.
 */
export class GattLink {
  readonly characteristics = new Map<string, BleCharacteristic>();
  private lostWith: Error | undefined;
  private closing: Promise<void> = Promise.resolve();
  private readonly lostListeners = new Set<(e: Error) => void>();
  private readonly onDisconnect = (reason: unknown) => this.markLost(new BleDisconnectedError(this.label, reason));

  constructor(
    readonly peripheral: BlePeripheral,
    readonly label: string,
    private readonly opTimeoutMs: number,
  ) {
    peripheral.on('disconnect', this.onDisconnect);
  }

  get lost(): Error | undefined {
    return this.lostWith;
  }

  /** Called once when the link is gone (device dropped it, or `close()`); returns an unsubscribe. */
  onLost(listener: (e: Error) => void): () => void {
    if (this.lostWith) {
      listener(this.lostWith);
      return () => undefined;
    }
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  characteristic(uuid: string): BleCharacteristic | undefined {
    return this.characteristics.get(normalizeUuid(uuid));
  }

  /** One GATT call, failing with `BleTimeoutError` after `timeoutMs` or `BleDisconnectedError` as soon as the link drops. */
  call<T>(op: string, start: () => Promise<T>, timeoutMs = this.opTimeoutMs): Promise<T> {
    if (this.lostWith) return Promise.reject(this.lostWith);
    let unsubscribe = () => undefined as unknown;
    const lost = new Promise<never>((_, reject) => {
      unsubscribe = this.onLost(reject);
    });
    const bounded = withTimeout(start(), timeoutMs, () => new BleTimeoutError(op, timeoutMs, { device: this.label }));
    return Promise.race([bounded, lost]).finally(() => unsubscribe());
  }

  markLost(e: Error): void {
    if (this.lostWith) return;
    this.lostWith = e;
    this.peripheral.removeListener('disconnect', this.onDisconnect);
    for (const l of [...this.lostListeners]) l(e);
    this.lostListeners.clear();
  }

  /** Ends the link from our side; bounded, and quiet if it is already gone. */
  close(timeoutMs = this.opTimeoutMs): Promise<void> {
    if (this.lostWith === undefined) {
      // Set before markLost, so a listener reconnecting on loss can wait for the disconnect to finish.
      this.closing = disconnectQuietly(this.peripheral, timeoutMs);
      this.markLost(new BleDisconnectedError(this.label, 'closed by the central'));
    }
    return this.closing;
  }

  /** Resolves once a close in progress has finished (at once if none). */
  settled(): Promise<void> {
    return this.closing;
  }
}

export const peripheralLabel = (p: BlePeripheral): string => (p.advertisement.localName ? `${p.advertisement.localName} (${p.address || p.id})` : p.address || p.id);

export async function disconnectQuietly(p: BlePeripheral, timeoutMs: number): Promise<void> {
  await withTimeout(p.disconnectAsync(), timeoutMs, () => new BleTimeoutError('disconnect', timeoutMs)).catch(() => undefined);
}

/** Connects, bounded: on timeout the pending connect is cancelled (noble would retry it forever). */
export async function connectPeripheral(p: BlePeripheral, timeoutMs: number): Promise<void> {
  try {
    await withTimeout(p.connectAsync(), timeoutMs, () => new BleTimeoutError('connect', timeoutMs, { device: peripheralLabel(p) }));
  } catch (e) {
    if (e instanceof BleTimeoutError) p.cancelConnect();
    throw new BleConnectError(peripheralLabel(p), e);
  }
}

export interface OpenGattLinkOptions {
  filter: PeripheralFilter;
  /** A peripheral found before (noble keeps one object per device): connect to it without scanning. */
  peripheral?: BlePeripheral;
  serviceUuids: string[];
  characteristicUuids: string[];
  scanTimeoutMs: number;
  connectTimeoutMs: number;
  opTimeoutMs: number;
}

/** Finds (unless given), connects and discovers: a link whose characteristics are keyed by UUID. */
export async function openGattLink(central: BleCentral, opts: OpenGattLinkOptions): Promise<GattLink> {
  const peripheral = opts.peripheral ?? (await findPeripheral(central, opts.filter, opts.scanTimeoutMs));
  await connectPeripheral(peripheral, opts.connectTimeoutMs);
  const link = new GattLink(peripheral, peripheralLabel(peripheral), opts.opTimeoutMs);
  // A drop between the connect answer and the listener above would otherwise go unnoticed.
  if (peripheral.state !== 'connected') link.markLost(new BleDisconnectedError(link.label, 'dropped while connecting'));
  try {
    const { characteristics } = await link.call('discover', () =>
      peripheral.discoverSomeServicesAndCharacteristicsAsync(opts.serviceUuids.map(normalizeUuid), opts.characteristicUuids.map(normalizeUuid)),
    );
    for (const c of characteristics) link.characteristics.set(normalizeUuid(c.uuid), c);
    return link;
  } catch (e) {
    await link.close();
    throw e;
  }
}
