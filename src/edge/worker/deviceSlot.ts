import type { Logger } from '../../shared/logger.js';
import type { ChannelValue } from '../driver.js';
import type { EdgeCommand } from '../link/index.js';
import type { DeviceConfig } from './configDevices.js';
import { DeviceNotReadyError, HardwareConfigError } from './errors.js';
import type { BoardHardware, OpenedDriver } from './hardware.js';
import { channelActorIds, selectChannels } from './naming.js';
import type { OpenDevice } from './openDevice.js';
import type { BoardProfile } from './profile.js';

export interface DeviceSlotDeps {
  hardware: BoardHardware;
  profile: BoardProfile;
  /** Durable append to the store-and-forward buffer. */
  append: (commands: EdgeCommand[]) => Promise<void>;
  logger: Logger;
}

const MAX_OPEN_RETRY_MS = 30_000;

/**
 * One hardware.json device: opened (and its channels attached) once its bus is there, then
 * sampled every `intervalMs`, one sample at a time, so a device's readings enter the buffer in
 * the order they were taken. A bus that is missing or a read that fails is logged once per
 * streak and retried; nothing here stops the worker but a wrong hardware.json.
 */
export class DeviceSlot {
  device: OpenDevice | undefined;
  private opened: OpenedDriver | undefined;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failures = 0;
  private nextOpenAt = 0;
  samples = 0;

  constructor(
    readonly config: DeviceConfig,
    private readonly deps: DeviceSlotDeps,
  ) {
    this.log = deps.logger.child({ device: config.id, bus: config.bus, driver: config.driver });
  }

  /** One attempt to open the driver; a wrong channel selection throws (HardwareConfigError). */
  async open(): Promise<boolean> {
    if (this.device) return true;
    let opened: OpenedDriver;
    try {
      opened = await this.deps.hardware.open(this.config, this.log);
    } catch (err) {
      if (err instanceof HardwareConfigError) throw err;
      this.failed(err, 'device not opened; retrying');
      this.nextOpenAt = Date.now() + Math.min(MAX_OPEN_RETRY_MS, this.config.intervalMs * 2 ** Math.min(this.failures, 10));
      return false;
    }
    try {
      const channels = selectChannels(this.config, opened.driver.channels);
      const device: OpenDevice = { config: this.config, driver: opened.driver, channels, actorIds: channelActorIds(this.config, channels), reported: new Map() };
      await this.deps.append(this.deps.profile.opened(device, new Date().toISOString()));
      this.opened = opened;
      this.device = device;
    } catch (err) {
      await opened.close().catch(() => undefined);
      throw err;
    }
    this.recovered('device open');
    this.log.info({ channels: this.device.channels.map((c) => `${c.name} (${c.role})`), sensors: [...this.device.actorIds.values()] }, 'device open');
    return true;
  }

  start(): void {
    this.schedule(0);
  }

  /** Applies a value to one of this device's actuator channels; resolves with the value read back. */
  async write(channel: string, value: ChannelValue): Promise<ChannelValue> {
    const device = this.device;
    if (!device) throw new DeviceNotReadyError(this.config.id, 'its bus or driver is not open');
    if (!device.driver.write) throw new DeviceNotReadyError(this.config.id, `${this.config.driver} has no writable channels`);
    const readBack = await device.driver.write(channel, value);
    device.reported.set(channel, { value: readBack, atMs: Date.now() });
    return readBack;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  async close(): Promise<void> {
    await this.stop();
    const opened = this.opened;
    this.opened = undefined;
    this.device = undefined;
    await opened?.close().catch((err: unknown) => this.log.warn({ err }, 'device did not close cleanly'));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      this.running = this.tick().finally(() => {
        this.running = undefined;
        // Fixed rate, not fixed delay; a slow read does not queue up missed samples.
        this.schedule(Math.max(0, started + this.config.intervalMs - Date.now()));
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    if (!this.device) {
      if (Date.now() < this.nextOpenAt) return;
      try {
        await this.open();
      } catch (err) {
        this.log.error({ err }, 'device cannot be used with this hardware.json; it is not sampled');
        this.stopped = true;
      }
      return;
    }
    const device = this.device;
    let commands: EdgeCommand[];
    try {
      const readings = await device.driver.read();
      const now = Date.now();
      commands = this.deps.profile.sample(device, readings, new Date(now).toISOString(), now);
      this.samples++;
    } catch (err) {
      this.failed(err, 'read failed; sampling on');
      return;
    }
    this.recovered('reading again');
    try {
      await this.deps.append(commands);
    } catch (err) {
      this.log.error({ err }, 'readings not buffered');
    }
  }

  /** Loud on the first failure of a streak, then once a minute's worth of samples. */
  private failed(err: unknown, message: string): void {
    this.failures++;
    const every = Math.max(1, Math.round(60_000 / this.config.intervalMs));
    if (this.failures === 1 || this.failures % every === 0) this.log.warn({ err, failures: this.failures }, message);
  }

  private recovered(message: string): void {
    if (this.failures > 0) this.log.info({ failures: this.failures }, message);
    this.failures = 0;
  }
}
