import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { startTestControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { eventually, tempDir } from '../helpers/nats.js';
import { spawnWorker, writeJson, type WorkerProcess } from './edge.helpers.js';

/**
 * `npm run build:edge`: the worker bundled into one file that runs with `node` alone, from a
 * directory with no node_modules, and the Node single executable where this machine can make
 * one. Both run a simulated board against a real control plane.
 */
const ROOT = resolve(import.meta.dirname, '../..');

describe('the bundled edge worker', () => {
  let t: TestControlPlane;
  const dir = tempDir('ep-edge-bundle-');
  const workers: WorkerProcess[] = [];
  let build: { status: number | null; output: string };

  beforeAll(async () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-edge.mjs')], { encoding: 'utf8', cwd: ROOT });
    build = { status: r.status, output: `${r.stdout}${r.stderr}` };
    t = await startTestControlPlane(builtinDeciders);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill9()));
    await t?.cleanup();
    dir.cleanup();
  });

  const hardware = (id: string) =>
    writeJson(dir.path, `${id}.json`, {
      board: { kind: 'reactor', id },
      nats: { url: t.nats.url },
      buffer: { dir: `buffer-${id}` },
      devices: [
        { id: `${id}-t`, bus: 'i2c', address: '0x48', driver: 'tmp102', intervalMs: 200 },
        { id: `${id}-plug`, bus: 'serial', path: '/dev/ttyUSB0', address: 1, driver: 'modbus', intervalMs: 200, channels: ['power'] },
        {
          id: `${id}-ble`,
          bus: 'ble',
          serviceUuid: '181a',
          driver: 'gatt',
          intervalMs: 300,
          options: { characteristics: [{ name: 'temperature', uuid: '2a6e', role: 'sensor', type: 'temperature', unit: '°C', format: 'int16le', scale: 0.01 }] },
        },
      ],
    });

  /** Runs a simulated board with the given command, checks its readings arrive, stops it. */
  async function runsABoard(command: string[], id: string): Promise<void> {
    const w = spawnWorker(hardware(id), { command, args: ['--simulate'], logFile: join(dir.path, `${id}.log`), cwd: dir.path });
    workers.push(w);
    for (const sensor of [`${id}-t`, `${id}-plug`, `${id}-ble`]) {
      await eventually(
        async () => expect((await t.cp.store.readStream(`sensor-${sensor}`)).filter((e) => e.type === 'ReadingRecorded').length, sensor).toBeGreaterThanOrEqual(3),
        { timeoutMs: 20_000, intervalMs: 250 },
      );
    }
    expect(await w.stop()).toBe(0);
    expect(w.lines().at(-1)).toMatchObject({ msg: 'edge worker stopped', pending: 0 });
  }

  it('builds one JavaScript file that runs a simulated board with node alone (no node_modules beside it)', async () => {
    expect(build.status, build.output).toBe(0);
    expect(build.output).toMatch(/bundle: .*edgeplane-edge\.cjs \(\d+\.\d MiB/);
    const bundle = join(dir.path, 'edgeplane-edge.cjs');
    copyFileSync(join(ROOT, 'dist-edge/edgeplane-edge.cjs'), bundle);
    expect(existsSync(join(dir.path, 'node_modules'))).toBe(false);
    await runsABoard([process.execPath, bundle], 'bundled');
  });

  it('needs a native module only for a bus it really opens, and says which', async () => {
    const bundle = join(dir.path, 'edgeplane-edge.cjs');
    const config = writeJson(dir.path, 'real.json', {
      board: { kind: 'node', id: 'no-i2c' },
      nats: { url: t.nats.url },
      buffer: { dir: 'buffer-real' },
      devices: [{ id: 'real-t', bus: 'i2c', busNumber: 7, address: '0x48', driver: 'tmp102', intervalMs: 200 }],
    });
    const w = spawnWorker(config, { command: [process.execPath, bundle], logFile: join(dir.path, 'real.log'), cwd: dir.path });
    workers.push(w);
    // It starts, registers the node and waits for its bus; the device's failure is explicit.
    await eventually(async () => expect((await t.cp.store.readStream('node-no-i2c')).map((e) => e.type)).toContain('NodeRegistered'), { timeoutMs: 15_000, intervalMs: 250 });
    const failure = await eventually(() => {
      const l = w.lines().find((x) => x.msg === 'read failed; sampling on');
      expect(l).toBeDefined();
      return l!;
    });
    expect(failure.err.message).toMatch(/i2c-bus module could not be loaded|\/dev\/i2c-7/);
    expect(await w.stop()).toBe(0);
  });

  it('builds a single executable where the machine can make one, and it runs a simulated board', async (ctx) => {
    const made = /single executable: (\S+) \((\d+\.\d) MiB/.exec(build.output);
    if (!made) {
      ctx.skip(`no single executable on this machine: ${/single executable: not made \((.*)\)/.exec(build.output)?.[1] ?? build.output}`);
      return;
    }
    const exe = join(dir.path, 'edgeplane-edge');
    copyFileSync(made[1]!, exe);
    spawnSync('chmod', ['+x', exe]);
    await runsABoard([exe], 'sea');
  });
});
