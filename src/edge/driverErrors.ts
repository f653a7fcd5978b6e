import { EdgeplaneError } from '../shared/errors.js';

/** Failures every `DeviceDriver` (driver.ts) reports the same way, whatever its bus. */
export class UnknownChannelError extends EdgeplaneError {
  constructor(readonly driver: string, readonly channel: string) {
    super('ERR_UNKNOWN_CHANNEL', `${driver} device has no channel ${JSON.stringify(channel)}`, { driver, channel });
  }
}

export class ChannelNotWritableError extends EdgeplaneError {
  constructor(readonly driver: string, readonly channel: string, reason: string) {
    super('ERR_CHANNEL_NOT_WRITABLE', `${driver} channel ${channel} cannot take that value: ${reason}`, { driver, channel, reason });
  }
}
