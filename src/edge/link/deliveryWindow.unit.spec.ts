import { describe, expect, it } from 'vitest';
import type { BufferedRecord } from './diskBuffer.js';
import { DeliveryWindow, batchLength } from './deliveryWindow.js';

const seqs = (...s: number[]) => s.map((seq) => ({ seq }));

describe('delivery window', () => {
  it('moves only over the contiguous prefix of acknowledged records', () => {
    const w = new DeliveryWindow(10);
    expect(w.ack(seqs(12, 14))).toBeUndefined();
    expect(w.deliveredSeq).toBe(10);
    expect(w.ack(seqs(11))).toBe(12);
    expect(w.ack(seqs(13))).toBe(14);
    expect(w.ack(seqs(9, 14))).toBeUndefined();
  });

  it('skips what the buffer dropped, keeping acknowledgements beyond it', () => {
    const w = new DeliveryWindow(0);
    w.ack(seqs(2, 7, 8));
    w.skipTo(6);
    expect(w.deliveredSeq).toBe(8);
    w.skipTo(3);
    expect(w.deliveredSeq).toBe(8);
  });
});

describe('batch length', () => {
  const rec = (bytes: number): BufferedRecord => ({ seq: 1, commandId: 'e-1', kind: 'sensor', id: 't1', type: 'RecordReading', data: {}, bytes });
  it('takes at most maxBatch records and stays within maxBatchBytes, but always at least one', () => {
    const q = Array.from({ length: 250 }, () => rec(100));
    expect(batchLength(q, 0, { maxBatch: 100, maxBatchBytes: 1_000_000 })).toBe(100);
    expect(batchLength(q, 200, { maxBatch: 100, maxBatchBytes: 1_000_000 })).toBe(50);
    expect(batchLength(q, 250, { maxBatch: 100, maxBatchBytes: 1_000_000 })).toBe(0);
    const n = batchLength(q, 0, { maxBatch: 100, maxBatchBytes: 1500 });
    expect(n).toBe(10);
    expect(batchLength([rec(5000)], 0, { maxBatch: 100, maxBatchBytes: 1024 })).toBe(1);
  });
});
