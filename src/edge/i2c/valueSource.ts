/**
 * What a simulated chip measures: a fixed value, or a function of time (ms since the epoch, from
 * the chip's clock) so a `--simulate` run can produce plausible, changing values.
 */
export type ValueSource<T> = T | ((nowMs: number) => T);

export function sampleValue<T>(source: ValueSource<T>, nowMs: number): T {
  return typeof source === 'function' ? (source as (nowMs: number) => T)(nowMs) : source;
}

/** `mean + amplitude·sin(2π·t/period + phase)`, e.g. a day's temperature swing. */
export function sineWave(opts: { mean: number; amplitude: number; periodMs: number; phase?: number }): (nowMs: number) => number {
  const { mean, amplitude, periodMs, phase = 0 } = opts;
  return (nowMs) => mean + amplitude * Math.sin((2 * Math.PI * nowMs) / periodMs + phase);
}

/** A square wave between two values, e.g. a switch flipped every `periodMs / 2`. */
export function squareWave<T>(opts: { low: T; high: T; periodMs: number }): (nowMs: number) => T {
  return (nowMs) => (Math.floor((2 * nowMs) / opts.periodMs) % 2 === 0 ? opts.low : opts.high);
}
