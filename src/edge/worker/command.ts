import { parseArgs } from 'node:util';
import { ConfigError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { loadHardwareConfig } from './config.js';
import { startEdgeWorker } from './worker.js';

export const edgeUsage = `edgeplane edge --config <hardware.json> [--simulate] [--nats <url>] [--buffer-dir <dir>]

Runs a board's edge worker: opens the buses its hardware.json uses (I2C, serial, BLE), samples
every device every intervalMs into an on-disk buffer, delivers the buffer to the control plane's
JetStream in order (across outages and restarts), applies actuations and confirms them with the
value read back. --simulate runs the same description on simulated chips with plausible,
changing values. --nats and --buffer-dir override hardware.json. Stops cleanly on SIGTERM/SIGINT.
Env: EDGEPLANE_LOG_LEVEL.`;

/** `edgeplane edge …` (also the bundled worker's whole command line). Resolves when it has stopped. */
export async function edgeCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, simulate: { type: 'boolean' }, nats: { type: 'string' }, 'buffer-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n\n${edgeUsage}`);
  }
  if (values.help) {
    process.stdout.write(`${edgeUsage}\n`);
    return 0;
  }
  if (!values.config) throw new ConfigError(`--config <hardware.json> is required\n\n${edgeUsage}`);
  const config = loadHardwareConfig(values.config, {
    ...(values.nats ? { natsUrl: values.nats } : {}),
    ...(values['buffer-dir'] ? { bufferDir: values['buffer-dir'] } : {}),
  });
  const logger = createLogger({ name: 'edgeplane-edge' });
  const worker = await startEdgeWorker(config, { simulate: values.simulate ?? false, logger });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'stopping');
  // Ctrl-C again while flushing means "now". A SIGTERM meanwhile is the same request again (a
  // terminal's Ctrl-C reaches a supervisor and its workers alike, and the supervisor then
  // forwards SIGTERM): it must not cut the flush short.
  process.on('SIGTERM', () => logger.info('already stopping'));
  process.once('SIGINT', () => process.exit(1));
  await worker.stop();
  return 0;
}
