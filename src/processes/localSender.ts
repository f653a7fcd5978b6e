import type { ActorHost } from '../actors/actorHost.js';
import { toErrorBody } from '../shared/errors.js';
import type { CommandSender } from './processManager.js';

/** Commands from process managers to actors hosted in this process. */
export function localSender(host: ActorHost): CommandSender {
  return {
    async send(kind, id, command) {
      try {
        const [result] = await host.dispatch(kind, id, [command], { withEvents: false });
        return result!;
      } catch (err) {
        return { ok: false, commandId: command.id, error: toErrorBody(err) };
      }
    },
  };
}
