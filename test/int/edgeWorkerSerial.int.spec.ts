import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDeciders } from '../../src/actors/kinds/index.js';
import { modbusSimOptionsFor, openSerialPort, SMART_PLUG_REGISTERS, startModbusSim, type ModbusSim, type SerialLink, type ValueSource } from '../../src/edge/serial/index.js';
import { parseHardwareConfig } from '../../src/edge/worker/config.js';
import { startEdgeWorker, type EdgeWorker } from '../../src/edge/worker/worker.js';
import { createLogger } from '../../src/shared/logger.js';
import { startTestControlPlane, type TestControlPlane } from '../helpers/controlPlane.js';
import { eventually, tempDir } from '../helpers/nats.js';
import { socatPtyPair, type SocatPtyPair } from '../helpers/pty.js';

/**
 * The worker without --simulate on a real serial port: a socat pseudo-terminal pair, the real
 * `serialport` module (loaded only because a device uses it) on the worker's end, a
 * protocol-level Modbus smart plug on the other. Readings become RecordPower, a switch from the
 * control plane becomes a register write, confirmed with what the plug reads back.
 */
describe('an edge worker on a real serial port', () => {
  let t: TestControlPlane;
  let pty: SocatPtyPair;
  let deviceEnd: SerialLink;
  let sim: ModbusSim;
  let worker: EdgeWorker;
  const dir = tempDir('ep-edge-pty-');
  const watts: ValueSource = (channel, device) => (channel.name === 'power' ? (device.outputs.get('relay') === false ? 0 : 61.5) : channel.name === 'energy' ? 1234 : undefined);

  beforeAll(async () => {
    t = await startTestControlPlane(builtinDeciders);
    pty = await socatPtyPair();
    deviceEnd = await openSerialPort(pty.paths[1], { baudRate: 19200 });
    sim = startModbusSim(deviceEnd, modbusSimOptionsFor(7, SMART_PLUG_REGISTERS, { source: watts }));
  });
  afterAll(async () => {
    await worker?.stop(0);
    sim?.close();
    await deviceEnd?.close();
    await pty?.close();
    await t?.cleanup();
    dir.cleanup();
  });

  it('reports the plug and switches it through Modbus RTU over the pty', async () => {
    const config = parseHardwareConfig(
      {
        board: { kind: 'daemon', id: 'pty-plug', owner: 'carol' },
        nats: { url: t.nats.url },
        buffer: { dir: 'buffer' },
        devices: [{ id: 'meter', bus: 'serial', path: pty.paths[0], address: 7, driver: 'modbus', intervalMs: 200, options: { baudRate: 19200, timeoutMs: 500 } }],
      },
      join(dir.path, 'hardware.json'),
    );
    worker = await startEdgeWorker(config, { simulate: false, logger: createLogger({ level: 'warn' }) });
    expect(worker.slots[0]!.device?.channels.map((c) => c.name)).toEqual(['power', 'relay', 'energy']);

    await eventually(
      async () => {
        const es = await t.cp.store.readStream('daemon-pty-plug');
        expect(es[0]).toMatchObject({ type: 'DaemonRegistered', data: { owner: 'carol' } });
        expect(es.filter((e) => e.type === 'PowerRecorded').map((e) => (e.data as { watts: number }).watts).slice(0, 3)).toEqual([61.5, 61.5, 61.5]);
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );

    expect(await t.bus.send('daemon', 'pty-plug', { id: 'switch-off', type: 'SwitchPower', data: { on: false } })).toMatchObject({ ok: true });
    await eventually(
      async () => {
        const es = await t.cp.store.readStream('daemon-pty-plug');
        const off = es.findIndex((e) => e.type === 'PowerConfirmed' && (e.data as { on: boolean }).on === false);
        expect(off).toBeGreaterThan(0);
        expect(es[off]!.data).toMatchObject({ requestId: 'switch-off' });
        expect(es.slice(off).some((e) => e.type === 'PowerRecorded' && (e.data as { watts: number }).watts === 0)).toBe(true);
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    // The plug's own register says off: the write went over the wire.
    expect(sim.bank.get(1)).toBe(0);
    expect(worker.link.stats().actuations).toMatchObject({ applied: 1, failed: 0 });
  });
});
