import type { Dispatch } from '../actors/commandRouter.js';
import { newId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';

/**
 * Leadership changes go on the `node` actor of the process (`node/<processId>`), registered as a
 * control-plane node the first time. Recorded in the background: the node actor may live in a
 * partition this process does not hold yet, and the cluster loop must not wait for it.
 */
export function recordLeadership(dispatch: Dispatch, processId: string, change: { gained: number } | { lost: number; reason: string }, logger: Logger): Promise<void> {
  const at = new Date().toISOString();
  const commands = [
    {
      id: `register-${processId}`,
      type: 'RegisterNode',
      data: { serial: processId, name: processId, description: 'edgeplane control-plane process', hardware: { devices: [] } },
    },
    ...('gained' in change
      ? [
          { id: `online-${processId}-${change.gained}`, type: 'MarkOnline', data: { at } },
          { id: `lead-${processId}-${change.gained}`, type: 'AcquireLeadership', data: { term: change.gained, at }, fences: [{ key: 'leader', token: change.gained }] },
        ]
      : [{ id: `unlead-${processId}-${change.lost}`, type: 'ReleaseLeadership', data: { term: change.lost, at } }]),
  ];
  /** Settles (never rejects) once recorded or refused; a process stopping waits for it. */
  return (async () => {
    const results = await dispatch('node', processId, commands.map((c) => ({ ...c, correlationId: newId() })), { withEvents: false });
    const failed = results.filter((r) => !r.ok && !['ERR_NODE_ALREADY_REGISTERED'].includes(r.error.code));
    if (failed.length > 0) logger.warn({ processId, change, failed }, 'leadership change not recorded on the node actor');
  })().catch((err: unknown) => logger.warn({ err, processId }, 'leadership change not recorded on the node actor'));
}

/** The process's node actor hears from it regularly, so the liveness manager never marks a running control plane offline. */
export function startNodeHeartbeat(dispatch: Dispatch, processId: string, everyMs: number, logger: Logger): () => void {
  const beat = () =>
    dispatch('node', processId, [{ id: newId(), type: 'Heartbeat', data: { at: new Date().toISOString() } }], { withEvents: false })
      .then(([r]) => {
        if (r && !r.ok && r.error.code !== 'ERR_NODE_NOT_REGISTERED') logger.warn({ error: r.error }, 'control-plane heartbeat refused');
      })
      .catch((err: unknown) => logger.warn({ err }, 'control-plane heartbeat failed'));
  const timer = setInterval(beat, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
