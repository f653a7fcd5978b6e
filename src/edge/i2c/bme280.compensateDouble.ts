import type { Bme280Calibration } from './bme280.calibration.js';

/**
 * The datasheet's double-precision compensation (BST-BME280-DS002 §8.1), written separately
 * from the integer version the driver uses: the simulated chip inverts these to produce raw
 * ADC values, so a driver/sim round trip checks one transcription against the other.
 */
export function temperatureDouble(adcT: number, c: Bme280Calibration): { celsius: number; tFine: number } {
  const var1 = (adcT / 16384.0 - c.T1 / 1024.0) * c.T2;
  const x = adcT / 131072.0 - c.T1 / 8192.0;
  const var2 = x * x * c.T3;
  return { celsius: (var1 + var2) / 5120.0, tFine: Math.trunc(var1 + var2) };
}

/** Pa. */
export function pressureDouble(adcP: number, tFine: number, c: Bme280Calibration): number {
  let var1 = tFine / 2.0 - 64000.0;
  let var2 = (var1 * var1 * c.P6) / 32768.0;
  var2 = var2 + var1 * c.P5 * 2.0;
  var2 = var2 / 4.0 + c.P4 * 65536.0;
  var1 = ((c.P3 * var1 * var1) / 524288.0 + c.P2 * var1) / 524288.0;
  var1 = (1.0 + var1 / 32768.0) * c.P1;
  if (var1 === 0) return 0;
  let p = 1048576.0 - adcP;
  p = ((p - var2 / 4096.0) * 6250.0) / var1;
  var1 = (c.P9 * p * p) / 2147483648.0;
  var2 = (p * c.P8) / 32768.0;
  return p + (var1 + var2 + c.P7) / 16.0;
}

/** %RH, clamped to 0..100 as the datasheet does. */
export function humidityDouble(adcH: number, tFine: number, c: Bme280Calibration): number {
  let h = tFine - 76800.0;
  h = (adcH - (c.H4 * 64.0 + (c.H5 / 16384.0) * h)) * ((c.H2 / 65536.0) * (1.0 + (c.H6 / 67108864.0) * h * (1.0 + (c.H3 / 67108864.0) * h)));
  h = h * (1.0 - (c.H1 * h) / 524288.0);
  return Math.min(100, Math.max(0, h));
}
