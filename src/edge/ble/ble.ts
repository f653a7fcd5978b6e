import { BleTimeoutError, BleUnavailableError, messageOf } from './errors.js';

/**
 * The BLE port: the subset of `@abandonware/noble` (1.9.2) the GATT driver and the OTA sender
 * use, with noble's names and signatures, so the real module is passed through as-is and the
 * simulated central (simulatedBle.ts) is interchangeable with it.
 *
 * Noble's behaviour that callers must design for, and that the simulator reproduces:
 * - scanning fails unless `state` is `poweredOn`;
 * - `discover` hands out the same peripheral object every time a device is seen;
 * - no operation ever times out: a connect to a device that is gone, or a read pending when the
 *   link drops, simply never settles (hence every call here is bounded by `withTimeout`);
 * - characteristic objects are replaced on every discovery, and subscriptions end with the
 *   connection, so after a reconnect everything is discovered and subscribed again;
 * - a read's result is also emitted as `data` with `isNotification = false`.
 * UUIDs are lower-case hex without dashes; SIG-assigned ones in their 16-bit form (`2a6e`).
 */
export type BleState = 'unknown' | 'resetting' | 'unsupported' | 'unauthorized' | 'poweredOff' | 'poweredOn';

export type GattProperty = 'broadcast' | 'read' | 'writeWithoutResponse' | 'write' | 'notify' | 'indicate' | 'authenticatedSignedWrites' | 'extendedProperties';

export interface BleCharacteristic {
  readonly uuid: string;
  /** GATT properties as noble names them: `read`, `write`, `writeWithoutResponse`, `notify`, `indicate`… */
  readonly properties: readonly string[];
  readAsync(): Promise<Buffer>;
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void>;
  subscribeAsync(): Promise<void>;
  unsubscribeAsync(): Promise<void>;
  on(event: 'data', listener: (data: Buffer, isNotification: boolean) => void): unknown;
  removeListener(event: 'data', listener: (data: Buffer, isNotification: boolean) => void): unknown;
}

export interface BleService {
  readonly uuid: string;
}

export interface BleAdvertisement {
  localName?: string;
  serviceUuids?: string[];
}

export type PeripheralState = 'error' | 'connecting' | 'connected' | 'disconnecting' | 'disconnected';

export interface BlePeripheral {
  /** noble: the address without colons on Linux, an opaque id on macOS. */
  readonly id: string;
  readonly address: string;
  readonly rssi: number;
  readonly state: PeripheralState;
  readonly advertisement: BleAdvertisement;
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  /** Stops a pending connect (noble retries a connect to an absent device forever). */
  cancelConnect(): void;
  discoverSomeServicesAndCharacteristicsAsync(serviceUuids: string[], characteristicUuids: string[]): Promise<{ services: BleService[]; characteristics: BleCharacteristic[] }>;
  /** noble passes the HCI reason (a number on Linux); its typings say string. */
  on(event: 'disconnect', listener: (reason: unknown) => void): unknown;
  removeListener(event: 'disconnect', listener: (reason: unknown) => void): unknown;
}

export interface BleCentral {
  readonly state: BleState;
  startScanningAsync(serviceUuids?: string[], allowDuplicates?: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
  on(event: 'stateChange', listener: (state: string) => void): unknown;
  on(event: 'discover', listener: (peripheral: BlePeripheral) => void): unknown;
  removeListener(event: 'stateChange', listener: (state: string) => void): unknown;
  removeListener(event: 'discover', listener: (peripheral: BlePeripheral) => void): unknown;
}

const BASE_UUID_TAIL = '00001000800000805f9b34fb';

/** Any spelling of a UUID (`0x2A6E`, `00002a6e-0000-1000-8000-00805f9b34fb`) in noble's form (`2a6e`). */
export function normalizeUuid(uuid: string): string {
  const hex = uuid.trim().toLowerCase().replace(/^0x/, '').replace(/-/g, '');
  if (hex.length === 32 && hex.startsWith('0000') && hex.endsWith(BASE_UUID_TAIL)) return hex.slice(4, 8);
  return hex;
}

export const isUuid = (uuid: string): boolean => /^([0-9a-f]{4}|[0-9a-f]{8}|[0-9a-f]{32})$/.test(normalizeUuid(uuid));

/** Bounds a promise that may never settle (noble's never do on their own). The timer is cleared either way. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const DEAD_STATES = new Set<string>(['unsupported', 'unauthorized']);

/** Resolves once the adapter is poweredOn; an adapter that cannot be (unsupported, unauthorized) or stays off fails typed. */
export function waitForPoweredOn(central: BleCentral, timeoutMs: number): Promise<void> {
  if (central.state === 'poweredOn') return Promise.resolve();
  if (DEAD_STATES.has(central.state)) return Promise.reject(new BleUnavailableError(`adapter state is ${central.state}`));
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      central.removeListener('stateChange', onState);
      if (err) reject(err);
      else resolve();
    };
    const onState = (state: string) => {
      if (state === 'poweredOn') done();
      else if (DEAD_STATES.has(state)) done(new BleUnavailableError(`adapter state is ${state}`));
    };
    const timer = setTimeout(() => done(new BleTimeoutError('waiting for poweredOn', timeoutMs, { state: central.state })), timeoutMs);
    central.on('stateChange', onState);
    // noble initialises its bindings when the first stateChange listener is added; it may already be on.
    if (central.state === 'poweredOn') done();
  });
}

export interface OpenNobleOptions {
  poweredOnTimeoutMs?: number;
  /** Loads the module; tests replace it. */
  importer?: () => Promise<unknown>;
}

/**
 * The real central: `@abandonware/noble`, imported only now (its import opens an HCI socket and
 * throws without an adapter: EAFNOSUPPORT in containers), then waited on until poweredOn.
 * Every way of not having Bluetooth ends in `BleUnavailableError`, never in a crash.
 */
export async function openNoble(opts: OpenNobleOptions = {}): Promise<BleCentral> {
  const importer = opts.importer ?? (() => import('@abandonware/noble'));
  let mod: unknown;
  try {
    mod = await importer();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new BleUnavailableError(`@abandonware/noble did not load (${typeof code === 'string' ? `${code}: ` : ''}${messageOf(e)})`, e);
  }
  const central = ((mod as { default?: unknown }).default ?? mod) as BleCentral;
  if (typeof central?.startScanningAsync !== 'function' || typeof central.on !== 'function') {
    throw new BleUnavailableError('@abandonware/noble loaded without a central (startScanningAsync missing)');
  }
  try {
    await waitForPoweredOn(central, opts.poweredOnTimeoutMs ?? 10_000);
  } catch (e) {
    throw e instanceof BleUnavailableError ? e : new BleUnavailableError(`the adapter did not power on (${messageOf(e)})`, e);
  }
  return central;
}
