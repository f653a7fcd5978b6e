import type { ChannelInfo, ChannelValue } from '../driver.js';

/**
 * Where a simulated device's sensor values come from. Called at every read with the device's
 * current actuator outputs, so a plug's power can drop to 0 when its relay is off. Returning
 * undefined keeps the value the simulator holds.
 */
export type ValueSource = (channel: ChannelInfo, device: SimDeviceState, nowMs: number) => ChannelValue | undefined;

export interface SimDeviceState {
  readonly channels: readonly ChannelInfo[];
  /** Actuator outputs by channel name. */
  readonly outputs: ReadonlyMap<string, ChannelValue>;
}

/** Actuator types that switch the load of a device off when false. */
const SWITCH_TYPES = new Set(['relay', 'switch', 'gpio', 'power_switch']);

export function isSwitch(c: ChannelInfo): boolean {
  return c.role === 'actuator' && SWITCH_TYPES.has(c.type);
}

/**
 * Plausible, slowly changing values by channel type, for `--simulate` runs: a smart plug behind
 * a fridge-like load (compressor cycling on and off, ripple on top), room climate drifting over
 * the day, mains voltage wobbling around 230 V. Deterministic in time, so two reads at the same
 * instant agree.
 */
export function plausibleValues(opts: { startedAtMs?: number } = {}): ValueSource {
  const t0 = opts.startedAtMs ?? 0;
  let energyWh = 0;
  let lastEnergyAt: number | undefined;
  const wave = (nowMs: number, periodMs: number): number => Math.sin((2 * Math.PI * (nowMs - t0)) / periodMs);

  const powerW = (device: SimDeviceState, nowMs: number): number => {
    if (switchedOff(device)) return 0;
    // Compressor on for 40% of a 10-minute cycle.
    const phase = (((nowMs - t0) % 600_000) + 600_000) % 600_000;
    const compressor = phase < 240_000 ? 85 : 0;
    return round(6 + compressor + 2.5 * wave(nowMs, 7_300), 1);
  };

  return (channel, device, nowMs) => {
    switch (channel.type) {
      case 'power':
        return powerW(device, nowMs);
      case 'energy': {
        // Integrates the power curve between reads.
        if (lastEnergyAt !== undefined && nowMs > lastEnergyAt) energyWh += (powerW(device, nowMs) * (nowMs - lastEnergyAt)) / 3_600_000;
        lastEnergyAt = nowMs;
        return round(energyWh, 3);
      }
      case 'current':
        return round(powerW(device, nowMs) / 230, 3);
      case 'voltage':
        return round(230 + 1.8 * wave(nowMs, 45_000), 1);
      case 'temperature':
        return round(21 + 1.5 * wave(nowMs, 3_600_000) + 0.1 * wave(nowMs, 61_000), 2);
      case 'humidity':
        return round(48 + 6 * wave(nowMs, 5_400_000), 1);
      default:
        return channel.role === 'sensor' ? round(50 + 40 * wave(nowMs, 120_000), 2) : undefined;
    }
  };
}

function switchedOff(device: SimDeviceState): boolean {
  return device.channels.some((c) => {
    const v = device.outputs.get(c.name);
    return isSwitch(c) && (v === false || v === 0);
  });
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
