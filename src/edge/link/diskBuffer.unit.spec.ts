import { appendFileSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDiskBuffer, type DiskBuffer, type EdgeCommand } from './diskBuffer.js';
import { HEADER_BYTES } from './record.js';

const reading = (sensor: string, value: number, pad = 0): EdgeCommand => ({
  kind: 'sensor',
  id: sensor,
  type: 'RecordReading',
  data: { value, at: '2026-11-22T00:00:00.000Z', ...(pad ? { pad: 'x'.repeat(pad) } : {}) },
});

/** Appends values [from, to) in groups of concurrent appends (one fsync each, like a busy sampler). */
async function appendRange(b: DiskBuffer, from: number, to: number, pad = 0): Promise<void> {
  for (let i = from; i < to; i += 50) await Promise.all(Array.from({ length: Math.min(50, to - i) }, (_, k) => b.append(reading('t1', i + k, pad))));
}

const segmentFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();

describe('disk buffer', () => {
  let dir: string;
  const open: DiskBuffer[] = [];
  const openBuffer = async (opts: Parameters<typeof openDiskBuffer>[1] = {}) => {
    const b = await openDiskBuffer(dir, opts);
    open.push(b);
    return b;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ep-buf-'));
  });
  afterEach(async () => {
    for (const b of open.splice(0)) await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends, reads back in order with ids <epoch>-<seq>, and acknowledging moves the cursor', async () => {
    const b = await openBuffer();
    const appended = await Promise.all([1, 2, 3, 4, 5].map((v) => b.append(reading('t1', v))));
    expect(appended.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(appended.map((a) => a.commandId)).toEqual([1, 2, 3, 4, 5].map((s) => `${b.epoch}-${s}`));
    for (const a of appended) expect(a.commandId).toMatch(/^[A-Za-z0-9_\-:@]{1,128}$/);
    const records = await b.readFrom(1, 10);
    expect(records.map((r) => [r.seq, r.kind, r.id, r.type, r.data.value])).toEqual([1, 2, 3, 4, 5].map((v) => [v, 'sensor', 't1', 'RecordReading', v]));
    expect((await b.readFrom(4, 10)).map((r) => r.seq)).toEqual([4, 5]);
    expect((await b.readFrom(1, 2)).map((r) => r.seq)).toEqual([1, 2]);

    b.ack(3);
    expect(b.stats()).toMatchObject({ pending: 2, deliveredSeq: 3, durableSeq: 5, dropped: 0 });
    expect((await b.readFrom(1, 10)).map((r) => r.seq)).toEqual([4, 5]);
  });

  it('keeps the delivery cursor across a reopen', async () => {
    const b = await openBuffer();
    for (let v = 1; v <= 5; v++) await b.append(reading('t1', v));
    b.ack(2);
    await b.close();
    const again = await openBuffer();
    expect(again.stats()).toMatchObject({ deliveredSeq: 2, pending: 3 });
    expect((await again.readFrom(1, 10)).map((r) => r.data.value)).toEqual([3, 4, 5]);
  });

  it('groups thousands of concurrent appends, each with its own seq, all readable in order (from disk, then from the in-memory tail)', async () => {
    const b = await openBuffer({ segmentBytes: 64 * 1024, maxBytes: 8 * 1024 * 1024 });
    const n = 12_000;
    const appended = await Promise.all(Array.from({ length: n }, (_, i) => b.append(reading(`s${i % 7}`, i))));
    expect(appended.map((a) => a.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(segmentFiles(dir).length).toBeGreaterThan(1);
    const seen: number[] = [];
    for (let from = 1; ; ) {
      const page = await b.readFrom(from, 777);
      if (page.length === 0) break;
      seen.push(...page.map((r) => r.data.value as number));
      from = page.at(-1)!.seq + 1;
    }
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('deletes segments once everything in them is delivered', async () => {
    const b = await openBuffer({ segmentBytes: 16 * 1024, maxBytes: 1024 * 1024 });
    await appendRange(b, 0, 400, 200);
    const before = segmentFiles(dir).length;
    expect(before).toBeGreaterThan(3);
    b.ack(b.stats().durableSeq);
    await new Promise((r) => setTimeout(r, 50));
    expect(segmentFiles(dir)).toHaveLength(1);
    expect(b.stats().pending).toBe(0);
  });

  it('recovers after a torn write: the partial record is cut, whole ones kept, appends go on', async () => {
    const b = await openBuffer();
    for (let v = 1; v <= 10; v++) await b.append(reading('t1', v));
    await b.close();
    const [file] = segmentFiles(dir);
    const path = join(dir, file!);
    const buf = readFileSync(path);
    let lastStart = 0;
    for (let at = 0; at < buf.length; at += HEADER_BYTES + buf.readUInt32LE(at)) lastStart = at;
    // The crash interrupted the tenth record halfway.
    truncateSync(path, lastStart + Math.floor((buf.length - lastStart) / 2));

    const again = await openBuffer();
    expect(statSync(path).size).toBe(lastStart);
    expect((await again.readFrom(1, 100)).map((r) => r.data.value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const next = await again.append(reading('t1', 11));
    expect(next.seq).toBe(10);
    expect((await again.readFrom(1, 100)).map((r) => r.data.value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
  });

  it('cuts a zero-filled or garbage tail (blocks allocated but never written before the crash)', async () => {
    const b = await openBuffer();
    for (let v = 1; v <= 3; v++) await b.append(reading('t1', v));
    await b.close();
    const path = join(dir, segmentFiles(dir)[0]!);
    const good = statSync(path).size;
    appendFileSync(path, Buffer.alloc(4096));
    const again = await openBuffer();
    expect(statSync(path).size).toBe(good);
    expect((await again.readFrom(1, 10)).map((r) => r.seq)).toEqual([1, 2, 3]);
    await again.close();
    open.length = 0;

    // A flipped byte inside the last record fails its checksum: that record goes, nothing else.
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(1, 0xff), 0, 1, good - 3);
    closeSync(fd);
    const third = await openBuffer();
    expect((await third.readFrom(1, 10)).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('when full, drops the oldest undelivered records, counts them, and keeps the count across a reopen', async () => {
    const maxBytes = 64 * 1024;
    const b = await openBuffer({ maxBytes, segmentBytes: 8 * 1024 });
    const n = 600;
    await appendRange(b, 0, n, 150);
    const s = b.stats();
    expect(s.bytes).toBeLessThanOrEqual(maxBytes);
    const onDisk = segmentFiles(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    expect(onDisk).toBe(s.bytes);
    expect(s.dropped).toBeGreaterThan(0);
    // What is left is the newest, contiguous run; everything before it was dropped and counted.
    const left = await b.readFrom(1, n);
    expect(left.length + s.dropped).toBe(n);
    expect(left.map((r) => r.data.value)).toEqual(Array.from({ length: left.length }, (_, i) => s.dropped + i));
    expect(s.pending).toBe(left.length);
    await b.close();

    const again = await openBuffer({ maxBytes, segmentBytes: 8 * 1024 });
    expect(again.stats().dropped).toBe(s.dropped);
    expect((await again.readFrom(1, n)).map((r) => r.seq)).toEqual(left.map((r) => r.seq));
  });

  it('counts as dropped only records that were not delivered', async () => {
    const b = await openBuffer({ maxBytes: 64 * 1024, segmentBytes: 8 * 1024 });
    await appendRange(b, 0, 100, 150);
    b.ack(60);
    await appendRange(b, 100, 600, 150);
    const left = await b.readFrom(1, 1000);
    // Everything before the first record left is either delivered (60) or dropped.
    expect(b.stats().dropped).toBe(left[0]!.seq - 1 - 60);
  });

  it('never reuses a seq or an epoch across reopens; a wiped buffer gets a new epoch', async () => {
    const b = await openBuffer({ segmentBytes: 16 * 1024, maxBytes: 1024 * 1024 });
    const epoch = b.epoch;
    await appendRange(b, 0, 200, 200);
    // Delivered and deleted: the seqs must still not come back.
    b.ack(200);
    await b.close();
    open.length = 0;

    const again = await openBuffer({ segmentBytes: 16 * 1024, maxBytes: 1024 * 1024 });
    expect(again.epoch).toBe(epoch);
    expect((await again.append(reading('t1', 1))).seq).toBe(201);
    await again.close();
    open.length = 0;

    rmSync(dir, { recursive: true, force: true });
    const fresh = await openBuffer();
    expect(fresh.epoch).not.toBe(epoch);
    expect(fresh.epoch).toMatch(/^[0-9a-f]{16}$/);
  });

  it('keeps seqs going even when the cursor file is all that says how far they went', async () => {
    const b = await openBuffer();
    for (let i = 0; i < 5; i++) await b.append(reading('t1', i));
    b.ack(5);
    await b.close();
    open.length = 0;
    // The last segment vanished (say, cleaned up by hand): the cursor still knows seq 5 was used.
    for (const f of segmentFiles(dir)) unlinkSync(join(dir, f));
    const again = await openBuffer();
    expect((await again.append(reading('t1', 9))).seq).toBe(6);
  });

  it('refuses a second owner, a missing epoch beside segments, and invalid commands', async () => {
    const b = await openBuffer();
    await expect(openDiskBuffer(dir)).rejects.toMatchObject({ code: 'ERR_BUFFER_LOCKED' });
    await expect(b.append({ kind: 'sensor', id: 'bad.id', type: 'RecordReading', data: {} })).rejects.toMatchObject({ code: 'ERR_INVALID_ID' });
    await expect(b.append({ kind: 'Sensor', id: 't1', type: 'RecordReading', data: {} })).rejects.toMatchObject({ code: 'ERR_INVALID_ID' });
    await expect(b.append(reading('t1', 1, 70_000))).rejects.toMatchObject({ code: 'ERR_RECORD_TOO_LARGE' });
    await b.append(reading('t1', 1));
    await b.close();
    open.length = 0;
    await expect(b.append(reading('t1', 2))).rejects.toMatchObject({ code: 'ERR_BUFFER_CLOSED' });

    unlinkSync(join(dir, 'buffer.json'));
    await expect(openDiskBuffer(dir)).rejects.toMatchObject({ code: 'ERR_BUFFER_CORRUPT' });
    writeFileSync(join(dir, 'buffer.json'), '{"epoch": "nope"}');
    await expect(openDiskBuffer(dir)).rejects.toMatchObject({ code: 'ERR_BUFFER_CORRUPT' });
  });

  it('refuses options that cannot work, at open', async () => {
    await expect(openDiskBuffer(dir, { maxBytes: 1024 })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    await expect(openDiskBuffer(dir, { maxBytes: 1024 * 1024, segmentBytes: 512 * 1024 })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
  });

  it('writes records in the documented frame', async () => {
    const b = await openBuffer();
    await b.append(reading('t1', 1));
    const path = join(dir, segmentFiles(dir)[0]!);
    const buf = readFileSync(path);
    const length = buf.readUInt32LE(0);
    expect(buf.length).toBe(HEADER_BYTES + length);
    expect(buf.readUInt32LE(8)).toBe(1);
    expect(JSON.parse(buf.subarray(HEADER_BYTES).toString())).toEqual({ k: 'sensor', i: 't1', t: 'RecordReading', d: { value: 1, at: '2026-11-22T00:00:00.000Z' } });
  });
});
