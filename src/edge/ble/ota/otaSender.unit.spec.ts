import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.js';
import { SimulatedCentral } from '../simulatedBle.js';
import { crc32 } from './crc32.js';
import { createOtaPeripheral, type OtaFaults } from './otaDevice.sim.js';
import { gattOtaConnector } from './otaLink.js';
import { sendFirmware, type OtaProgress, type OtaResult, type OtaSendOptions } from './otaSender.js';
import { NakReason } from './protocol.js';

/**
 * The sender against the simulated device, end to end through the noble-shaped port: every byte
 * goes over simulated GATT writes and notifications, faults are injected by the device.
 * Real timers throughout, with short timeouts, so the time bounds asserted are real ones.
 */

const logger = createLogger({ level: 'silent' });
const CHUNK = 128;
/** 4000 bytes: 32 chunks, the last one short. */
const image = (size = 4_000) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + (i >> 8) * 7 + 3) & 0xff));

function rig(opts: { faults?: OtaFaults; capacity?: number } = {}) {
  const central = new SimulatedCentral();
  const { peripheral, device } = createOtaPeripheral({ address: 'c0:ff:ee:00:00:01', localName: 'microbit', ...opts });
  central.addPeripheral(peripheral);
  const connect = gattOtaConnector(central, { address: peripheral.id, scanTimeoutMs: 150, connectTimeoutMs: 150, opTimeoutMs: 150 });
  return { central, peripheral, device, connect };
}

async function send(r: ReturnType<typeof rig>, img: Buffer, o: Partial<OtaSendOptions> = {}): Promise<{ result: OtaResult; progress: OtaProgress[]; ms: number }> {
  const progress: OtaProgress[] = [];
  const started = Date.now();
  const result = await sendFirmware({
    image: img,
    version: 'b0c34f7',
    connect: r.connect,
    deadline: Date.now() + 5_000,
    chunkSize: CHUNK,
    answerTimeoutMs: 100,
    maxRetries: 2,
    verifyTimeoutMs: 200,
    reconnectDelayMs: 10,
    logger,
    onProgress: (p) => progress.push(p),
    ...o,
  });
  return { result, progress, ms: Date.now() - started };
}

function expectMonotonic(progress: OtaProgress[], completed: boolean): void {
  const percents = progress.map((p) => p.percent);
  for (let i = 1; i < percents.length; i++) expect(percents[i]!).toBeGreaterThan(percents[i - 1]!);
  expect(percents.filter((p) => p === 100)).toHaveLength(completed ? 1 : 0);
  if (completed) expect(percents.at(-1)).toBe(100);
}

const failure = (r: OtaResult) => {
  if (r.ok) throw new Error('expected the transfer to fail');
  return r.error;
};

describe('OTA over simulated GATT', () => {
  it('transfers the image: the device holds exactly what was sent, checked by CRC-32', async () => {
    const r = rig();
    const img = image();
    const { result, progress } = await send(r, img);
    expect(result).toMatchObject({ ok: true, crc32: crc32(img), version: 'b0c34f7' });
    expect(r.device.flash.installed?.image.equals(img)).toBe(true);
    expect(r.device.flash.installed?.version).toBe('b0c34f7');
    expect(r.device.stats.chunkOffsets).toHaveLength(32);
    expect(r.device.stats.chunkOffsets).toEqual(Array.from({ length: 32 }, (_, i) => i * CHUNK));
    expect(result.stats).toMatchObject({ chunksSent: 32, retries: 0, reconnects: 0, resumedFrom: [0] });
    expectMonotonic(progress, true);
    expect(progress.at(-2)!.percent).toBeLessThan(100);
  });

  it('resumes after injected disconnects from the offset the device reports, never from 0', async () => {
    const r = rig({ faults: { disconnectAfterChunks: [5, 12] } });
    const img = image();
    const { result, progress } = await send(r, img);
    expect(result.ok).toBe(true);
    expect(r.device.flash.installed?.image.equals(img)).toBe(true);
    // The device stored chunks 5 and 12 before dropping the link: READY resumed right after them.
    expect(r.device.stats.readies).toEqual([0, 5 * CHUNK, 12 * CHUNK]);
    expect(result.stats.resumedFrom).toEqual([0, 5 * CHUNK, 12 * CHUNK]);
    expect(result.stats.reconnects).toBe(2);
    // Not one byte sent twice: 32 chunk frames for 32 chunks, offset 0 once.
    expect(r.device.stats.chunkOffsets).toHaveLength(32);
    expect(r.device.stats.chunkOffsets.filter((o) => o === 0)).toHaveLength(1);
    expect(result.stats.chunksSent).toBe(32);
    expectMonotonic(progress, true);
  });

  it('retries a chunk whose ACK was dropped; the device re-acknowledges and the transfer completes', async () => {
    const r = rig({ faults: { dropAcks: [3, 10] } });
    const img = image();
    const { result, progress, ms } = await send(r, img);
    expect(result.ok).toBe(true);
    expect(r.device.flash.installed?.image.equals(img)).toBe(true);
    expect(r.device.stats.acksDropped).toBe(2);
    expect(r.device.stats.chunkOffsets).toHaveLength(34);
    // ACK 3 is chunk 3's (offset 256); its resend is answered by ACK 4, so ACK 10 is chunk 9's (offset 1024).
    expect(r.device.stats.chunkOffsets.filter((o) => o === 2 * CHUNK)).toHaveLength(2);
    expect(r.device.stats.chunkOffsets.filter((o) => o === 8 * CHUNK)).toHaveLength(2);
    expect(result.stats).toMatchObject({ chunksSent: 34, retries: 2 });
    // Each dropped ACK costs one answer timeout (100 ms), nothing more.
    expect(ms).toBeLessThan(1_500);
    expectMonotonic(progress, true);
  });

  it('resends a chunk garbled in transit (the device NAKs its CRC)', async () => {
    const r = rig({ faults: { corruptChunks: [4] } });
    const img = image();
    const { result } = await send(r, img);
    expect(result.ok).toBe(true);
    expect(r.device.stats.naks).toEqual([{ seq: 3, reason: NakReason.CRC }]);
    expect(r.device.stats.chunkOffsets).toHaveLength(33);
    expect(r.device.flash.installed?.image.equals(img)).toBe(true);
  });

  it('fails with ERR_OTA_CRC_MISMATCH when the stored image is wrong, and the next attempt starts over', async () => {
    const r = rig({ faults: { corruptStoredChunks: [7] } });
    const img = image();
    const first = await send(r, img);
    const error = failure(first.result);
    expect(error.code).toBe('ERR_OTA_CRC_MISMATCH');
    expect(error.details).toMatchObject({ expected: crc32(img) });
    expect(error.details.actual).not.toBe(crc32(img));
    expect(r.device.flash.installed).toBeNull();
    expectMonotonic(first.progress, false);
    r.device.faults = {};
    const second = await send(r, img);
    expect(second.result.ok).toBe(true);
    expect(r.device.stats.readies).toEqual([0, 0]);
    expect(r.device.flash.installed?.image.equals(img)).toBe(true);
  });

  it('gives up on a device that never answers: ERR_OTA_START_TIMEOUT after its retries, in bounded time', async () => {
    const r = rig({ faults: { silent: true } });
    const { result, progress, ms } = await send(r, image(), { answerTimeoutMs: 100, maxRetries: 2 });
    const error = failure(result);
    expect(error.code).toBe('ERR_OTA_START_TIMEOUT');
    expect(r.device.stats.controlWrites).toBe(3);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(800);
    expect(progress).toEqual([]);
  });

  it('never outlives its deadline, however many retries it was allowed', async () => {
    const r = rig({ faults: { silent: true } });
    const started = Date.now();
    const deadline = started + 250;
    const { result } = await send(r, image(), { deadline, answerTimeoutMs: 100, maxRetries: 50 });
    const ended = Date.now();
    expect(failure(result).code).toBe('ERR_OTA_DEADLINE');
    expect(ended).toBeGreaterThanOrEqual(deadline);
    expect(ended - deadline).toBeLessThan(150);
  });

  it('names the chunk that timed out and how often it was retried when the device goes quiet mid-transfer', async () => {
    const r = rig({ faults: { silentAfterChunks: 5 } });
    const { result, progress, ms } = await send(r, image(), { answerTimeoutMs: 80, maxRetries: 2 });
    const error = failure(result);
    expect(error.code).toBe('ERR_OTA_CHUNK_TIMEOUT');
    expect(error.message).toBe('chunk 5 (offset 640) timed out after 2 retries (80 ms each)');
    expect(result.ok ? 0 : result.percent).toBe(Math.floor((5 * CHUNK * 100) / 4_000));
    expect(ms).toBeLessThan(1_000);
    expectMonotonic(progress, false);
  });

  it('fails with ERR_OTA_DISCONNECTED when the device vanishes and cannot be reconnected', async () => {
    const r = rig({ faults: { vanishAfterChunks: 6 } });
    const { result, ms } = await send(r, image(), { maxConnectAttempts: 2 });
    const error = failure(result);
    expect(error.code).toBe('ERR_OTA_DISCONNECTED');
    // Chunk 6 was stored but never acknowledged: the last offset the sender knows of is 640.
    expect(error.message).toMatch(/disconnected at offset 640 and could not reconnect \(2 attempts/);
    expect(ms).toBeLessThan(2_000);
  });

  it('resumes in a later attempt where the device stopped, thanks to what it persisted', async () => {
    const r = rig({ faults: { vanishAfterChunks: 10 } });
    const img = image();
    const first = await send(r, img, { maxConnectAttempts: 1 });
    expect(failure(first.result).code).toBe('ERR_OTA_DISCONNECTED');
    r.device.faults = {};
    r.peripheral.powerOn();
    const second = await send(r, img);
    expect(second.result.ok).toBe(true);
    expect(second.result.stats.resumedFrom).toEqual([10 * CHUNK]);
    expect(second.result.stats.chunksSent).toBe(32 - 10);
    expect(r.device.flash.installed?.image.equals(img)).toBe(true);
  });

  it('survives a radio that freezes mid-transfer: the write times out, the link is dropped, a new one resumes', async () => {
    const r = rig();
    const img = image();
    let frozen = false;
    const { result } = await send(r, img, {
      onProgress: (p) => {
        if (!frozen && p.percent >= 30) {
          frozen = true;
          r.peripheral.hung = true; // GATT requests go unanswered, as noble's would for ever
          setTimeout(() => (r.peripheral.hung = false), 250);
        }
      },
    });
    expect(result).toMatchObject({ ok: true });
    expect(frozen).toBe(true);
    expect(result.stats.reconnects).toBeGreaterThanOrEqual(1);
    expect(result.stats.resumedFrom[0]).toBe(0);
    expect(result.stats.resumedFrom.slice(1).every((o) => o > 0)).toBe(true);
    expect(r.device.flash.installed?.image.equals(img)).toBe(true);
  });

  it('reports a device that refuses the image at START (too large) as ERR_OTA_REFUSED', async () => {
    const r = rig({ capacity: 1_000 });
    const error = failure((await send(r, image())).result);
    expect(error.code).toBe('ERR_OTA_REFUSED');
    expect(error.message).toMatch(/TOO_LARGE/);
  });

  it('stops promptly when aborted', async () => {
    const r = rig({ faults: { silent: true } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const { result, ms } = await send(r, image(), { signal: ac.signal, answerTimeoutMs: 1_000 });
    expect(failure(result).code).toBe('ERR_OTA_ABORTED');
    expect(ms).toBeLessThan(300);
  });

  it('refuses bad options as ERR_OTA_CONFIG without touching the device', async () => {
    const r = rig();
    expect(failure((await send(r, image(), { chunkSize: 0 })).result).code).toBe('ERR_OTA_CONFIG');
    expect(failure((await send(r, Buffer.alloc(0))).result).code).toBe('ERR_OTA_CONFIG');
    expect(r.device.stats.controlWrites).toBe(0);
  });
});
