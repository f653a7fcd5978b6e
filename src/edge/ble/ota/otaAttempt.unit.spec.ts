import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.js';
import { SimulatedCentral } from '../simulatedBle.js';
import { attemptDeadline, resultCommand, runOtaAttempt, type OtaAttemptCommand, type OtaAttemptRequest } from './otaAttempt.js';
import { createOtaPeripheral, type OtaFaults } from './otaDevice.sim.js';
import { OtaChunkTimeoutError } from './errors.js';

const logger = createLogger({ level: 'silent' });
const image = Buffer.from(Array.from({ length: 2_000 }, (_, i) => (i * 13 + 5) & 0xff));

function setup(faults: OtaFaults = {}) {
  const central = new SimulatedCentral();
  const { peripheral, device } = createOtaPeripheral({ address: 'c0:ff:ee:00:00:02', faults });
  central.addPeripheral(peripheral);
  const now = Date.now();
  const req: OtaAttemptRequest = {
    gateway: 'gw1',
    localId: peripheral.id,
    commit: '16b5cd4df8085d2872a6f6fc0c378629a185d78b',
    attempt: 2,
    timeoutMs: 3_000,
    deadline: new Date(now + 3_000).toISOString(),
    at: new Date(now).toISOString(),
  };
  return { central, device, req };
}

const tuning = { connector: { scanTimeoutMs: 150, connectTimeoutMs: 150, opTimeoutMs: 150 }, sender: { chunkSize: 100, answerTimeoutMs: 100, maxRetries: 1 }, logger };

describe('runOtaAttempt: the control plane’s OTA request in, gateway commands out', () => {
  it('reports progress for the attempt, then CompleteUpdate; the device runs the requested commit', async () => {
    const { central, device, req } = setup({ disconnectAfterChunks: [8] });
    const sent: OtaAttemptCommand[] = [];
    const result = await runOtaAttempt(central, req, image, { ...tuning, send: (c) => sent.push(c) });
    expect(result.ok).toBe(true);
    expect(device.flash.installed).toMatchObject({ version: req.commit });
    expect(device.flash.installed!.image.equals(image)).toBe(true);
    expect(sent.at(-1)).toEqual({ type: 'CompleteUpdate', data: { localId: req.localId, attempt: 2, at: expect.any(String) } });
    const progress = sent.slice(0, -1);
    expect(progress.every((c) => c.type === 'ReportUpdateProgress' && c.data.attempt === 2 && c.data.localId === req.localId)).toBe(true);
    const percents = progress.map((c) => (c.type === 'ReportUpdateProgress' ? c.data.percent : -1));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(new Set(percents).size).toBe(percents.length);
    expect(percents.at(-1)).toBe(100);
  });

  it('ends a hopeless attempt with FailUpdateAttempt naming why, before the control plane’s own deadline', async () => {
    const { central, req } = setup({ silent: true });
    const sent: OtaAttemptCommand[] = [];
    const result = await runOtaAttempt(central, req, image, { ...tuning, send: (c) => sent.push(c) });
    expect(result.ok).toBe(false);
    expect(sent).toEqual([{ type: 'FailUpdateAttempt', data: { localId: req.localId, attempt: 2, error: expect.stringMatching(/^ERR_OTA_START_TIMEOUT: the device did not answer START/), at: expect.any(String) } }]);
    expect(Date.now()).toBeLessThan(Date.parse(req.deadline));
  });
});

describe('attempt helpers', () => {
  it('ends before the stated deadline or the timeout, whichever is sooner, less a margin', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(attemptDeadline({ deadline: '2026-01-01T00:02:00Z', timeoutMs: 120_000 }, now)).toBe(now + 118_000);
    expect(attemptDeadline({ deadline: '2026-01-01T00:00:30Z', timeoutMs: 120_000 }, now)).toBe(now + 28_000);
    expect(attemptDeadline({ deadline: 'garbage', timeoutMs: 10_000 }, now)).toBe(now + 9_000);
  });

  it('keeps a failure message within the gateway’s 1024 characters', () => {
    const error = new OtaChunkTimeoutError(1, 0, 3, 100);
    Object.defineProperty(error, 'message', { value: 'x'.repeat(2_000) });
    const c = resultCommand({ localId: 'd1', attempt: 1 }, { ok: false, error, percent: 3, stats: { size: 1, chunkSize: 1, chunksSent: 0, retries: 0, reconnects: 0, resumedFrom: [], durationMs: 0 } });
    expect(c.type === 'FailUpdateAttempt' && c.data.error.length).toBe(1024);
  });
});
