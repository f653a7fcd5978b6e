import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { launchBrowser, openDashboard, screenshot } from '../helpers/browser.js';
import { startTestControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { apiAs, board, KEYS } from '../helpers/fleet.js';
import { eventually, tempDir } from '../helpers/nats.js';

/**
 * The web dashboard as a person uses it: real Chromium, a real control plane over real HTTP with
 * API keys, boards simulated by commands on the command bus. Screenshots of each page go to
 * test-output/screenshots/.
 */
describe('web dashboard (Chromium against a real control plane)', () => {
  let t: TestControlPlane;
  let browser: Browser;
  let base: string;
  let boards: ReturnType<typeof board>;
  const keysDir = tempDir('ep-ui-keys-');
  const admin = () => apiAs(base, KEYS.admin.key);

  beforeAll(async () => {
    const keysFile = join(keysDir.path, 'keys.json');
    writeFileSync(keysFile, JSON.stringify(Object.values(KEYS)));
    [t, browser] = await Promise.all([startTestControlPlane(builtinDeciders, { apiKeysFile: keysFile, writeRateLimit: 10_000 }), launchBrowser()]);
    base = t.cp.httpUrl!;
    boards = board(t.bus);
    await boards.send('reactor/r1', 'MarkOnline');
    await boards.send('reactor/r1', 'ReportDevices', { devices: [{ id: 'bme', bus: 'i2c-1', address: '0x76', driver: 'bme280' }] });
    await boards.batch('sensor/t1', [
      { type: 'AttachSensor', data: { role: 'sensor', type: 'temperature', unit: '°C', parent: 'reactor/r1' } },
      ...[20.5, 21, 21.5, 22].map((value) => ({ type: 'RecordReading', data: { value } })),
    ]);
    await boards.send('sensor/lamp1', 'AttachSensor', { role: 'actuator', type: 'lamp', unit: '', parent: 'reactor/r1' });
    await boards.send('sensor/motion1', 'AttachSensor', { role: 'sensor', type: 'pir', unit: '', parent: 'reactor/r1' });
    await boards.send('node/n1', 'RegisterNode', { serial: 'SN-1', name: 'greenhouse', description: 'the node', hardware: { devices: [] } });
    await boards.send('node/n1', 'MarkOnline');
  });
  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
    keysDir.cleanup();
  });

  it('serves the dashboard without a key (typed, revalidated, nothing outside its folder), while the API still wants one', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await index.text()).toContain('<script type="module" src="/ui/app.js">');
    const js = await fetch(`${base}/ui/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('no-cache');
    const etag = js.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    expect((await fetch(`${base}/ui/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${base}/ui/style.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    // Only the folder's own files: with a key (so the API's 404 answers, not its 401), nothing else is found.
    const withKey = { headers: { authorization: `Bearer ${KEYS.admin.key}` } };
    for (const path of ['/ui/nothing.js', '/ui/..%2f..%2fpackage.json', '/ui/%2e%2e/uiPlugin.ts', '/ui/tsconfig.json', '/ui/']) expect((await fetch(`${base}${path}`, withKey)).status).toBe(404);
    expect((await fetch(`${base}/v1/system`)).status).toBe(401);
  });

  it('sign-in: an unknown key is refused on the page; a known one opens the system view', async () => {
    const d = await openDashboard(browser, base, undefined);
    await d.page.locator('#signin input[name=key]').fill('not-a-key-of-this-control-plane');
    await d.page.locator('#signin button').click();
    await expect.poll(() => d.page.locator('#signin output').textContent()).toContain('does not know this key');
    await screenshot(d.page, 'signin');
    await d.page.locator('#signin input[name=key]').fill(KEYS.admin.key);
    await d.page.locator('#signin button').click();
    await d.page.locator('.page-system [data-key="sensor/t1"]').waitFor();
    expect(await d.page.locator('#who .role').textContent()).toBe('admin');
    expect(d.errors).toEqual([]);
    await d.close();
  });

  it('system: a reading from a board and a reactor going offline change the page without a reload', async () => {
    const d = await openDashboard(browser, base, KEYS.operator.key);
    const row = d.page.locator('[data-key="sensor/t1"]');
    await expect.poll(() => row.textContent()).toContain('22 °C');
    await expect.poll(() => d.page.locator('#cluster').textContent()).toMatch(/leader|single process/);
    // A marker on the window survives only if the page is never reloaded.
    await d.page.evaluate('window.notReloaded = true');
    await boards.send('sensor/t1', 'RecordReading', { value: 23.25 });
    await expect.poll(() => row.textContent()).toContain('23.25 °C');
    await boards.send('reactor/r1', 'MarkOffline', { reason: 'board unplugged' });
    await expect.poll(() => d.page.locator('[data-key="reactor/r1"]').textContent()).toContain('OFFLINE');
    await expect.poll(() => row.locator('.pill').textContent()).toBe('UNKNOWN');
    expect(await d.page.locator('[data-key="reactor/r1"]').textContent()).toContain('board unplugged');
    expect(await d.page.evaluate('window.notReloaded')).toBe(true);
    await boards.send('reactor/r1', 'MarkOnline');
    await boards.send('sensor/t1', 'RecordReading', { value: 23.5 });
    await expect.poll(() => row.locator('.pill').textContent()).toBe('ONLINE');
    await screenshot(d.page, 'system');
    expect(d.errors).toEqual([]);
    await d.close();
  });

  it('device: a sensor\'s readings as a chart, refused when set (the API\'s message shown); an actuator\'s desired vs reported', async () => {
    const d = await openDashboard(browser, base, KEYS.operator.key, '#/device/t1');
    const dots = d.page.locator('#chart circle.dot');
    const readings = (await admin().get('/v1/actors/sensor/t1/events?limit=1000')).events.filter((e: { type: string }) => e.type === 'ReadingRecorded');
    await expect.poll(() => dots.count()).toBeGreaterThanOrEqual(readings.length);
    await boards.send('sensor/t1', 'RecordReading', { value: 24.75 });
    await expect.poll(() => d.page.locator('#recent tbody tr').first().textContent()).toContain('24.75');
    await d.page.locator('#set input[name=value]').fill('5');
    await d.page.locator('#set button').click();
    await expect.poll(() => d.page.locator('#set-result').textContent()).toContain('ERR_SENSOR_READ_ONLY');
    expect(await d.page.locator('#set-result').textContent()).toMatch(/read-only|read only/i);
    await screenshot(d.page, 'device-sensor');

    await d.page.goto(`${base}/#/device/lamp1`);
    await d.page.locator('#set input[name=value]').fill('1');
    await d.page.locator('#set button').click();
    await expect.poll(() => d.page.locator('#set-result').textContent()).toContain('requested 1');
    await expect.poll(() => d.page.locator('#desired').textContent()).toContain('1 (pending)');
    await boards.send('sensor/lamp1', 'ReportValue', { value: 1 });
    await expect.poll(() => d.page.locator('#desired').textContent()).toContain('(confirmed)');
    await expect.poll(() => d.page.locator('#value').textContent()).toContain('1');
    await expect.poll(() => d.page.locator('#chart path.line').count()).toBe(2);
    await screenshot(d.page, 'device-actuator');
    expect(d.errors).toEqual([]);
    await d.close();
  });

  it('interactions: add one, then a conflicting one is refused and the conflict shown beside the form, naming both', async () => {
    const d = await openDashboard(browser, base, KEYS.admin.key, '#/interactions');
    const form = d.page.locator('#interaction-form');
    const fill = async (id: string, op: string, threshold: string, value: string) => {
      await form.locator('input[name=id]').fill(id);
      await form.locator('input[name=source]').fill('sensor/motion1');
      await form.locator('select[name=op]').selectOption(op);
      await form.locator('input[name=threshold]').fill(threshold);
      await form.locator('input[name=target]').fill('sensor/lamp1');
      await form.locator('input[name=value]').fill(value);
      await form.locator('button', { hasText: 'Add' }).click();
    };
    await fill('motion-on', '>', '5', '1');
    await d.page.locator('tr[data-id="motion-on"]').waitFor();
    await fill('motion-dim', '>', '3', '0');
    const problem = d.page.locator('#interaction-form .problem.conflict');
    await problem.waitFor();
    const text = await problem.textContent();
    expect(text).toContain('ERR_INTERACTION_CONFLICT');
    expect(text).toContain('motion-dim');
    expect(text).toContain('motion-on');
    expect(text).toContain('flicker');
    await expect.poll(() => d.page.locator('tr.conflicting[data-id="motion-on"]').count()).toBe(1);
    expect((await admin().get('/v1/interactions')).interactions.map((i: { id: string }) => i.id)).toEqual(['motion-on']);
    await screenshot(d.page, 'interactions-conflict');

    // Firings with latency: the motion sensor fires, the lamp's board confirms.
    const requestBefore = (await admin().get('/v1/actors/sensor/lamp1')).state.desired?.requestId;
    await boards.send('sensor/motion1', 'RecordReading', { value: 9 });
    await eventually(async () => expect((await admin().get('/v1/actors/sensor/lamp1')).state.desired?.requestId).not.toBe(requestBefore));
    await boards.send('sensor/lamp1', 'ReportValue', { value: 1 });
    await d.page.locator('tr[data-id="motion-on"] [data-action=firings]').click();
    await expect.poll(() => d.page.locator('tr.firings').textContent(), { timeout: 10_000 }).toMatch(/\d+ ms/);
    // Disable from the table: the API agrees.
    await d.page.locator('input[data-control=toggle][data-id="motion-on"]').uncheck();
    await eventually(async () => expect((await admin().get('/v1/interactions/motion-on')).enabled).toBe(false));
    await screenshot(d.page, 'interactions');
    // Edit: the form takes the row, the API takes the change.
    await d.page.locator('button[data-control=edit][data-id="motion-on"]').click();
    await form.locator('input[name=threshold]').fill('6.5');
    await form.locator('button', { hasText: 'Save' }).click();
    await eventually(async () => expect((await admin().get('/v1/interactions/motion-on')).when.value).toBe(6.5));
    await expect.poll(() => d.page.locator('tr[data-id="motion-on"]').textContent()).toContain('sensor/motion1 > 6.5');
    // Delete, after the person confirms.
    d.page.once('dialog', (dialog) => void dialog.accept());
    await d.page.locator('button[data-control=delete][data-id="motion-on"]').click();
    await expect.poll(() => d.page.locator('tr[data-id="motion-on"]').count()).toBe(0);
    expect((await admin().call('GET', '/v1/interactions/motion-on')).status).toBe(404);
    expect(d.errors).toEqual([]);
    await d.close();
  });

  it('timeline: the slider shows the state at a revision, the event that produced it and the diff to the one before', async () => {
    const d = await openDashboard(browser, base, KEYS.viewer.key, '#/timeline/sensor/t1');
    const slider = d.page.locator('#slider');
    await slider.waitFor();
    const events = (await admin().get('/v1/actors/sensor/t1/events?limit=1000')).events as Array<{ type: string; revision: number }>;
    expect(Number(await slider.getAttribute('max'))).toBe(events.length - 1);
    await slider.fill('2');
    await slider.press('ArrowRight');
    const expected = await admin().get('/v1/actors/sensor/t1/state?revision=3');
    await expect.poll(() => d.page.locator('#rev').textContent()).toBe('3');
    await expect.poll(async () => JSON.parse((await d.page.locator('#state').textContent()) ?? 'null')).toEqual(expected.state);
    expect(await d.page.locator('#event .event-type').textContent()).toBe(events[3]!.type);
    const diffText = await d.page.locator('#diff').textContent();
    expect(diffText).toContain('lastReading.value');
    const before = (await admin().get('/v1/actors/sensor/t1/state?revision=2')).state;
    expect(diffText).toContain(String(before.lastReading.value));
    expect(diffText).toContain(String(expected.state.lastReading.value));
    // A new event extends the slider live.
    await boards.send('sensor/t1', 'RecordReading', { value: 19.5 });
    await expect.poll(async () => Number(await slider.getAttribute('max'))).toBe(events.length);
    await screenshot(d.page, 'timeline');
    expect(d.errors).toEqual([]);
    await d.close();
  });

  it('energy: kWh per hour as bars for a plug, its total as the API computes it, and its switch', async () => {
    const now = Date.now();
    await boards.send('daemon/p1', 'RegisterDaemon', { owner: KEYS.admin.user });
    // A measurement every 30 s for the last 2 h at 1 kW.
    await boards.batch('daemon/p1', Array.from({ length: 241 }, (_, i) => ({ type: 'RecordPower', data: { watts: 1000, at: new Date(now - (240 - i) * 30_000).toISOString() } })));
    const all = await eventually(async () => {
      const r = await admin().get('/v1/daemons/p1/energy?unit=hour');
      expect(r.totalKwh).toBeGreaterThan(1.9);
      return r;
    });
    const d = await openDashboard(browser, base, KEYS.admin.key, '#/energy/p1');
    await expect.poll(() => d.page.locator('#total-kwh').textContent()).toBe(`${Math.round(all.totalKwh * 1000) / 1000} kWh`);
    const bars = await d.page.locator('#energy rect.bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    expect(bars.reduce((s, v) => s + v, 0)).toBeCloseTo(all.totalKwh, 6);
    expect(bars.filter((v) => v > 0).length).toBe(all.buckets.filter((b: { kwh: number }) => b.kwh > 0).length);
    await d.page.locator('button[data-control=power-on]').click();
    await expect.poll(() => d.page.locator('#power-result').textContent()).toContain('switch on');
    await expect.poll(() => d.page.locator('#power').textContent()).toContain('switch on: pending');
    await boards.send('daemon/p1', 'ConfirmPower', { on: true });
    await expect.poll(() => d.page.locator('#power').textContent()).toMatch(/^on/);
    await screenshot(d.page, 'energy');
    expect(d.errors).toEqual([]);
    await d.close();
  });

  it('blocks: a master, its slave with the translation table, the data it mirrored and the lag', async () => {
    const api = admin();
    expect((await api.call('PUT', '/v1/blocks/spark-one/sensor', { data: { value: { temp: 21.5, unit: 'C' } } })).status).toBe(200);
    expect((await api.call('PUT', '/v1/blocks/spark-two/copy', { data: { mirror: {} } })).status).toBe(200);
    expect((await api.call('POST', '/spark-one/remote/master', { id: 'sensor', interval: 0.2 })).status).toBe(200);
    expect((await api.call('POST', '/spark-two/remote/slave', { id: 'copy', key: 'spark-one.sensor', translations: { 'value/temp': 'mirror/t' } })).status).toBe(200);
    const d = await openDashboard(browser, base, KEYS.viewer.key, '#/blocks');
    const card = d.page.locator('[data-sync-key="spark-one.sensor"]');
    await expect.poll(() => card.locator('[data-block="spark-two:copy"] .lag').count(), { timeout: 10_000 }).toBe(1);
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('spark-one:sensor');
    expect(text).toMatch(/value\/temp\s*mirror\/t/);
    expect(text).toMatch(/"t": 21\.5/);
    const lag = Number((await card.locator('.lag').textContent())?.replace(' ms', ''));
    const slave = (await api.get('/v1/system')).blocks.find((b: { id: string }) => b.id === 'spark-two:copy');
    expect(lag).toBe(Date.parse(slave.lastSync.at) - Date.parse(slave.lastSync.masterAt));
    await screenshot(d.page, 'blocks');
    expect(d.errors).toEqual([]);
    await d.close();
  });

  it('gateways: dependents, firmware target and update progress, the Running/Paused switch', async () => {
    await boards.send('gateway/g1', 'GatewayStarted', { devices: [{ localId: 'mcu-1', online: true }] });
    await boards.send('gateway/g1', 'ReportStatus', { currentStatus: 'Running' });
    await boards.send('gateway/g1', 'DetectDevice', { localId: 'mcu-1', boardType: 'nrf52' });
    await boards.send('gateway/g1', 'ProvisionDevice', { localId: 'mcu-1', name: 'pump', application: 'greenhouse' });
    const d = await openDashboard(browser, base, KEYS.admin.key, '#/gateways');
    const row = d.page.locator('[data-key="dependent/g1/mcu-1"]');
    await row.locator('input[name=commit]').fill('abc123');
    await row.locator('button').click();
    await expect.poll(() => row.textContent()).toContain('attempt 1/');
    await boards.send('gateway/g1', 'ReportUpdateProgress', { localId: 'mcu-1', attempt: 1, percent: 40 });
    await expect.poll(() => row.locator('progress').getAttribute('value')).toBe('40');
    expect(await row.textContent()).toContain('abc123');
    await d.page.locator('button[data-control=status][data-status=Paused]').click();
    await expect.poll(async () => (await admin().get('/v1/gateways/g1/enm/status')).targetStatus).toBe('Paused');
    await expect.poll(() => d.page.locator('[data-gateway=g1]').textContent()).toContain('target Paused');
    await boards.send('gateway/g1', 'FailUpdateAttempt', { localId: 'mcu-1', attempt: 1, error: 'flash write failed' });
    await expect.poll(() => row.textContent()).toContain('flash write failed');
    await screenshot(d.page, 'gateways');
    expect(d.errors).toEqual([]);
    await d.close();
  });

  it('a viewer key sees the same data and no controls on any page; an admin sees them', async () => {
    const pages = ['#/system', '#/device/lamp1', '#/interactions', '#/energy/p1', '#/gateways', '#/blocks', '#/timeline/sensor/t1'];
    const controls = async (key: string) => {
      const d = await openDashboard(browser, base, key);
      const counts: Record<string, number> = {};
      for (const hash of pages) {
        await d.page.goto(`${base}/${hash}`);
        await d.page.locator('.page').waitFor();
        // The page has drawn its data before controls are counted.
        await expect.poll(() => d.page.locator('.page').textContent()).not.toContain('Loading');
        const writes = d.page.getByRole('button', { name: /^(Set|Add|Save|Switch on|Switch off|Run|Pause|Update|edit|delete)$/ });
        counts[hash] = (await d.page.locator('[data-control]').count()) + (await writes.count());
        if (hash === '#/system') await screenshot(d.page, `system-as-${key === KEYS.viewer.key ? 'viewer' : 'admin'}`);
      }
      expect(d.errors).toEqual([]);
      await d.close();
      return counts;
    };
    const asViewer = await controls(KEYS.viewer.key);
    const asAdmin = await controls(KEYS.admin.key);
    expect(Object.values(asViewer)).toEqual(pages.map(() => 0));
    for (const hash of ['#/device/lamp1', '#/interactions', '#/energy/p1', '#/gateways']) expect(asAdmin[hash]).toBeGreaterThan(0);
    // The viewer is not shown an empty page: the plug is hidden (not theirs), the devices are not.
    const d = await openDashboard(browser, base, KEYS.viewer.key, '#/system');
    await d.page.locator('[data-key="sensor/lamp1"]').waitFor();
    expect(await d.page.locator('[data-key="daemon/p1"]').count()).toBe(0);
    await d.close();
  });
});
