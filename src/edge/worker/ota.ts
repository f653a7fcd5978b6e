import type { Logger } from '../../shared/logger.js';
import { runOtaAttempt } from '../ble/index.js';
import type { OtaAttempt } from '../link/index.js';
import type { Dependents } from './dependents.js';
import { OtaAttemptError } from './errors.js';
import type { BoardHardware } from './hardware.js';

/**
 * A gateway's firmware update attempt, as the link hands it over (`ep.edge.gateway.<id>.ota`):
 * the image for the commit, sent to the dependent device over BLE by `runOtaAttempt` (chunked,
 * acknowledged, resumable, always bounded by the attempt's deadline). Progress goes to the link,
 * which buffers `ReportUpdateProgress`; the outcome becomes `CompleteUpdate` or, thrown here,
 * `FailUpdateAttempt` with the sender's reason.
 */
export function createOtaRunner(deps: { hardware: BoardHardware; dependents: Dependents; logger: Logger }) {
  const log = deps.logger.child({ component: 'ota' });
  return async function runAttempt(attempt: OtaAttempt, progress: (percent: number) => Promise<void>): Promise<void> {
    const who = { localId: attempt.localId, commit: attempt.commit, attempt: attempt.attempt };
    const image = await deps.hardware.firmware(attempt.commit);
    const central = await deps.hardware.central().catch((e: unknown) => {
      throw new OtaAttemptError(`no Bluetooth to reach ${attempt.localId}: ${(e as Error).message}`, who, e);
    });
    log.info({ ...who, bytes: image.length, deadline: attempt.deadline }, 'firmware update attempt started');
    deps.dependents.flashing.add(attempt.localId);
    let result;
    try {
      result = await runOtaAttempt(central, { ...attempt, at: new Date().toISOString() }, image, {
        logger: log,
        // Progress is sent through the link's buffer; the final report is the link's too (from our outcome).
        send: (c) => (c.type === 'ReportUpdateProgress' ? progress(c.data.percent) : undefined),
      });
    } finally {
      deps.dependents.flashing.delete(attempt.localId);
    }
    if (!result.ok) {
      log.warn({ ...who, err: result.error, percent: result.percent }, 'firmware update attempt failed');
      throw new OtaAttemptError(`${result.error.code}: ${result.error.message}`, { ...who, percent: result.percent });
    }
    log.info({ ...who, stats: result.stats }, 'firmware update attempt completed');
  };
}
