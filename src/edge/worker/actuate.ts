import type { Logger } from '../../shared/logger.js';
import type { ChannelValue } from '../driver.js';
import type { PowerActuation, SetActuation } from '../link/index.js';
import type { HardwareConfig } from './config.js';
import type { DeviceSlot } from './deviceSlot.js';
import { UnknownActuatorError } from './errors.js';
import { isSwitchChannel } from './openDevice.js';

/**
 * Applies what the control plane asks of this board (the link checks expiry and duplicates first,
 * and turns what this returns into `ReportValue` / `ConfirmPower`): a value to the actuator
 * channel behind a sensor actor, or a smart plug's relay on or off. Resolves with the value read
 * back from the hardware, never the value asked for.
 */
export function createActuator(deps: { config: HardwareConfig; slots: readonly DeviceSlot[]; logger: Logger }) {
  const board = `${deps.config.board.kind}/${deps.config.board.id}`;
  const log = deps.logger.child({ component: 'actuator' });

  function channelOf(sensor: string): { slot: DeviceSlot; channel: string } {
    for (const slot of deps.slots) {
      for (const [channel, actor] of slot.device?.actorIds ?? []) if (actor === sensor) return { slot, channel };
    }
    throw new UnknownActuatorError(sensor, board);
  }

  function relay(daemon: string): { slot: DeviceSlot; channel: string } {
    if (deps.config.board.kind === 'daemon' && daemon === deps.config.board.id) {
      for (const slot of deps.slots) {
        const ch = slot.device?.channels.find(isSwitchChannel);
        if (ch) return { slot, channel: ch.name };
      }
    }
    throw new UnknownActuatorError(`relay of daemon/${daemon}`, board);
  }

  return async function apply(a: SetActuation | PowerActuation): Promise<ChannelValue> {
    if (a.action === 'set') {
      const { slot, channel } = channelOf(a.sensor);
      const readBack = await slot.write(channel, a.value);
      log.info({ sensor: a.sensor, requestId: a.requestId, value: a.value, readBack }, 'actuator set');
      return readBack;
    }
    const { slot, channel } = relay(a.daemon);
    const readBack = await slot.write(channel, a.on);
    const on = readBack === true || readBack === 1;
    log.info({ daemon: a.daemon, requestId: a.requestId, on: a.on, readBack: on }, 'plug switched');
    return on;
  };
}
