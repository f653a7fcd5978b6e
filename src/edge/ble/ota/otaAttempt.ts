import type { Logger } from '../../../shared/logger.js';
import type { BleCentral } from '../ble.js';
import { gattOtaConnector, type GattOtaConnectorOptions } from './otaLink.js';
import { sendFirmware, type OtaProgress, type OtaResult, type OtaSendOptions } from './otaSender.js';
import type { OtaAttempt } from '../../link/actuation.js';

/**
 * One OTA attempt as the control plane asks for it (published on `ep.edge.gateway.<id>.ota` by
 * actuations.process.ts) and its outcome as the gateway actor's commands (gateway.types.ts).
 * The commands are restated here because edge code does not import the actors; the request is
 * the link's parsed message (`at`: when the control plane started it).
 */
export type OtaAttemptRequest = Omit<OtaAttempt, 'action'> & { at?: string };

export type OtaAttemptCommand =
  | { type: 'ReportUpdateProgress'; data: { localId: string; attempt: number; percent: number; at: string } }
  | { type: 'CompleteUpdate'; data: { localId: string; attempt: number; at: string } }
  | { type: 'FailUpdateAttempt'; data: { localId: string; attempt: number; error: string; at: string } };

/** The gateway decider caps `error` at 1024 characters. */
const MAX_ERROR = 1024;

/**
 * When the sender must have ended: the request's deadline (or `timeoutMs` from now, if sooner),
 * less a margin so our precise failure reaches the actor before the control plane's generic
 * "Timed out" for the same attempt.
 */
export function attemptDeadline(req: Pick<OtaAttemptRequest, 'deadline' | 'timeoutMs'>, now = Date.now(), marginMs = Math.min(2_000, req.timeoutMs / 10)): number {
  const byTimeout = now + req.timeoutMs;
  const stated = Date.parse(req.deadline);
  return (Number.isFinite(stated) ? Math.min(stated, byTimeout) : byTimeout) - marginMs;
}

export function progressCommand(req: Pick<OtaAttemptRequest, 'localId' | 'attempt'>, p: OtaProgress, at = new Date().toISOString()): OtaAttemptCommand {
  return { type: 'ReportUpdateProgress', data: { localId: req.localId, attempt: req.attempt, percent: p.percent, at } };
}

export function resultCommand(req: Pick<OtaAttemptRequest, 'localId' | 'attempt'>, r: OtaResult, at = new Date().toISOString()): OtaAttemptCommand {
  if (r.ok) return { type: 'CompleteUpdate', data: { localId: req.localId, attempt: req.attempt, at } };
  const error = `${r.error.code}: ${r.error.message}`.slice(0, MAX_ERROR);
  return { type: 'FailUpdateAttempt', data: { localId: req.localId, attempt: req.attempt, error, at } };
}

export interface RunOtaAttemptOptions {
  /** Sends one command to this gateway's actor; progress is not awaited, the final command is. */
  send: (command: OtaAttemptCommand) => unknown;
  connector?: GattOtaConnectorOptions;
  sender?: Partial<Omit<OtaSendOptions, 'image' | 'version' | 'connect' | 'deadline' | 'onProgress'>>;
  logger?: Logger;
  now?: () => number;
}

/** Flashes `image` onto dependent device `req.localId` (found by address/id) and reports every step as gateway commands. */
export async function runOtaAttempt(central: BleCentral, req: OtaAttemptRequest, image: Buffer, opts: RunOtaAttemptOptions): Promise<OtaResult> {
  const now = opts.now ?? Date.now;
  const stamp = () => new Date(now()).toISOString();
  const result = await sendFirmware({
    ...opts.sender,
    ...(opts.logger ? { logger: opts.logger } : {}),
    image,
    version: req.commit,
    deadline: attemptDeadline(req, now()),
    connect: gattOtaConnector(central, { address: req.localId, ...opts.connector }),
    onProgress: (p) => {
      void Promise.resolve()
        .then(() => opts.send(progressCommand(req, p, stamp())))
        .catch((e: unknown) => opts.logger?.warn({ err: e }, 'progress report not sent'));
    },
  });
  await opts.send(resultCommand(req, result, stamp()));
  return result;
}
