import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { resolveConfig } from '../../src/config.js';
import { startControlPlane, type ControlPlane } from '../../src/main.js';
import { createLogger } from '../../src/shared/logger.js';
import { startTestControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { board, KEYS } from '../helpers/fleet.js';
import { eventually, tempDir } from '../helpers/nats.js';

const CLI = resolve(import.meta.dirname, '../../bin/edgeplane.js');
const SOCKET = `ep-tui-test-${process.pid}`;
const WIDTH = 120;

/** tmux on its own server socket: nothing of anyone else's is touched. */
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'top');
/** The screen with its colours and attributes as escape sequences. */
const screenWithStyles = () => tmux('capture-pane', '-p', '-e', '-t', 'top');
const keys = (...k: string[]) => void tmux('send-keys', '-t', 'top', ...k);
const untilScreen = (what: string, test: (s: string) => boolean, timeoutMs = 10_000) =>
  eventually(
    () => {
      const s = screen();
      if (!test(s)) throw new Error(`waiting for ${what}; the screen is:\n${s}`);
      return s;
    },
    { timeoutMs, intervalMs: 100 },
  );
const lineWith = (s: string, text: string) => s.split('\n').find((l) => l.includes(text)) ?? '';
/** The line drawn in reverse video (the selection); tmux writes reverse as SGR 7. */
const selectedLine = () =>
  screenWithStyles()
    .split('\n')
    .find((l) => /\x1b\[(?:[0-9;]*;)?7m/.test(l))
    ?.replace(/\x1b\[[0-9;]*m/g, '') ?? '';

/**
 * `edgeplane top` driven in tmux as a person would: real keys in, the real terminal read back,
 * against a real control plane that is stopped and started again under it.
 */
describe('edgeplane top (in tmux, against a real control plane)', () => {
  let t: TestControlPlane;
  let again: ControlPlane | undefined;
  let boards: ReturnType<typeof board>;
  let keysFile: string;
  const keysDir = tempDir('ep-tui-keys-');

  beforeAll(async () => {
    keysFile = join(keysDir.path, 'keys.json');
    writeFileSync(keysFile, JSON.stringify(Object.values(KEYS)));
    t = await startTestControlPlane(builtinDeciders, { apiKeysFile: keysFile });
    boards = board(t.bus);
    for (const r of ['r1', 'r2']) await boards.send(`reactor/${r}`, 'MarkOnline');
    await boards.batch('sensor/t1', [
      { type: 'AttachSensor', data: { role: 'sensor', type: 'temperature', unit: '°C', parent: 'reactor/r1' } },
      ...[20.25, 20.5, 21.5].map((value) => ({ type: 'RecordReading', data: { value } })),
    ]);
    await boards.batch('sensor/t2', [
      { type: 'AttachSensor', data: { role: 'sensor', type: 'humidity', unit: '%', parent: 'reactor/r1' } },
      { type: 'RecordReading', data: { value: 40 } },
    ]);
    await boards.batch('sensor/t3', [
      { type: 'AttachSensor', data: { role: 'sensor', type: 'ph', unit: 'pH', parent: 'reactor/r2' } },
      { type: 'RecordReading', data: { value: 7.25 } },
    ]);
    // The key comes from the environment, as the README recommends (flags show in ps).
    const command = `EDGEPLANE_API_KEY=${KEYS.viewer.key} ${process.execPath} ${CLI} top --url ${t.cp.httpUrl}; echo "top exited with $?"; sleep 600`;
    tmux('new-session', '-d', '-s', 'top', '-x', String(WIDTH), '-y', '30', command);
  });
  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await again?.stop();
    await t?.cleanup();
    keysDir.cleanup();
  });

  it('shows the tree, live, with status in colour', async () => {
    const s = await untilScreen('the tree', (x) => x.includes('● live') && x.includes('reactor r2') && x.includes('7.25 pH'));
    expect(lineWith(s, ' t1 ')).toMatch(/temperature\s+ONLINE\s+21\.5 °C/);
    expect(lineWith(s, ' t2 ')).toMatch(/humidity\s+ONLINE\s+40 %/);
    expect(s.indexOf('reactor r1')).toBeLessThan(s.indexOf(' t1 '));
    expect(s.indexOf(' t2 ')).toBeLessThan(s.indexOf('reactor r2'));
    expect(s).toContain('devices 3: 3 online');
    expect(s).toMatch(/cluster: (leader|single process)/);
    expect(screenWithStyles()).toMatch(/\x1b\[[0-9;]*32m(?:\x1b\[[0-9;]*m)*ONLINE/);
  });

  it('a status change and a new reading show up without a key being pressed', async () => {
    await boards.send('reactor/r2', 'MarkOffline', { reason: 'cable cut' });
    const s = await untilScreen('r2 offline', (x) => /reactor r2\s+reactor\s+OFFLINE/.test(x) && /t3\s+ph\s+UNKNOWN/.test(x));
    expect(lineWith(s, 'reactor r2')).toContain('cable cut');
    expect(screenWithStyles()).toMatch(/\x1b\[[0-9;]*31m(?:\x1b\[[0-9;]*m)*OFFLINE/);
    await boards.send('sensor/t2', 'RecordReading', { value: 41.5 });
    await untilScreen('the new reading', (x) => /humidity\s+ONLINE\s+41\.5 %/.test(x));
  });

  it('moves with the keyboard: ↓ selects, ← folds, → unfolds, enter opens a device\'s recent values, esc goes back', async () => {
    await eventually(() => expect(selectedLine()).toContain('Reactors'));
    keys('Down');
    await eventually(() => expect(selectedLine()).toContain('reactor r1'));
    keys('Left');
    await untilScreen('r1 folded', (x) => x.includes('▸ reactor r1 (2)') && !x.includes(' t1 '));
    keys('Right');
    await untilScreen('r1 unfolded', (x) => x.includes('▾ reactor r1') && x.includes(' t1 '));
    keys('Down');
    await eventually(() => expect(selectedLine()).toMatch(/^\s+t1\s/));
    keys('Enter');
    // Its values arrive a moment after the page opens (one API read): wait for the oldest.
    let s = await untilScreen('t1\'s values', (x) => x.includes('sensor t1') && /reading\s+20\.25 °C/.test(x));
    const values = s.split('\n').flatMap((l) => /^\s+\d\d:\d\d:\d\d\s+reading\s+([\d.]+) °C/.exec(l)?.[1] ?? []);
    expect(values).toEqual(['21.5', '20.5', '20.25']);
    await boards.send('sensor/t1', 'RecordReading', { value: 22.75 });
    s = await untilScreen('the new value on top', (x) => /reading\s+22\.75 °C/.test(x));
    expect(s.search(/reading\s+22\.75 °C/)).toBeLessThan(s.search(/reading\s+21\.5 °C/));
    keys('Escape');
    await untilScreen('the tree again', (x) => x.includes('▾ Reactors') && !x.includes('Recent values'));
    await eventually(() => expect(selectedLine()).toMatch(/^\s+t1\s/));
  });

  it('shows an OFFLINE banner over the last known view while the control plane is down, and goes live again when it is back', async () => {
    keys('Escape'); // the tree, whatever the test before left open
    const port = Number(new URL(t.cp.httpUrl!).port);
    await t.cp.stop();
    // First "the stream ended" (the server closed it), then, retrying, the refused connection.
    const s = await untilScreen('the offline banner', (x) => x.includes('OFFLINE — cannot reach the control plane (ECONNREFUSED)'));
    expect(s).toContain('○ offline');
    expect(s).toMatch(/t1\s+temperature/); // the last known view stays
    // It keeps retrying: the attempt count goes up.
    const attempt = () => Number(/attempt (\d+)/.exec(screen())?.[1]);
    const first = attempt();
    await eventually(() => expect(attempt()).toBeGreaterThan(first + 1), { timeoutMs: 5000 });

    again = await startControlPlane(
      resolveConfig({ httpPort: port, dataDir: t.dir.path, natsUrl: t.nats.url, apiKeysFile: keysFile }, {}),
      builtinDeciders,
      createLogger({ level: 'silent' }),
    );
    await untilScreen('live again', (x) => x.includes('● live') && !x.includes('OFFLINE —'), 20_000);
    await boards.send('sensor/t1', 'RecordReading', { value: 23.5 });
    await untilScreen('a reading after the restart', (x) => /temperature\s+ONLINE\s+23\.5 °C/.test(x), 15_000);
  });

  it('q quits and gives the terminal back (exit status 0)', async () => {
    keys('q');
    const s = await untilScreen('the exit', (x) => x.includes('top exited with'));
    expect(s).toContain('top exited with 0');
    expect(s).not.toContain('reactor r1');
  });
});
