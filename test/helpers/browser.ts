import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '../..');
/** Debian's Chromium; scripts/bootstrap.sh (run by `npm test`) installs it when it is missing. */
export const CHROMIUM = process.env.EDGEPLANE_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-output/screenshots');

/** Headless Chromium as the issue asks: no sandbox (containers), no GPU, no background traffic. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/bootstrap.sh (it installs Debian's chromium), or set EDGEPLANE_CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export interface DashboardPage {
  page: Page;
  /** Uncaught errors in the page: a test ends by expecting none. */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh browser context (its own session storage), at the dashboard, signed in with `key` when one is given (else at the sign-in page, or in if the API is open). */
export async function openDashboard(browser: Browser, base: string, key: string | undefined, hash = '#/system'): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/${hash}`);
  if (key !== undefined) {
    await page.locator('#signin input[name=key]').fill(key);
    await page.locator('#signin button').click();
  }
  await page.locator(key === undefined ? '#signin, .page' : '.page').first().waitFor();
  return { page, errors, close: () => context.close() };
}

/** Saves a full-page screenshot under test-output/screenshots for review. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
