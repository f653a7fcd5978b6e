import type { ChannelValue } from '../driver.js';
import { MCP23017_PINS } from '../i2c/mcp23017.pins.js';
import { sineWave, squareWave } from '../i2c/index.js';
import { plausibleValues, type ValueSource as SerialValueSource } from '../serial/index.js';
import type { SimWave } from './config.schema.js';
import type { DeviceConfig } from './configDevices.js';

/**
 * What simulated chips measure in a `--simulate` run: plausible, slowly changing values by
 * quantity (a room's temperature, a fridge behind a smart plug…), each device a little different,
 * unless hardware.json's `simulate.values` says otherwise for a channel.
 */
type Wave = (nowMs: number) => ChannelValue;

export function waveOf(w: SimWave): Wave {
  if (typeof w === 'number' || typeof w === 'boolean') return () => w;
  if ('sine' in w) return sineWave(w.sine);
  return squareWave<ChannelValue>(w.square);
}

/** A small, stable offset per device, so two TMP102s on one board do not read the same. */
function jitter(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return ((h >>> 0) % 1000) / 1000;
}

const num = (w: Wave | undefined, fallback: (now: number) => number): ((now: number) => number) => (w ? (now) => Number(w(now)) : fallback);

/** Options for `i2cSimulators[driver]` (the sims take value sources). */
export function i2cSimOptions(device: DeviceConfig): object {
  const o = (name: string): Wave | undefined => (device.simValues[name] === undefined ? undefined : waveOf(device.simValues[name]!));
  const j = jitter(device.id);
  switch (device.driver) {
    case 'tmp102':
      return { temperature: num(o('temperature'), sineWave({ mean: 20.5 + 2 * j, amplitude: 1.5, periodMs: 300_000, phase: 6 * j })) };
    case 'bme280':
      return {
        temperature: num(o('temperature'), sineWave({ mean: 21 + 2 * j, amplitude: 1.2, periodMs: 420_000, phase: 6 * j })),
        pressure: num(o('pressure'), sineWave({ mean: 1013 - 5 * j, amplitude: 2.5, periodMs: 1_200_000 })),
        humidity: num(o('humidity'), sineWave({ mean: 45 + 5 * j, amplitude: 8, periodMs: 900_000, phase: 3 * j })),
      };
    case 'ads1115':
      // Keys are the ADC's pins (ain0…ain3), whatever the inputs are called.
      return { voltages: [0, 1, 2, 3].map((n) => num(o(`ain${n}`), sineWave({ mean: 1 + 0.4 * n, amplitude: 0.3, periodMs: 60_000 + 15_000 * n, phase: j * 6 }))) };
    case 'mcp23017':
      return {
        inputs: (now: number) =>
          Object.fromEntries(MCP23017_PINS.map((pin, i) => [pin, Boolean((o(pin) ?? squareWave({ low: false, high: true, periodMs: 20_000 * (1 + (i % 4)) }))(now))])),
      };
    default:
      return {};
  }
}

/** The value source of a simulated serial device (JSON lines or Modbus): overrides first, then plausible values. */
export function serialSimSource(device: DeviceConfig): SerialValueSource {
  const plausible = plausibleValues({ startedAtMs: Date.now() - Math.round(jitter(device.id) * 600_000) });
  const overrides = new Map(Object.entries(device.simValues).map(([k, w]) => [k, waveOf(w)]));
  return (channel, state, now) => {
    const w = overrides.get(channel.name);
    if (!w) return plausible(channel, state, now);
    // A plug switched off draws nothing, whatever the override says.
    const off = state.channels.some((c) => c.role === 'actuator' && ['relay', 'switch', 'power_switch'].includes(c.type) && state.outputs.get(c.name) === false);
    return off && channel.type === 'power' ? 0 : w(now);
  };
}
