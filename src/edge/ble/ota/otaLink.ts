import type { BleCentral, BlePeripheral } from '../ble.js';
import { BleCharacteristicError } from '../errors.js';
import { openGattLink } from '../gattLink.js';
import { OTA_CONTROL_UUID, OTA_DATA_UUID, OTA_SERVICE_UUID } from './protocol.js';

/**
 * What the OTA sender needs from a connection: two writes, the control notifications and word of
 * the link's loss. `gattOtaConnector` makes these over the BLE port; each call of the connector
 * is one (re)connection.
 */
export interface OtaLink {
  writeControl(data: Buffer): Promise<void>;
  writeData(data: Buffer): Promise<void>;
  /** Control notifications (not read results); returns an unsubscribe. */
  onControl(listener: (data: Buffer) => void): () => void;
  /** Called once when the link is gone; returns an unsubscribe. */
  onLost(listener: (e: Error) => void): () => void;
  close(): Promise<void>;
}

export type OtaConnect = () => Promise<OtaLink>;

export interface GattOtaConnectorOptions {
  /** The dependent device: its address or noble id (the gateway's `localId`). */
  address?: string;
  localName?: string;
  serviceUuid?: string;
  controlUuid?: string;
  dataUuid?: string;
  scanTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Bound of each GATT call (write, subscribe, discovery). */
  opTimeoutMs?: number;
}

export function gattOtaConnector(central: BleCentral, opts: GattOtaConnectorOptions = {}): OtaConnect {
  const serviceUuid = opts.serviceUuid ?? OTA_SERVICE_UUID;
  const controlUuid = opts.controlUuid ?? OTA_CONTROL_UUID;
  const dataUuid = opts.dataUuid ?? OTA_DATA_UUID;
  const filter = { serviceUuid, ...(opts.address ? { address: opts.address } : {}), ...(opts.localName ? { localName: opts.localName } : {}) };
  // noble keeps one object per device: reconnect to it directly, and scan again only if that fails.
  let known: BlePeripheral | undefined;

  return async () => {
    let link;
    try {
      link = await openGattLink(central, {
        filter,
        ...(known ? { peripheral: known } : {}),
        serviceUuids: [serviceUuid],
        characteristicUuids: [controlUuid, dataUuid],
        scanTimeoutMs: opts.scanTimeoutMs ?? 10_000,
        connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
        opTimeoutMs: opts.opTimeoutMs ?? 3_000,
      });
    } catch (e) {
      known = undefined;
      throw e;
    }
    known = link.peripheral;
    const control = link.characteristic(controlUuid);
    const data = link.characteristic(dataUuid);
    const listeners = new Set<(data: Buffer) => void>();
    const onData = (d: Buffer, isNotification: boolean) => {
      if (isNotification) for (const l of listeners) l(d);
    };
    try {
      if (!control || !control.properties.includes('notify')) throw new BleCharacteristicError(link.label, controlUuid, 'OTA control must exist and notify');
      if (!data || !data.properties.some((p) => p === 'write' || p === 'writeWithoutResponse')) throw new BleCharacteristicError(link.label, dataUuid, 'OTA data must exist and be writable');
      control.on('data', onData);
      await link.call('subscribe to OTA control', () => control.subscribeAsync());
    } catch (e) {
      control?.removeListener('data', onData);
      await link.close();
      throw e;
    }
    // Chunks with response when the device offers it: the radio then paces us, not just the ACKs.
    const withoutResponse = !data.properties.includes('write');
    return {
      writeControl: (d) => link.call('write OTA control', () => control.writeAsync(d, false)),
      writeData: (d) => link.call('write OTA chunk', () => data.writeAsync(d, withoutResponse)),
      onControl: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      onLost: (l) => link.onLost(l),
      close: async () => {
        control.removeListener('data', onData);
        listeners.clear();
        await link.close();
      },
    };
  };
}
