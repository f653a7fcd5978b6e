import { arr, idField, nested, num, oneOf, reject, str, type Ctx } from './validate.js';

/** A node's hardware description (ECP `hardware_description.json`): what edge workers drive. */
export type DeviceRole = 'sensor' | 'actuator';

export interface HardwareDevice {
  /** Unique on the node; becomes part of the device's sensor actor id, so id-shaped. */
  id: string;
  bus: string;
  /** I2C addresses are numbers, BLE/serial addresses strings. */
  address: string | number;
  driver: string;
  role: DeviceRole;
}

export interface Hardware {
  devices: HardwareDevice[];
}

export const DEVICE_ROLES: readonly DeviceRole[] = ['sensor', 'actuator'];

export function parseHardware(ctx: Ctx): Hardware {
  const hw = nested(ctx, 'hardware', ctx.data.hardware, 'ERR_INVALID_HARDWARE');
  const list = arr(hw, 'devices');
  const seen = new Set<string>();
  const devices = list.map((raw, i): HardwareDevice => {
    const d = nested(hw, `devices[${i}]`, raw);
    const id = idField(d, 'id');
    // Several devices may share bus and address (one chip, several channels); ids may not.
    if (seen.has(id)) reject(ctx, 'ERR_DUPLICATE_DEVICE', `hardware lists device id ${id} more than once`, { deviceId: id });
    seen.add(id);
    return { id, bus: str(d, 'bus', { max: 128 }), address: address(d), driver: str(d, 'driver', { max: 128 }), role: oneOf(d, 'role', DEVICE_ROLES, 'ERR_INVALID_ROLE') };
  });
  return { devices };
}

function address(d: Ctx): string | number {
  return typeof d.data.address === 'number' ? num(d, 'address', { integer: true, min: 0 }) : str(d, 'address', { max: 128 });
}

export function sameHardware(a: Hardware | null, b: Hardware): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}
