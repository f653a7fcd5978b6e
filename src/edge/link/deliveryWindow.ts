import type { BufferedRecord } from './diskBuffer.js';

/**
 * Which records, read from the buffer in seq order, JetStream has acknowledged. Batches for
 * different actors are acknowledged in any order; the buffer's cursor may only move over the
 * contiguous prefix, so a crash re-sends what was not known stored (upstream drops repeats).
 */
export class DeliveryWindow {
  /** Lowest seq not yet known delivered. */
  private lo: number;
  private readonly acked = new Set<number>();

  constructor(deliveredSeq: number) {
    this.lo = deliveredSeq + 1;
  }

  get deliveredSeq(): number {
    return this.lo - 1;
  }

  /** Marks records delivered; returns the new delivered seq when the prefix grew. */
  ack(records: readonly { seq: number }[]): number | undefined {
    for (const r of records) if (r.seq >= this.lo) this.acked.add(r.seq);
    const before = this.lo;
    while (this.acked.delete(this.lo)) this.lo++;
    return this.lo > before ? this.lo - 1 : undefined;
  }

  /** The buffer dropped (or otherwise settled) everything up to `seq`. */
  skipTo(seq: number): void {
    if (seq < this.lo) return;
    for (const s of this.acked) if (s <= seq) this.acked.delete(s);
    this.lo = seq + 1;
    while (this.acked.delete(this.lo)) this.lo++;
  }
}

export interface BatchLimits {
  maxBatch: number;
  maxBatchBytes: number;
}

/** Per-command overhead of `{"id":"<epoch>-<seq>","type":…,"data":…}` beyond the stored payload. */
const COMMAND_OVERHEAD = 48;

/** How many records from `queue[head]` go in one message: at least one, within both limits. */
export function batchLength(queue: readonly BufferedRecord[], head: number, limits: BatchLimits): number {
  let n = 0;
  let bytes = 2;
  while (head + n < queue.length && n < limits.maxBatch) {
    const size = queue[head + n]!.bytes + COMMAND_OVERHEAD;
    if (n > 0 && bytes + size > limits.maxBatchBytes) break;
    bytes += size;
    n++;
  }
  return n;
}
