import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_NODE_FLAGS } from '../../src/shared/heap.js';
import { eventually, tempDir } from '../helpers/nats.js';
import { api } from './edge.helpers.js';

/**
 * `edgeplane demo` (what `npm start` runs): the control plane plus seven simulated edge worker
 * processes. A new user must see all five systems working in the API within a minute, and
 * Ctrl-C must leave nothing running.
 */
const CLI = resolve(import.meta.dirname, '../../bin/edgeplane.js');

describe('the demo', () => {
  const dir = tempDir('ep-demo-');
  const child = spawn(process.execPath, [...CONTROL_PLANE_NODE_FLAGS, CLI, 'demo', '--data-dir', join(dir.path, 'demo'), '--http', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGEPLANE_LOG_LEVEL: 'info' } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    dir.cleanup();
  });

  it('shows all five systems working in the API within a minute, then stops cleanly', async () => {
    const started = Date.now();
    const base = await eventually(() => /control plane up: API (http:\/\/\S+),/.exec(output)![1]!, { timeoutMs: 30_000, intervalMs: 100 });
    const workers = await eventually(() => [...(/edge workers started: (.*)/.exec(output)![1]!.matchAll(/pid (\d+)/g))].map((m) => Number(m[1])), { timeoutMs: 10_000 });
    expect(workers).toHaveLength(7);
    const http = api(base);

    await eventually(
      async () => {
        const s = (await http.call('GET', '/v1/system')).body;
        const byId = (list: Array<{ id: string }>, id: string): any => list.find((x) => x.id === id);
        // ECP: both nodes online, the light driven by the motion sensor through the interaction.
        expect(byId(s.nodes, 'ecp-node-a')).toMatchObject({ status: 'ONLINE' });
        expect(byId(s.nodes, 'ecp-node-b')).toMatchObject({ status: 'ONLINE' });
        const firings = (await http.call('GET', '/v1/interactions/motion-light-on/firings')).body.firings;
        expect(firings.length).toBeGreaterThan(0);
        // Reactor: four chips found on its bus, each channel with a value.
        const reactor = byId(s.reactors, 'reactor-1');
        expect(reactor.busDevices.map((d: { driver: string }) => d.driver).sort()).toEqual(['ads1115', 'bme280', 'mcp23017', 'tmp102']);
        expect(reactor.devices.every((d: { value: unknown }) => d.value !== null)).toBe(true);
        // Gateway: three provisioned dependents, one being flashed.
        const devices = (await http.call('GET', '/v1/gateways/gateway-1/devices')).body;
        expect(devices.map((d: { Name: string }) => d.Name).sort()).toEqual(['pump-1', 'valve-1', 'valve-2']);
        expect(devices.find((d: { Name: string }) => d.Name === 'valve-1').Update).toMatchObject({ status: 'updating' });
        expect(devices.find((d: { Name: string }) => d.Name === 'valve-1').Update.percent).toBeGreaterThan(0);
        // Brewblox: the slave took the master's value through the translation table.
        const master = (await http.call('GET', '/v1/blocks/spark-master/master-sensor')).body;
        const slave = (await http.call('GET', '/v1/blocks/spark-slave/dummy-sensor')).body;
        expect(slave.lastSync).toMatchObject({ key: 'spark-master.master-sensor' });
        expect(typeof slave.data.targetvalue).toBe('number');
        expect(slave.data.nested.target).toMatchObject({ thing: 0, value: expect.any(Number) });
        expect(master.data).toMatchObject({ value: expect.any(Number), nested: { value: expect.any(Number) } });
        // Paddy: two owned plugs drawing power.
        expect(byId(s.daemons, 'plug-1')).toMatchObject({ owner: 'alice', status: 'ONLINE', power: 'on' });
        expect(byId(s.daemons, 'plug-2')).toMatchObject({ owner: 'bob', status: 'ONLINE' });
        expect((await http.call('GET', '/v1/daemons/plug-1/energy?unit=minute')).body.totalKwh).toBeGreaterThan(0);
      },
      { timeoutMs: 60_000 - (Date.now() - started), intervalMs: 1000 },
    );
    expect(output).toContain('curl -s ');

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0), `worker ${pid} still running`).toThrow();
    // Each worker stopped by itself (mid-update for the gateway), with nothing to complain about.
    const logs = join(dir.path, 'demo', 'logs');
    for (const f of readdirSync(logs).filter((f) => f !== 'control-plane.log')) {
      const lines = readFileSync(join(logs, f), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(lines.filter((l) => l.level >= 50), f).toEqual([]);
      expect(lines.at(-1), f).toMatchObject({ msg: 'edge worker stopped', pending: 0 });
    }
  });
});
