import type { Logger } from '../../shared/logger.js';
import { openDiskBuffer, type DiskBuffer, type EdgeCommand } from '../link/index.js';
import { createActuator } from './actuate.js';
import type { HardwareConfig } from './config.js';
import { startDependents, type Dependents } from './dependents.js';
import { DeviceSlot } from './deviceSlot.js';
import type { BoardHardware } from './hardware.js';
import { startI2cScans, type Scanner } from './i2cScan.js';
import { startWorkerLink, type WorkerLink } from './link.js';
import { createOtaRunner } from './ota.js';
import { boardProfile } from './profile.js';
import { createRealHardware } from './realHardware.js';
import { createSimulatedHardware } from './simulatedHardware.js';

export interface EdgeWorker {
  readonly config: HardwareConfig;
  readonly buffer: DiskBuffer;
  readonly link: WorkerLink;
  readonly slots: readonly DeviceSlot[];
  /** Stops sampling, gives buffered records up to `flushMs` to reach JetStream, closes everything; the buffer keeps the rest. */
  stop(flushMs?: number): Promise<void>;
}

export interface EdgeWorkerOptions {
  simulate: boolean;
  logger: Logger;
}

/**
 * The edge worker: a board's hardware description brought to life. In order: the buffer is
 * opened (so nothing is taken before it can be kept), the board announces itself, every device
 * is opened and attached, a reactor scans its I2C buses and a gateway its dependents, then
 * sampling starts; NATS is connected meanwhile, as long as that takes — until then everything
 * waits on disk, in order.
 */
export async function startEdgeWorker(config: HardwareConfig, opts: EdgeWorkerOptions): Promise<EdgeWorker> {
  const { kind, id } = config.board;
  const logger = opts.logger.child({ board: `${kind}/${id}` });
  const hardware: BoardHardware = opts.simulate ? createSimulatedHardware(config, logger) : createRealHardware(config);
  const buffer = await openDiskBuffer(config.buffer.dir, { maxBytes: config.buffer.maxBytes, logger });
  const append = async (commands: EdgeCommand[]): Promise<void> => {
    await Promise.all(commands.map((c) => buffer.append(c)));
  };
  const profile = boardProfile(config);
  const timers: NodeJS.Timeout[] = [];
  const slots = config.devices.map((d) => new DeviceSlot(d, { hardware, profile, append, logger }));
  let link: WorkerLink | undefined;
  let scanner: Scanner | undefined;
  let dependents: Dependents | undefined;
  let ota: ReturnType<typeof createOtaRunner> | undefined;

  let stopping: Promise<void> | undefined;
  const stop = (flushMs = 3000): Promise<void> => (stopping ??= shutDown(flushMs));
  const shutDown = async (flushMs: number): Promise<void> => {
    for (const t of timers) clearInterval(t);
    ota?.stop();
    await Promise.all(slots.map((s) => s.stop()));
    await Promise.all([scanner?.stop(), dependents?.stop()]);
    await link?.stop(flushMs);
    await Promise.all(slots.map((s) => s.close()));
    await hardware.close();
    const b = buffer.stats();
    await buffer.close();
    logger.info({ durableSeq: b.durableSeq, deliveredSeq: b.deliveredSeq, pending: b.pending, dropped: b.dropped, epoch: b.epoch }, 'edge worker stopped');
  };

  try {
    await append(profile.started(new Date().toISOString()));
    await Promise.all(slots.map((s) => s.open()));
    if (kind === 'reactor') {
      scanner = startI2cScans({ config, hardware, slots, append, logger });
      await scanner.scanOnce();
      scanner.start();
    }
    if (kind === 'gateway') {
      dependents = startDependents({ config, hardware, append, logger });
      await dependents.scanOnce();
      dependents.start();
    }
    for (const s of slots) s.start();
    if (config.heartbeatMs > 0) {
      timers.push(
        setInterval(() => {
          // A heartbeat only means something live: none are kept for later while NATS is away.
          if (!link?.connected) return;
          append(profile.heartbeat(new Date().toISOString())).catch((err: unknown) => logger.warn({ err }, 'heartbeat not buffered'));
        }, config.heartbeatMs),
      );
    }
    const apply = createActuator({ config, slots, logger });
    ota = dependents ? createOtaRunner({ hardware, dependents, logger }) : undefined;
    link = startWorkerLink({ config, buffer, apply, ...(ota ? { ota: ota.run } : {}), logger });
    // Say so at once when connected, not a heartbeat interval later.
    if (config.heartbeatMs > 0) {
      link.ready
        .then(
          () => append(profile.heartbeat(new Date().toISOString())),
          () => undefined,
        )
        .catch((err: unknown) => logger.warn({ err }, 'heartbeat not buffered'));
    }
  } catch (err) {
    await stop(0).catch(() => undefined);
    throw err;
  }
  logger.info({ simulate: opts.simulate, devices: slots.length, open: slots.filter((s) => s.device).length, buffer: config.buffer.dir, pending: buffer.stats().pending }, 'edge worker started');
  return { config, buffer, link, slots, stop };
}
