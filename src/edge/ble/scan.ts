import { normalizeUuid, waitForPoweredOn, withTimeout, type BleCentral, type BlePeripheral } from './ble.js';
import { BleDeviceNotFoundError, BleTimeoutError } from './errors.js';

/** Which device: an advertised service, optionally narrowed by local name and address (or noble id). */
export interface PeripheralFilter {
  serviceUuid: string;
  localName?: string;
  address?: string;
}

const scanLocks = new WeakMap<BleCentral, Promise<unknown>>();

/** A central has one scanner: scans run one at a time, or one caller's stop would end another's scan. */
export function withScanLock<T>(central: BleCentral, scan: () => Promise<T>): Promise<T> {
  const previous = scanLocks.get(central) ?? Promise.resolve();
  const run = previous.then(scan, scan);
  scanLocks.set(
    central,
    run.catch(() => undefined),
  );
  return run;
}

const bare = (s: string) => s.toLowerCase().replace(/[:-]/g, '');

export function matchesFilter(p: BlePeripheral, f: PeripheralFilter): boolean {
  const advertised = p.advertisement.serviceUuids;
  if (advertised && advertised.length > 0 && !advertised.map(normalizeUuid).includes(normalizeUuid(f.serviceUuid))) return false;
  if (f.localName !== undefined && p.advertisement.localName !== f.localName) return false;
  if (f.address !== undefined && bare(p.address) !== bare(f.address) && bare(p.id) !== bare(f.address)) return false;
  return true;
}

/** Stopping is bounded too: noble's stop waits for a `scanStop` its bindings may never send. */
const stopQuietly = (central: BleCentral) => withTimeout(central.stopScanningAsync(), 2_000, () => new BleTimeoutError('stop scanning', 2_000)).catch(() => undefined);

/**
 * Scans for `timeoutMs` (or until `stopWhen` says so) and returns what was seen, in discovery
 * order; always stops the scan and removes its listener, whatever happens.
 */
async function scanFor(central: BleCentral, serviceUuid: string, timeoutMs: number, keep: (p: BlePeripheral) => boolean, stopWhen: (seen: BlePeripheral[]) => boolean): Promise<BlePeripheral[]> {
  return withScanLock(central, async () => {
    const started = Date.now();
    await waitForPoweredOn(central, timeoutMs);
    const seen = new Map<string, BlePeripheral>();
    let onDiscover: (p: BlePeripheral) => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      onDiscover = (p) => {
        if (!keep(p) || seen.has(p.id)) return;
        seen.set(p.id, p);
        if (stopWhen([...seen.values()])) resolve();
      };
    });
    central.on('discover', onDiscover);
    let timer: NodeJS.Timeout | undefined;
    try {
      const remaining = Math.max(0, timeoutMs - (Date.now() - started));
      await withTimeout(central.startScanningAsync([normalizeUuid(serviceUuid)], false), remaining, () => new BleTimeoutError('start scanning', timeoutMs));
      await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, timeoutMs - (Date.now() - started)))))]);
    } finally {
      clearTimeout(timer);
      central.removeListener('discover', onDiscover);
      await stopQuietly(central);
    }
    return [...seen.values()];
  });
}

/** The first device matching the filter, or `BleDeviceNotFoundError` after `timeoutMs`. */
export async function findPeripheral(central: BleCentral, filter: PeripheralFilter, timeoutMs: number): Promise<BlePeripheral> {
  const [found] = await scanFor(central, filter.serviceUuid, timeoutMs, (p) => matchesFilter(p, filter), (seen) => seen.length > 0);
  if (!found) throw new BleDeviceNotFoundError({ ...filter }, timeoutMs);
  return found;
}

/** A dependent device a gateway found, in the shape of the gateway actor's DetectDevice (`localId`, `boardType`). */
export interface FoundDependent {
  /** noble's peripheral id: stable per device, and a valid actor-side id (letters and digits). */
  localId: string;
  boardType: string;
  address: string;
  localName: string | null;
  rssi: number;
}

export interface ScanDependentsOptions {
  /** Board type to report: fixed, or from what the device advertises. Default: its local name, else `ble`. */
  boardType?: string | ((p: BlePeripheral) => string);
}

/** Every device advertising `serviceUuid` seen within `timeoutMs` (the scan runs its full time). */
export async function scanDependents(central: BleCentral, serviceUuid: string, timeoutMs: number, opts: ScanDependentsOptions = {}): Promise<FoundDependent[]> {
  const found = await scanFor(central, serviceUuid, timeoutMs, (p) => matchesFilter(p, { serviceUuid }), () => false);
  const boardTypeOf = (p: BlePeripheral) =>
    typeof opts.boardType === 'function' ? opts.boardType(p) : (opts.boardType ?? (p.advertisement.localName || 'ble'));
  return found.map((p) => ({
    localId: p.id,
    boardType: boardTypeOf(p),
    address: p.address,
    localName: p.advertisement.localName ?? null,
    rssi: p.rssi,
  }));
}
