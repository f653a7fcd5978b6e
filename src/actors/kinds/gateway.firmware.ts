import { deviceOf, notDeleting } from './gateway.devices.js';
import { DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS_LIMIT, MAX_TIMEOUT_MS, type DependentDevice, type FirmwareUpdate, type GatewayEvent, type GatewayState } from './gateway.types.js';
import { at, num, reject, str, type Ctx } from './validate.js';

/**
 * OTA firmware updates of dependent devices: a target commit, then numbered attempts, each
 * started with a timeout and ended by completion or failure. A failed attempt is retried until
 * `maxAttempts` are used; after the last failure the update is failed for good until a new
 * target is set. Attempt numbers make a late report from an earlier attempt harmless.
 */

const COMMIT = /^[A-Za-z0-9._\-]{1,128}$/;

export function setTargetFirmware(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const d = deviceOf(ctx, state);
  const commit = str(ctx, 'commit', { max: 128 });
  if (!COMMIT.test(commit)) reject(ctx, 'ERR_INVALID_COMMAND', `field commit must be a commit hash or tag without spaces (got ${JSON.stringify(commit)})`, { field: 'commit' });
  const maxAttempts = ctx.data.maxAttempts === undefined ? DEFAULT_MAX_ATTEMPTS : num(ctx, 'maxAttempts', { integer: true, min: 1, max: MAX_ATTEMPTS_LIMIT });
  notDeleting(ctx, d);
  if (!d.provisioned) reject(ctx, 'ERR_DEVICE_NOT_PROVISIONED', `dependent device ${d.localId} must be provisioned before its firmware is set`, { localId: d.localId });
  const u = d.update;
  if (u?.status === 'updating') {
    reject(ctx, 'ERR_UPDATE_IN_PROGRESS', `dependent device ${d.localId} is flashing ${u.commit} (attempt ${u.attempt?.number}); its target cannot change mid-update`, { localId: d.localId });
  }
  const settled = u === null || u.status === 'done';
  if (settled && d.commit === commit) return [];
  if (u?.status === 'pending' && u.commit === commit && u.maxAttempts === maxAttempts) return [];
  return [{ type: 'FirmwareTargetSet', data: { localId: d.localId, commit, maxAttempts, at: ctx.now } }];
}

/** The update's current attempt, which a report must name; anything else is refused. */
function currentAttempt(ctx: Ctx, d: DependentDevice): { u: FirmwareUpdate; attempt: number } {
  const attempt = num(ctx, 'attempt', { integer: true, min: 1 });
  const u = d.update;
  if (u?.status !== 'updating' || !u.attempt) reject(ctx, 'ERR_NO_UPDATE_IN_PROGRESS', `dependent device ${d.localId} has no update attempt in progress`, { localId: d.localId, attempt });
  if (attempt !== u.attempt.number) {
    reject(ctx, 'ERR_WRONG_ATTEMPT', `attempt ${attempt} is not the one in progress for dependent device ${d.localId} (attempt ${u.attempt.number})`, { localId: d.localId, attempt, current: u.attempt.number });
  }
  return { u, attempt };
}

export function startAttempt(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const d = deviceOf(ctx, state);
  const attempt = num(ctx, 'attempt', { integer: true, min: 1 });
  const timeoutMs = num(ctx, 'timeoutMs', { integer: true, min: 1, max: MAX_TIMEOUT_MS });
  const when = at(ctx);
  notDeleting(ctx, d);
  const u = d.update;
  const id = { localId: d.localId };
  if (u === null || u.status === 'done') reject(ctx, 'ERR_NO_UPDATE_PENDING', `dependent device ${d.localId} has no firmware update to apply`, id);
  if (u.status === 'failed') {
    reject(ctx, 'ERR_UPDATE_FAILED', `the update of ${d.localId} to ${u.commit} failed for good after ${u.attemptsUsed} of ${u.maxAttempts} attempts; set a new target to try again`, { ...id, lastError: u.lastError });
  }
  if (u.status === 'updating') reject(ctx, 'ERR_UPDATE_IN_PROGRESS', `attempt ${u.attempt?.number} of ${d.localId} is still in progress`, id);
  if (attempt !== u.attemptsUsed + 1) reject(ctx, 'ERR_WRONG_ATTEMPT', `the next attempt for ${d.localId} is ${u.attemptsUsed + 1}, not ${attempt}`, { ...id, attempt, expected: u.attemptsUsed + 1 });
  // Paused means the radios belong to user code; a known-offline device would only burn an attempt.
  if (state.targetStatus === 'Paused' || state.currentStatus === 'Paused') reject(ctx, 'ERR_GATEWAY_PAUSED', 'the gateway is Paused, so it may not use its radios for an update', id);
  if (d.online === false) reject(ctx, 'ERR_DEVICE_OFFLINE', `dependent device ${d.localId} is offline`, id);
  const deadline = new Date(Date.parse(when) + timeoutMs).toISOString();
  return [{ type: 'UpdateAttemptStarted', data: { localId: d.localId, commit: u.commit, attempt, timeoutMs, deadline, at: when } }];
}

export function reportProgress(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const d = deviceOf(ctx, state);
  const { u, attempt } = currentAttempt(ctx, d);
  const percent = num(ctx, 'percent', { min: 0, max: 100 });
  const when = at(ctx);
  // Progress only moves forward; a late, lower figure adds nothing.
  if (percent <= (u.attempt?.percent ?? 0)) return [];
  return [{ type: 'UpdateProgressReported', data: { localId: d.localId, attempt, percent, at: when } }];
}

export function completeUpdate(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const d = deviceOf(ctx, state);
  const { u, attempt } = currentAttempt(ctx, d);
  return [{ type: 'UpdateCompleted', data: { localId: d.localId, commit: u.commit, attempt, at: at(ctx) } }];
}

export function failUpdateAttempt(ctx: Ctx, state: GatewayState): GatewayEvent[] {
  const d = deviceOf(ctx, state);
  currentAttempt(ctx, d);
  const error = str(ctx, 'error', { max: 1024 });
  return failAttempt(d, error, at(ctx));
}

/** Fails the attempt in progress; the last allowed attempt fails the whole update. */
export function failAttempt(d: DependentDevice, error: string, when: string): GatewayEvent[] {
  const u = d.update;
  if (u?.status !== 'updating' || !u.attempt) return [];
  const { localId } = d;
  const attempt = u.attempt.number;
  const retriesLeft = Math.max(0, u.maxAttempts - attempt);
  const events: GatewayEvent[] = [{ type: 'UpdateAttemptFailed', data: { localId, commit: u.commit, attempt, error, retriesLeft, at: when } }];
  if (retriesLeft === 0) events.push({ type: 'UpdateFailed', data: { localId, commit: u.commit, attempts: attempt, error, at: when } });
  return events;
}
