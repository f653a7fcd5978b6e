import type { Bme280Calibration } from './bme280.calibration.js';

/**
 * The datasheet's integer compensation (BST-BME280-DS002 §4.2.3), transcribed operation by
 * operation: temperature and humidity in 32-bit signed arithmetic, pressure in 64-bit (BigInt).
 * JS numbers stand in for int32 because every product here stays below 2^53 and `>>` / `| 0`
 * wrap to 32 bits as C's int32 does; shifts of negative values are arithmetic, as on GCC.
 */

/** Temperature in 0.01 °C ("5123" is 51.23 °C), and t_fine, which P and H compensation take. */
export function compensateTemperature(adcT: number, c: Bme280Calibration): { centiCelsius: number; tFine: number } {
  const var1 = (((adcT >> 3) - (c.T1 << 1)) * c.T2) >> 11;
  const d = (adcT >> 4) - c.T1;
  const var2 = (((d * d) >> 12) * c.T3) >> 14;
  const tFine = (var1 + var2) | 0;
  return { centiCelsius: (tFine * 5 + 128) >> 8, tFine };
}

const i64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/** Pressure in Pa as unsigned Q24.8 ("24674867" is 24674867/256 = 96386.2 Pa). */
export function compensatePressure(adcP: number, tFine: number, c: Bme280Calibration): number {
  let var1 = BigInt(tFine) - 128000n;
  let var2 = i64(var1 * var1 * BigInt(c.P6));
  var2 = i64(var2 + ((var1 * BigInt(c.P5)) << 17n));
  var2 = i64(var2 + (BigInt(c.P4) << 35n));
  var1 = i64(((var1 * var1 * BigInt(c.P3)) >> 8n) + ((var1 * BigInt(c.P2)) << 12n));
  var1 = i64((((1n << 47n) + var1) * BigInt(c.P1)) >> 33n);
  if (var1 === 0n) return 0; // avoid a division by zero
  let p = 1048576n - BigInt(adcP);
  p = i64((((p << 31n) - var2) * 3125n) / var1); // BigInt division truncates toward zero, as C does
  var1 = i64((BigInt(c.P9) * (p >> 13n) * (p >> 13n)) >> 25n);
  var2 = i64((BigInt(c.P8) * p) >> 19n);
  p = ((p + var1 + var2) >> 8n) + (BigInt(c.P7) << 4n);
  return Number(BigInt.asUintN(32, p));
}

/** Relative humidity in %RH as unsigned Q22.10 ("47445" is 47445/1024 = 46.333 %RH). */
export function compensateHumidity(adcH: number, tFine: number, c: Bme280Calibration): number {
  let v = (tFine - 76800) | 0;
  const a = ((((adcH << 14) - (c.H4 << 20) - c.H5 * v) | 0) + 16384) >> 15;
  const b = (((((((v * c.H6) >> 10) * (((v * c.H3) >> 11) + 32768)) >> 10) + 2097152) * c.H2 + 8192) | 0) >> 14;
  v = (a * b) | 0;
  v = (v - (((((v >> 15) * (v >> 15)) >> 7) * c.H1) >> 4)) | 0;
  v = v < 0 ? 0 : v;
  v = v > 419430400 ? 419430400 : v;
  return v >>> 12;
}
