import { validateId } from '../../shared/ids.js';
import type { ChannelInfo } from '../driver.js';
import type { DeviceConfig } from './configDevices.js';
import { HardwareConfigError } from './errors.js';

/**
 * How a device's channels are named as sensor actors — the one scheme every part of the worker
 * (readings, attachments, actuations) and the docs use:
 *
 *   a device that drives one channel  →  sensor/<device id>             (tmp102 "t1" → sensor/t1)
 *   a device that drives several      →  sensor/<device id>:<channel>   (bme280 "env" → sensor/env:humidity)
 *
 * "Drives" counts the channels selected with `channels` (default all the driver has), so a
 * PCA9685 used for one lamp (`"channels": ["ch0"]`) is plainly sensor/<device id>. Device ids
 * cannot hold `:`, so the two forms never collide.
 */
export function channelActorIds(device: DeviceConfig, channels: readonly ChannelInfo[]): Map<string, string> {
  const ids = new Map<string, string>();
  for (const ch of channels) {
    const id = channels.length === 1 ? device.id : `${device.id}:${ch.name}`;
    try {
      ids.set(ch.name, validateId(id, 'sensor id'));
    } catch (e) {
      throw new HardwareConfigError(`devices[${device.index}].channels`, `channel ${JSON.stringify(ch.name)} cannot name a sensor actor (${(e as Error).message})`);
    }
  }
  return ids;
}

/** The channels a device entry selects, in the driver's order; a name the driver lacks is refused by name. */
export function selectChannels(device: DeviceConfig, all: readonly ChannelInfo[]): ChannelInfo[] {
  if (!device.channels) return [...all];
  for (const name of device.channels) {
    if (!all.some((c) => c.name === name)) {
      throw new HardwareConfigError(`devices[${device.index}].channels`, `${device.driver} has no channel ${JSON.stringify(name)} (it has ${all.map((c) => c.name).join(', ')})`);
    }
  }
  return all.filter((c) => device.channels!.includes(c.name));
}
