import type { CommandRequest } from '../commandEnvelope.js';

type Inspect = (kind: string, id: string) => Promise<{ state: unknown; revision: number }>;

const NEEDS_ROLES = new Set(['AddInteraction', 'UpdateInteraction', 'EnableInteraction']);

/**
 * The interactions actor judges read-only targets from the roles its command carries; the
 * control plane fills them in from the sensors' own state before the command is decided, so a
 * client never has to (and cannot get them wrong: what it sent is overwritten for known sensors).
 */
export function interactionRolesEnricher(inspect: Inspect) {
  return (kind: string, _id: string, request: CommandRequest): CommandRequest | Promise<CommandRequest> => {
    if (kind !== 'interactions' || !NEEDS_ROLES.has(request.type)) return request;
    return withRoles(request);
  };

  async function withRoles(request: CommandRequest): Promise<CommandRequest> {
    const data = request.data as { when?: { source?: unknown }; then?: { target?: unknown }; roles?: Record<string, string> };
    const addresses = [data.when?.source, data.then?.target].filter((a): a is string => typeof a === 'string' && a.startsWith('sensor/'));
    const roles: Record<string, string> = { ...(data.roles ?? {}) };
    for (const address of addresses) {
      try {
        const { state, revision } = await inspect('sensor', address.slice('sensor/'.length));
        const role = (state as { role?: unknown }).role;
        if (revision >= 0 && (role === 'sensor' || role === 'actuator')) roles[address] = role;
      } catch {
        // Not a valid sensor id: the decider reports the bad address itself.
      }
    }
    return { ...request, data: { ...request.data, roles } };
  }
}
