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
  const running = new Set<AbortController>();
  let stopping = false;

  async function run(attempt: OtaAttempt, progress: (percent: number) => Promise<void>): Promise<void> {
    const who = { localId: attempt.localId, commit: attempt.commit, attempt: attempt.attempt };
    const image = await deps.hardware.firmware(attempt.commit);
    const central = await deps.hardware.central().catch((e: unknown) => {
      throw new OtaAttemptError(`no Bluetooth to reach ${attempt.localId}: ${(e as Error).message}`, who, e);
    });
    log.info({ ...who, bytes: image.length, deadline: attempt.deadline }, 'firmware update attempt started');
    const abort = new AbortController();
    running.add(abort);
    deps.dependents.flashing.add(attempt.localId);
    let result;
    try {
      result = await runOtaAttempt(central, { ...attempt, at: new Date().toISOString() }, image, {
        logger: log,
        sender: { signal: abort.signal },
        // Progress is sent through the link's buffer; the final report is the link's too (from our outcome).
        send: (c) => (c.type === 'ReportUpdateProgress' ? progress(c.data.percent) : undefined),
      });
    } finally {
      running.delete(abort);
      deps.dependents.flashing.delete(attempt.localId);
    }
    if (stopping) {
      // Cut short by our own stop: report nothing. The next start's GatewayStarted fails this
      // attempt visibly ("gateway restarted during update") and the next attempt resumes it.
      log.info(who, 'firmware update attempt interrupted by stop');
      return new Promise<void>(() => undefined);
    }
    if (!result.ok) {
      log.warn({ ...who, err: result.error, percent: result.percent }, 'firmware update attempt failed');
      throw new OtaAttemptError(`${result.error.code}: ${result.error.message}`, { ...who, percent: result.percent });
    }
    log.info({ ...who, stats: result.stats }, 'firmware update attempt completed');
  }

  return {
    run,
    /** Ends running transfers now (bounded by the sender), without reporting them. */
    stop(): void {
      stopping = true;
      for (const a of running) a.abort();
    },
  };
}
