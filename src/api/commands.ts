import { EdgeplaneError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { ApiDeps, CommandRequest } from './deps.js';

export type Accepted = { commandId: string; revision: number; position: number; events: unknown[]; duplicate?: boolean };

/**
 * Runs one command on the actor host and returns its answer, or throws the refusal as an error
 * the problem handler turns into its status (a store failure is 503: nothing was stored, retry).
 */
export async function runCommand(deps: ApiDeps, kind: string, id: string, request: Omit<CommandRequest, 'id'> & { id?: string }): Promise<Accepted> {
  const [result] = await deps.host.dispatch(kind, id, [{ ...request, id: request.id ?? newId() }]);
  if (!result) throw new EdgeplaneError('ERR_INTERNAL', 'no answer');
  if (result.ok) {
    const { ok: _ok, ...accepted } = result;
    return accepted;
  }
  if (result.retryable) throw new EdgeplaneError('ERR_UNAVAILABLE', `the event store could not take the command (${result.error.message}); nothing was stored, retry it`);
  throw new EdgeplaneError(result.error.code, result.error.message, result.error.details ?? {});
}

/** After a write, wait (briefly) until the read models include it, so the next read sees it. */
export async function readYourWrite(deps: ApiDeps, position: number): Promise<void> {
  if (position > 0) await deps.projections.waitFor(position, 2000).catch(() => undefined);
}
