import type { CommandBus } from '../transport/commandBus.js';
import { toErrorBody } from '../shared/errors.js';
import type { ActorHost } from './actorHost.js';
import type { CommandRequest, CommandResult } from './commandEnvelope.js';

export type Dispatch = (kind: string, id: string, requests: CommandRequest[], opts?: { withEvents?: boolean }) => Promise<CommandResult[]>;

/**
 * Sends commands to wherever their actor lives: this process's host when it holds the actor's
 * partition, else the command bus (JetStream, answered by the holder). A local run refused because
 * the partition moved meanwhile goes over the bus instead, so the caller never sees the move.
 */
export function createCommandRouter(host: Pick<ActorHost, 'dispatch' | 'owns'>, bus: CommandBus, opts: { timeoutMs?: number } = {}): Dispatch {
  const viaBus = async (kind: string, id: string, requests: CommandRequest[]): Promise<CommandResult[]> => {
    try {
      const reply = await bus.sendBatch<CommandResult[] | { ok: false; error: CommandResult }>(kind, id, requests, { timeoutMs: opts.timeoutMs ?? 15_000 });
      if (Array.isArray(reply)) return reply;
      return requests.map((r) => ({ ...(reply as unknown as CommandResult & { ok: false }), commandId: r.id }));
    } catch (err) {
      return requests.map((r) => ({ ok: false, commandId: r.id, error: toErrorBody(err), retryable: true }));
    }
  };
  return async (kind, id, requests, o) => {
    if (!host.owns(kind, id)) return viaBus(kind, id, requests);
    const results = await host.dispatch(kind, id, requests, o);
    const moved = results.some((r) => !r.ok && r.error.code === 'ERR_NOT_PARTITION_OWNER');
    return moved ? viaBus(kind, id, requests) : results;
  };
}
