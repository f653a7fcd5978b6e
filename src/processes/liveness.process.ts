import type { Logger } from '../shared/logger.js';
import { actorOf, dataOf, reactionId, timeOf } from './events.js';
import type { CommandSender, ProcessManager } from './processManager.js';

/** Silence longer than this marks an actor offline (configurable per control plane). */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 60_000;

/** Events that prove an actor alive, per kind. */
const SIGNS_OF_LIFE: Record<string, ReadonlySet<string>> = {
  node: new Set(['NodeWentOnline', 'NodeHeartbeatReceived', 'NodeRegistered']),
  reactor: new Set(['ReactorWentOnline', 'ReactorSeen', 'DeviceDiscovered', 'DevicesConfirmed']),
  sensor: new Set(['SensorWentOnline', 'ReadingRecorded', 'ActuatorValueReported']),
  gateway: new Set(['GatewayWentOnline', 'GatewaySeen', 'GatewayHeartbeatReceived', 'ProcessStatusReported', 'DeviceStatusesRestated', 'UpdateProgressReported']),
  daemon: new Set(['DaemonWentOnline', 'PowerRecorded', 'PowerConfirmed', 'DaemonRegistered']),
};
const WENT_OFFLINE = new Set(['NodeWentOffline', 'ReactorWentOffline', 'SensorWentOffline', 'SensorBecameUnknown', 'GatewayWentOffline', 'DaemonWentOffline']);

/**
 * Liveness: nodes, reactors, sensors, gateways, gateways' dependent devices and daemons that are
 * online and stay silent longer than the timeout are marked offline (a reactor's devices become
 * UNKNOWN through its decider); the
 * next message brings them back (their deciders treat it as a sign of life). Also expires
 * desired actuator values nobody confirmed before their `expiresAt`.
 */
export function livenessProcess(deps: { sender: CommandSender; logger: Logger; timeoutMs?: number; sweepMs?: number; now?: () => number }): ProcessManager {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const now = deps.now ?? Date.now;
  const lastSeen = new Map<string, { kind: string; id: string; at: number }>();
  /** Online dependent devices behind each gateway: gateway → localId → last heard of. */
  const dependents = new Map<string, Map<string, number>>();
  const desired = new Map<string, { sensor: string; requestId: string; expiresAt: number }>();
  let sweep: NodeJS.Timeout | undefined;

  const markOffline = (a: { kind: string; id: string; at: number }) =>
    deps.sender
      .send(a.kind, a.id, {
        id: reactionId('liveness', a.kind, a.id, a.at),
        type: 'MarkOffline',
        data: { reason: `no message for ${Math.round(timeoutMs / 1000)} s (last at ${new Date(a.at).toISOString()})` },
      })
      .then((r) => {
        if (!r.ok) deps.logger.debug({ actor: `${a.kind}/${a.id}`, error: r.error }, 'not marked offline');
      });

  const expire = (d: { sensor: string; requestId: string }) =>
    deps.sender.send('sensor', d.sensor, { id: reactionId('expire', d.sensor, d.requestId), type: 'ExpireDesired', data: { requestId: d.requestId } }).then((r) => {
      if (!r.ok) deps.logger.debug({ sensor: d.sensor, error: r.error }, 'desired value not expired');
    });

  function observeDependents(gateway: string, e: Parameters<NonNullable<ProcessManager['observe']>>[0]): void {
    const at = timeOf(e);
    let devices = dependents.get(gateway);
    if (!devices) dependents.set(gateway, (devices = new Map()));
    const seen = (localId: string, online: boolean) => {
      if (online) devices.set(localId, at);
      else devices.delete(localId);
    };
    if (e.type === 'DeviceDetected' || e.type === 'UpdateProgressReported') seen(dataOf<{ localId: string }>(e).localId, true);
    else if (e.type === 'DependentDeviceStatusChanged') seen(dataOf<{ localId: string }>(e).localId, dataOf<{ online: boolean }>(e).online);
    else if (e.type === 'DeviceStatusesRestated') for (const d of dataOf<{ devices: Array<{ localId: string; online: boolean }> }>(e).devices) seen(d.localId, d.online);
    // The gateway restated its devices and nothing differed: every one known online was just listed online.
    else if (e.type === 'GatewaySeen') for (const [localId, last] of devices) devices.set(localId, Math.max(last, at));
    else if (e.type === 'DeviceDeleted') devices.delete(dataOf<{ localId: string }>(e).localId);
    else if (e.type === 'GatewayWentOffline') devices.clear();
  }

  const dependentOffline = (gateway: string, localId: string, at: number) =>
    deps.sender
      .send('gateway', gateway, { id: reactionId('liveness-dep', gateway, localId, at), type: 'ReportDeviceStatus', data: { localId, online: false } })
      .then((r) => {
        if (!r.ok) deps.logger.debug({ gateway, localId, error: r.error }, 'dependent device not marked offline');
      });

  return {
    name: 'liveness',
    kinds: Object.keys(SIGNS_OF_LIFE),
    observe(e) {
      const { kind, id } = actorOf(e);
      const key = `${kind}/${id}`;
      if (SIGNS_OF_LIFE[kind]?.has(e.type)) lastSeen.set(key, { kind, id, at: timeOf(e) });
      else if (WENT_OFFLINE.has(e.type)) lastSeen.delete(key);
      if (kind === 'gateway') observeDependents(id, e);
      if (kind === 'sensor') {
        if (e.type === 'ValueRequested') {
          const d = dataOf<{ requestId: string; expiresAt: string | null }>(e);
          desired.delete(id);
          if (d.expiresAt) desired.set(id, { sensor: id, requestId: d.requestId, expiresAt: Date.parse(d.expiresAt) });
        } else if (e.type === 'DesiredValueConfirmed' || e.type === 'DesiredValueExpired' || e.type === 'DesiredValueSuperseded') {
          if (desired.get(id)?.requestId === dataOf<{ requestId: string }>(e).requestId) desired.delete(id);
        }
      }
    },
    start() {
      sweep = setInterval(() => {
        const t = now();
        for (const a of lastSeen.values()) {
          if (t - a.at > timeoutMs) {
            lastSeen.delete(`${a.kind}/${a.id}`);
            void markOffline(a);
          }
        }
        for (const [gateway, devices] of dependents) {
          for (const [localId, at] of devices) {
            if (t - at > timeoutMs) {
              devices.delete(localId);
              void dependentOffline(gateway, localId, at);
            }
          }
        }
        for (const d of desired.values()) {
          if (d.expiresAt <= t) {
            desired.delete(d.sensor);
            void expire(d);
          }
        }
      }, deps.sweepMs ?? Math.max(250, Math.min(5000, timeoutMs / 4)));
      sweep.unref();
    },
    stop() {
      clearInterval(sweep);
    },
  };
}
