import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBme280Calibration, parseBme280Calibration, type Bme280Calibration } from './bme280.calibration.js';
import { compensateHumidity, compensatePressure, compensateTemperature } from './bme280.compensate.js';
import { humidityDouble, pressureDouble, temperatureDouble } from './bme280.compensateDouble.js';
import { BME280_EXAMPLE_CALIBRATION as C } from './bme280.sim.js';

describe('BME280 compensation', () => {
  // Bosch's worked example (BMP280 datasheet BST-BMP280-DS001 §3.12, the same T/P formulas the
  // BME280 uses): dig_T1..T3 = 27504, 26435, -1000; dig_P1..P9 = 36477, -10685, 3024, 2855, 140,
  // -7, 15500, -14600, 6000; adc_T = 519888, adc_P = 415148 → t_fine = 128422, T = 25.08 °C,
  // p = 100653.27 Pa.
  it('gives the datasheet example temperature and t_fine (int32)', () => {
    expect(C).toMatchObject({ T1: 27504, T2: 26435, T3: -1000 });
    const { centiCelsius, tFine } = compensateTemperature(519888, C);
    expect(tFine).toBe(128422);
    expect(centiCelsius).toBe(2508);
  });

  it('gives the datasheet example pressure (int64, Q24.8) within its resolution', () => {
    expect(C).toMatchObject({ P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000 });
    const q24_8 = compensatePressure(415148, 128422, C);
    expect(Number.isInteger(q24_8)).toBe(true);
    expect(Math.abs(q24_8 / 256 - 100653.27)).toBeLessThan(0.02);
  });

  it('gives the same example through the double-precision formulas (§8.1)', () => {
    const t = temperatureDouble(519888, C);
    expect(t.celsius).toBeCloseTo(25.08, 2);
    expect(t.tFine).toBe(128422);
    expect(Math.abs(pressureDouble(415148, t.tFine, C) - 100653.27)).toBeLessThan(0.02);
  });

  // Bosch publishes no worked humidity example, so the integer formula is checked against the
  // independently transcribed double formula over the whole range, and at its clamps.
  it('agrees with the double-precision humidity formula within 0.01 %RH (about one ADC step, 0.008 %RH)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: -40, max: 85 }), (adcH, celsius) => {
        const tFine = Math.round(celsius * 5120);
        const integer = compensateHumidity(adcH, tFine, C) / 1024;
        expect(Math.abs(integer - humidityDouble(adcH, tFine, C))).toBeLessThan(0.01);
      }),
      { numRuns: 2000 },
    );
  });

  it('clamps humidity to 0 and 100 %RH', () => {
    expect(compensateHumidity(0, 128422, C)).toBe(0);
    expect(compensateHumidity(0xffff, 128422, C)).toBe(100 * 1024);
  });

  it('agrees with the double-precision T and P formulas within 0.01 °C and 1 Pa', () => {
    fc.assert(
      fc.property(fc.integer({ min: 300000, max: 700000 }), fc.integer({ min: 250000, max: 550000 }), (adcT, adcP) => {
        const { centiCelsius, tFine } = compensateTemperature(adcT, C);
        const t = temperatureDouble(adcT, C);
        expect(Math.abs(centiCelsius / 100 - t.celsius)).toBeLessThanOrEqual(0.01);
        expect(Math.abs(compensatePressure(adcP, tFine, C) / 256 - pressureDouble(adcP, t.tFine, C))).toBeLessThan(1);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads the trimming registers back, including the nibble-packed signed H4/H5', () => {
    const negative: Bme280Calibration = { ...C, H2: -5, H4: -349, H5: -30, H6: -7 };
    for (const c of [C, negative]) {
      const { calib1, calib2 } = encodeBme280Calibration(c);
      expect(parseBme280Calibration(calib1, calib2)).toEqual(c);
    }
    // 0xE4..0xE6 = 0x14 0x0D 0x00 → H4 = 0x14 << 4 | 0xD = 333, H5 = 0x00 << 4 | 0x0 = 0
    const calib2 = Uint8Array.of(0x6a, 0x01, 0x00, 0x14, 0x0d, 0x00, 0x1e);
    expect(parseBme280Calibration(new Uint8Array(26), calib2)).toMatchObject({ H2: 362, H3: 0, H4: 333, H5: 0, H6: 30 });
  });
});
