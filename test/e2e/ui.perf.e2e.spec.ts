import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { startTestControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { apiAs, board, seedReactors, untilDevices } from '../helpers/fleet.js';

const DEVICES = 1000;
const REPORT = resolve(import.meta.dirname, '../../test-output/ui-perf.json');

/**
 * The bar: first paint of the system page under 1 s on localhost with 1,000 devices:
 * from navigation start to the system page painted with its first screenful of devices
 * (`edgeplane:system-painted`, a User Timing mark the page sets), in a fresh browser context each
 * time (nothing cached). Also measured: all 1,000 rows painted (`edgeplane:system-complete`).
 * The figures go to test-output/ui-perf.json.
 */
describe('web dashboard with 1,000 devices', () => {
  let t: TestControlPlane;
  let browser: Browser;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestControlPlane(builtinDeciders, { writeRateLimit: 100_000 }), launchBrowser()]);
    await seedReactors(board(t.bus), 10, DEVICES / 10);
    await untilDevices(apiAs(t.cp.httpUrl!, undefined), DEVICES);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  it('paints the system page in under 1 s', async () => {
    const runs: Array<{ fcpMs: number; scriptsLoadedMs: number; viewLoadedMs: number; paintedMs: number; completeMs: number; rows: number }> = [];
    for (let i = 0; i < 5; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${t.cp.httpUrl}/#/system`);
      await page.waitForFunction(() => performance.getEntriesByName('edgeplane:system-complete').length > 0, undefined, { timeout: 10_000 });
      // Runs in the page (a string: this file is type-checked without the DOM's types).
      runs.push(
        await page.evaluate(`(() => {
          const at = (name) => performance.getEntriesByName(name)[0];
          return {
            fcpMs: at('first-contentful-paint')?.startTime ?? -1,
            scriptsLoadedMs: at(location.origin + '/ui/app.js')?.responseEnd ?? -1,
            viewLoadedMs: at(location.origin + '/v1/system')?.responseEnd ?? -1,
            paintedMs: at('edgeplane:system-painted').startTime,
            completeMs: at('edgeplane:system-complete').startTime,
            rows: document.querySelectorAll('tr[data-key^="sensor/"]').length,
          };
        })()`),
      );
      await context.close();
    }
    const median = (k: 'fcpMs' | 'paintedMs' | 'completeMs') => [...runs.map((r) => r[k])].sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
    const viewBytes = (await (await fetch(`${t.cp.httpUrl}/v1/system`)).arrayBuffer()).byteLength;
    const figures = { devices: DEVICES, viewBytes, medianFcpMs: median('fcpMs'), medianPaintedMs: median('paintedMs'), medianCompleteMs: median('completeMs'), runs };
    mkdirSync(join(REPORT, '..'), { recursive: true });
    writeFileSync(REPORT, `${JSON.stringify(figures, null, 2)}\n`);
    for (const r of runs) expect(r.rows).toBe(DEVICES);
    // The first run also pays for a cold browser; the median is the figure the issue asks about.
    expect(figures.medianPaintedMs).toBeLessThan(1000);
  });
});
