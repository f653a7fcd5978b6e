import type { ChannelInfo, ChannelValue, DeviceDriver, Reading } from '../driver.js';
import type { Logger } from '../../shared/logger.js';
import { ChannelNotWritableError, JsonLinesProtocolError, UnknownChannelError } from './errors.js';
import { createJsonLinesClient, type JsonLinesStats } from './jsonLines.js';
import { componentLogger } from './log.js';
import { JsonLinesOptionsSchema, parseOptions } from './options.js';
import type { SerialLink } from './serialPort.js';

export const JSONLINES_DRIVER = 'jsonlines';

export interface JsonLinesDriver extends DeviceDriver {
  /** What `hello` said about the device (empty when the channels came from the options). */
  readonly device: Readonly<Record<string, unknown>>;
  readonly stats: Readonly<JsonLinesStats>;
  write(channel: string, value: ChannelValue): Promise<ChannelValue>;
}

/**
 * A device speaking the JSON-lines protocol (jsonLines.ts). Its channels come from the options
 * or, by default, from the device's own `hello`, asked once here.
 */
export async function openJsonLinesDriver(link: SerialLink, rawOptions: unknown, deps: { logger?: Logger } = {}): Promise<JsonLinesDriver> {
  const options = parseOptions(JSONLINES_DRIVER, JsonLinesOptionsSchema, rawOptions ?? {});
  const log = componentLogger('jsonlines-driver', { link: link.name }, deps.logger);
  const client = createJsonLinesClient(link, { timeoutMs: options.timeoutMs, logger: log });
  let channels: readonly ChannelInfo[];
  let device: Record<string, unknown> = {};
  if (options.channels) {
    channels = options.channels;
  } else {
    try {
      ({ channels, device } = await client.hello());
    } catch (e) {
      client.close();
      throw e;
    }
  }
  const byName = new Map(channels.map((c) => [c.name, c]));

  return {
    driver: JSONLINES_DRIVER,
    channels,
    device,
    stats: client.stats,
    async read(): Promise<Reading[]> {
      const values = await client.read();
      const readings: Reading[] = [];
      for (const c of channels) {
        const value = values[c.name];
        if (value !== undefined) readings.push({ channel: c.name, value });
        else log.warn({ channel: c.name }, 'device left a channel out of its read answer');
      }
      return readings;
    },
    async write(channel: string, value: ChannelValue): Promise<ChannelValue> {
      const c = byName.get(channel);
      if (!c) throw new UnknownChannelError(JSONLINES_DRIVER, channel);
      if (c.role !== 'actuator') throw new ChannelNotWritableError(JSONLINES_DRIVER, channel, 'it is a sensor');
      const values = await client.write(channel, value);
      const readBack = values[channel];
      if (readBack === undefined) throw new JsonLinesProtocolError('write', `answer has no value for ${channel}`);
      return readBack;
    },
    async close(): Promise<void> {
      client.close();
    },
  };
}
