import type { ChannelInfo, ChannelValue, DeviceDriver } from '../driver.js';
import type { DeviceConfig } from './configDevices.js';

/** A device whose driver is open, with the channels the worker drives and their actor names. */
export interface OpenDevice {
  config: DeviceConfig;
  driver: DeviceDriver;
  /** The channels selected by hardware.json (all the driver's by default). */
  channels: readonly ChannelInfo[];
  /** Channel → sensor actor id (naming.ts). */
  actorIds: ReadonlyMap<string, string>;
  /** What was last reported of each actuator channel, and when (ms): reports go out on change or to stay alive. */
  reported: Map<string, { value: ChannelValue; atMs: number }>;
}

const SWITCH_TYPES = new Set(['relay', 'switch', 'power_switch']);

/** A plug's relay: the actuator that switches its load. */
export function isSwitchChannel(c: ChannelInfo): boolean {
  return c.role === 'actuator' && SWITCH_TYPES.has(c.type);
}

/** A plug's draw in watts. */
export function isPowerChannel(c: ChannelInfo): boolean {
  return c.role === 'sensor' && c.type === 'power';
}
