import type { Logger } from '../../shared/logger.js';
import { startPeriodic } from '../../shared/periodic.js';
import { scanDependents } from '../ble/index.js';
import type { EdgeCommand } from '../link/index.js';
import type { HardwareConfig } from './config.js';
import type { BoardHardware } from './hardware.js';

/**
 * A gateway's dependent devices (edge-node-manager seed), found by scanning for their service:
 * each new one is reported with `DetectDevice`; the first scan after start says
 * `GatewayStarted {devices}` (which fails an update the previous run died in, visibly), every
 * later one restates every device's online flag in full with `MarkOnline {devices}` — the seed
 * sent only changes and went out of sync. A device being flashed is connected, so it does not
 * advertise: it counts as online while its update runs.
 */
export interface Dependents {
  scanOnce(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
  /** Devices with an OTA transfer running now. */
  readonly flashing: Set<string>;
}

export function startDependents(deps: { config: HardwareConfig; hardware: BoardHardware; append: (c: EdgeCommand[]) => Promise<void>; logger: Logger }): Dependents {
  const { config } = deps;
  const gateway = config.board.id;
  const log = deps.logger.child({ component: 'dependents' });
  const detected = new Set<string>();
  const flashing = new Set<string>();
  let started = false;
  let ticks: { stop(): Promise<void> } | undefined;
  let failing = false;

  async function scanOnce(): Promise<void> {
    let found: Array<{ localId: string; boardType: string }> = [];
    try {
      const central = await deps.hardware.central();
      const boardType = config.dependents.boardType;
      found = await scanDependents(central, config.dependents.serviceUuid, config.dependents.scanMs, boardType ? { boardType } : {});
      if (failing) log.info('scanning for dependent devices again');
      failing = false;
    } catch (err) {
      if (!failing) log.warn({ err }, 'cannot scan for dependent devices; retrying at the next scan');
      failing = true;
      // Still say the gateway (re)started, so an update it died in fails visibly now.
      if (started) return;
    }
    const at = new Date().toISOString();
    const commands: EdgeCommand[] = [];
    for (const f of found) {
      if (detected.has(f.localId)) continue;
      detected.add(f.localId);
      log.info({ localId: f.localId, boardType: f.boardType }, 'dependent device detected');
      commands.push({ kind: 'gateway', id: gateway, type: 'DetectDevice', data: { localId: f.localId, boardType: f.boardType, at } });
    }
    const online = new Set([...found.map((f) => f.localId), ...flashing]);
    const devices = [...new Set([...detected, ...flashing])].map((localId) => ({ localId, online: online.has(localId) }));
    commands.push({ kind: 'gateway', id: gateway, type: started ? 'MarkOnline' : 'GatewayStarted', data: { devices, at } });
    started = true;
    await deps.append(commands);
  }

  return {
    flashing,
    scanOnce,
    start() {
      ticks = startPeriodic(scanOnce, config.scanIntervalMs, (err) => log.error({ err }, 'dependent devices not reported'));
    },
    async stop() {
      await ticks?.stop();
    },
  };
}
