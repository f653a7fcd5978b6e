import type { Dispatch } from '../actors/commandRouter.js';
import type { Fence } from '../eventstore/eventStore.js';
import { toErrorBody } from '../shared/errors.js';
import type { CommandSender } from './processManager.js';

/**
 * Commands from process managers, to wherever their actor lives, carrying the leader's fencing
 * token: once a newer leader exists, what this one still sends is refused by the store.
 */
export function routerSender(dispatch: Dispatch, fences: Fence[] = []): CommandSender {
  return {
    async send(kind, id, command) {
      try {
        const [result] = await dispatch(kind, id, [fences.length > 0 ? { ...command, fences } : command], { withEvents: false });
        return result!;
      } catch (err) {
        return { ok: false, commandId: command.id, error: toErrorBody(err) };
      }
    },
  };
}
