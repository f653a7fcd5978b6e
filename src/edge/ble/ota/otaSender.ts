import { createLogger, type Logger } from '../../../shared/logger.js';
import { withTimeout } from '../ble.js';
import { messageOf } from '../errors.js';
import { crc32 } from './crc32.js';
import {
  OtaAbortedError,
  OtaChunkRejectedError,
  OtaChunkTimeoutError,
  OtaConfigError,
  OtaCrcMismatchError,
  OtaDeadlineError,
  OtaDisconnectedError,
  OtaError,
  OtaProtocolError,
  OtaRefusedError,
  OtaStartTimeoutError,
  OtaVerifyTimeoutError,
} from './errors.js';
import { OtaInbox } from './otaInbox.js';
import type { OtaConnect, OtaLink } from './otaLink.js';
import { FailReason, MAX_VERSION_BYTES, NakReason, decodeDevice, encodeChunk, encodeControl, failReasonName, nakReasonName, type DeviceFrame } from './protocol.js';

/**
 * The gateway side of the OTA protocol (protocol.ts). Every wait is bounded (per-answer timeout,
 * bounded retries, the overall deadline), so it always ends, with a typed success or a typed
 * failure naming why: never the seed's silent "Timed out waiting for notification" hang. A lost
 * link is reconnected and the transfer continues from the offset the device reports.
 */
export interface OtaProgress {
  /** 0–99 while sending, 100 only once the device confirmed the image. Only ever increases. */
  percent: number;
  offset: number;
  size: number;
}

export interface OtaSendOptions {
  image: Buffer;
  /** What the device records as the image's version (the commit). */
  version: string;
  connect: OtaConnect;
  /** Absolute time (ms since the epoch) by which it has ended, whatever happens. */
  deadline: number;
  chunkSize?: number;
  /** How long to wait for each answer (READY, ACK/NAK) before a retry. */
  answerTimeoutMs?: number;
  /** Retries per chunk (and per START), after the first try. */
  maxRetries?: number;
  /** How long to wait for DONE/FAIL after VERIFY (the device reads its whole image). */
  verifyTimeoutMs?: number;
  /** Connection attempts in a row that may fail before giving up (reset whenever a session starts). */
  maxConnectAttempts?: number;
  reconnectDelayMs?: number;
  onProgress?: (p: OtaProgress) => void;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface OtaStats {
  size: number;
  chunkSize: number;
  /** CHUNK frames written, resends included. */
  chunksSent: number;
  retries: number;
  /** Sessions after the first: each one a reconnect that resumed. */
  reconnects: number;
  /** The device's `resumeFrom`, per session. */
  resumedFrom: number[];
  durationMs: number;
}

export type OtaResult = { ok: true; crc32: number; version: string; stats: OtaStats } | { ok: false; error: OtaError; percent: number; stats: OtaStats };

/** The link is gone (or suspect): reconnect and resume. Never escapes `sendFirmware`. */
class LinkLost extends Error {
  constructor(readonly reason: unknown) {
    super(`link lost: ${messageOf(reason)}`);
  }
}

const DEFAULTS = { chunkSize: 180, answerTimeoutMs: 2_000, maxRetries: 3, verifyTimeoutMs: 10_000, maxConnectAttempts: 5, reconnectDelayMs: 500 };

export async function sendFirmware(o: OtaSendOptions): Promise<OtaResult> {
  return new OtaTransfer(o).run();
}

class OtaTransfer {
  private readonly cfg: typeof DEFAULTS;
  private readonly size: number;
  private readonly crc: number;
  private readonly log: Logger;
  private readonly started = Date.now();
  private readonly stats: OtaStats;
  /** Where the device is, as it last told us. */
  private offset = 0;
  private percent = -1;
  private inbox: OtaInbox | undefined;
  private failedConnects = 0;

  constructor(private readonly o: OtaSendOptions) {
    this.cfg = { ...DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([k, v]) => k in DEFAULTS && v !== undefined)) };
    this.size = o.image.length;
    this.crc = crc32(o.image);
    this.log = (o.logger ?? createLogger()).child({ component: 'ota-sender', version: o.version, size: this.size });
    this.stats = { size: this.size, chunkSize: this.cfg.chunkSize, chunksSent: 0, retries: 0, reconnects: 0, resumedFrom: [], durationMs: 0 };
  }

  async run(): Promise<OtaResult> {
    const bad = this.checkOptions();
    if (bad) return this.fail(bad);
    const onAbort = () => this.inbox?.fail(new OtaAbortedError(this.offset));
    this.o.signal?.addEventListener('abort', onAbort);
    let fruitless = 0;
    try {
      for (;;) {
        const link = await this.connect();
        if (!link) continue;
        if (this.stats.resumedFrom.length > 0) this.stats.reconnects++;
        const from = this.offset;
        try {
          const crc = await this.session(link);
          this.report(this.size, true);
          this.log.info({ stats: this.stats }, 'firmware transferred and verified');
          return { ok: true, crc32: crc, version: this.o.version, stats: this.finish() };
        } catch (e) {
          if (!(e instanceof LinkLost)) return this.fail(e);
          // A device that drops every link before taking a byte would otherwise be retried until the deadline.
          fruitless = this.offset > from ? 0 : fruitless + 1;
          if (fruitless >= this.cfg.maxConnectAttempts) return this.fail(new OtaDisconnectedError(this.offset, fruitless, e.reason));
          this.log.warn({ err: e.reason, offset: this.offset }, 'OTA link lost; reconnecting to resume');
        } finally {
          // Closing is bounded by what is left of the deadline: past it, the disconnect finishes in the background.
          await withTimeout(link.close(), this.remaining(), () => new Error('close')).catch(() => undefined);
        }
      }
    } catch (e) {
      return this.fail(e);
    } finally {
      this.o.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** One connection attempt: a link, or undefined after a failure that still leaves attempts (then waits before the next). */
  private async connect(): Promise<OtaLink | undefined> {
    this.check('connecting');
    const pending = Promise.resolve().then(() => this.o.connect());
    try {
      return await this.bounded(pending, 'connecting');
    } catch (e) {
      if (e instanceof OtaError) {
        void pending.then((l) => l.close()).catch(() => undefined); // a connect that completes after we gave up
        throw e;
      }
      this.failedConnects++;
      if (this.failedConnects >= this.cfg.maxConnectAttempts) throw new OtaDisconnectedError(this.offset, this.failedConnects, e);
      this.log.warn({ err: e, attempt: this.failedConnects }, 'OTA connect failed; retrying');
      await this.sleep(this.cfg.reconnectDelayMs);
      return undefined;
    }
  }

  /** Bounds a call by the deadline and the abort signal (the call itself may never settle). */
  private bounded<T>(call: Promise<T>, what: string): Promise<T> {
    const limited = withTimeout(call, this.remaining(), () => new OtaDeadlineError(this.o.deadline, this.offset, this.size, what));
    const signal = this.o.signal;
    if (!signal) return limited;
    let onAbort = () => undefined as void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new OtaAbortedError(this.offset));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return Promise.race([limited, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** START → chunks → VERIFY on one link; returns the CRC the device confirmed. */
  private async session(link: OtaLink): Promise<number> {
    const inbox = new OtaInbox();
    this.inbox = inbox;
    const offControl = link.onControl((d) => {
      try {
        inbox.push(decodeDevice(d));
      } catch (e) {
        this.log.warn({ err: e }, 'malformed OTA answer ignored');
      }
    });
    const offLost = link.onLost((e) => inbox.fail(new LinkLost(e)));
    if (this.o.signal?.aborted) inbox.fail(new OtaAbortedError(this.offset));
    try {
      const start = encodeControl({ op: 'START', size: this.size, chunkSize: this.cfg.chunkSize, crc32: this.crc, version: this.o.version });
      const ready = await this.exchange(link, start, (f) => f.op === 'READY' || f.op === 'FAIL', this.cfg.answerTimeoutMs, 'waiting for READY');
      if (!ready) throw new OtaStartTimeoutError(this.cfg.maxRetries + 1, this.cfg.answerTimeoutMs);
      if (ready.op === 'FAIL') throw new OtaRefusedError(`${failReasonName(ready.reason)} at START`, ready.detail);
      if (ready.op !== 'READY' || ready.resumeFrom > this.size) throw new OtaProtocolError(`READY resumes from ${(ready as { resumeFrom?: number }).resumeFrom} past the image's ${this.size} bytes`);
      this.stats.resumedFrom.push(ready.resumeFrom);
      this.failedConnects = 0;
      this.offset = ready.resumeFrom;
      this.report(this.offset);
      for (let resyncs = 0; ; resyncs++) {
        while (this.offset < this.size) await this.sendChunk(link);
        const answer = await this.exchange(link, encodeControl({ op: 'VERIFY' }), (f) => f.op === 'DONE' || f.op === 'FAIL', this.cfg.verifyTimeoutMs, 'waiting for VERIFY');
        if (!answer) throw new OtaVerifyTimeoutError(this.cfg.maxRetries + 1, this.cfg.verifyTimeoutMs);
        if (answer.op === 'DONE') {
          if (answer.crc32 !== this.crc) throw new OtaCrcMismatchError(this.crc, answer.crc32);
          return answer.crc32;
        }
        if (answer.op !== 'FAIL') throw new OtaProtocolError(`unexpected ${answer.op} after VERIFY`);
        if (answer.reason === FailReason.IMAGE_CRC) throw new OtaCrcMismatchError(this.crc, answer.detail);
        // The device holds less than it acknowledged (it lost some): continue from what it has, a bounded number of times.
        if (answer.reason === FailReason.INCOMPLETE && answer.detail < this.size && resyncs < this.cfg.maxRetries) {
          this.offset = answer.detail;
          continue;
        }
        throw new OtaRefusedError(`${failReasonName(answer.reason)} at VERIFY`, answer.detail);
      }
    } finally {
      offControl();
      offLost();
      this.inbox = undefined;
    }
  }

  /** Sends the chunk at the device's offset until it is acknowledged, moving `offset` on. */
  private async sendChunk(link: OtaLink): Promise<void> {
    const { chunkSize, maxRetries, answerTimeoutMs } = this.cfg;
    const offset = this.offset;
    const bytes = this.o.image.subarray(offset, Math.min(offset + chunkSize, this.size));
    const seq = Math.floor(offset / chunkSize);
    const frame = encodeChunk({ seq, offset, crc32: crc32(bytes), bytes });
    let lastNak: DeviceFrame | undefined;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (attempt > 0) this.stats.retries++;
      this.stats.chunksSent++;
      await this.write(() => link.writeData(frame), `sending chunk ${seq}`);
      const answer = await this.waitFor((f) => (f.op === 'ACK' || f.op === 'NAK') && f.seq === seq, answerTimeoutMs, `waiting for the answer to chunk ${seq}`);
      if (answer === undefined) {
        lastNak = undefined;
        continue;
      }
      if (answer.op === 'ACK') {
        if (answer.nextOffset <= offset || answer.nextOffset > this.size) throw new OtaProtocolError(`ACK of chunk ${seq} moves to offset ${answer.nextOffset} (from ${offset}, image ${this.size})`);
        this.offset = answer.nextOffset;
        this.report(this.offset);
        return;
      }
      if (answer.op !== 'NAK') continue;
      lastNak = answer;
      if (answer.reason === NakReason.NOT_STARTED) throw new LinkLost(new Error('the device lost the session (NAK NOT_STARTED)'));
      if (answer.reason === NakReason.OFFSET && answer.expectedOffset !== offset && answer.expectedOffset <= this.size) {
        this.offset = answer.expectedOffset; // the device is elsewhere: continue from there
        this.report(this.offset);
        return;
      }
    }
    if (lastNak?.op === 'NAK') throw new OtaChunkRejectedError(seq, offset, maxRetries, nakReasonName(lastNak.reason));
    throw new OtaChunkTimeoutError(seq, offset, maxRetries, answerTimeoutMs);
  }

  /** Writes a control frame and waits for a matching answer, retrying; undefined when every try timed out. */
  private async exchange(link: OtaLink, frame: Buffer, match: (f: DeviceFrame) => boolean, timeoutMs: number, what: string): Promise<DeviceFrame | undefined> {
    for (let attempt = 0; attempt <= this.cfg.maxRetries; attempt++) {
      if (attempt > 0) this.stats.retries++;
      await this.write(() => link.writeControl(frame), what);
      const answer = await this.waitFor(match, timeoutMs, what);
      if (answer) return answer;
    }
    return undefined;
  }

  /** A GATT write, bounded by the deadline; a failed or timed-out write means the link is not to be trusted. */
  private async write(start: () => Promise<void>, what: string): Promise<void> {
    this.check(what);
    try {
      await this.bounded(start(), what);
    } catch (e) {
      if (e instanceof OtaError || e instanceof LinkLost) throw e;
      throw new LinkLost(e);
    }
  }

  /** The next answer matching `match` (stale ones, answers to earlier tries, are skipped); undefined on timeout. */
  private async waitFor(match: (f: DeviceFrame) => boolean, timeoutMs: number, what: string): Promise<DeviceFrame | undefined> {
    const inbox = this.inbox!;
    const end = Date.now() + Math.min(timeoutMs, this.remaining());
    for (;;) {
      const left = end - Date.now();
      const f = left > 0 ? await inbox.next(left) : 'timeout';
      if (f === 'timeout') {
        this.check(what);
        return undefined;
      }
      if (match(f)) return f;
    }
  }

  private remaining(): number {
    return Math.max(0, this.o.deadline - Date.now());
  }

  /** Throws when aborted or past the deadline. */
  private check(what: string): void {
    if (this.o.signal?.aborted) throw new OtaAbortedError(this.offset);
    if (Date.now() >= this.o.deadline) throw new OtaDeadlineError(this.o.deadline, this.offset, this.size, what);
  }

  private async sleep(ms: number): Promise<void> {
    const signal = this.o.signal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(ms, this.remaining()));
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
    this.check('waiting to reconnect');
  }

  private report(offset: number, done = false): void {
    const percent = done ? 100 : Math.min(99, Math.floor((offset * 100) / this.size));
    if (percent <= this.percent) return;
    this.percent = percent;
    try {
      this.o.onProgress?.({ percent, offset, size: this.size });
    } catch (e) {
      this.log.warn({ err: e }, 'OTA progress callback threw; ignored');
    }
  }

  private checkOptions(): OtaError | undefined {
    const { chunkSize, maxRetries, maxConnectAttempts } = this.cfg;
    if (this.size === 0 || this.size > 0xffffffff) return new OtaConfigError(`the image must have 1 to ${0xffffffff} bytes (has ${this.size})`);
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 0xffff) return new OtaConfigError(`chunkSize must be an integer from 1 to 65535 (is ${chunkSize})`);
    if (!Number.isInteger(maxRetries) || maxRetries < 0) return new OtaConfigError('maxRetries must be a whole number');
    if (!Number.isInteger(maxConnectAttempts) || maxConnectAttempts < 1) return new OtaConfigError('maxConnectAttempts must be at least 1');
    if (Buffer.byteLength(this.o.version, 'utf8') > MAX_VERSION_BYTES) return new OtaConfigError(`version must be at most ${MAX_VERSION_BYTES} bytes`);
    if (!Number.isFinite(this.o.deadline)) return new OtaConfigError('deadline must be a time in ms since the epoch');
    return undefined;
  }

  private fail(e: unknown): OtaResult {
    const error = e instanceof OtaError ? e : new OtaProtocolError(`unexpected failure: ${messageOf(e)}`);
    this.log.warn({ err: error, offset: this.offset, stats: this.stats }, 'firmware transfer failed');
    return { ok: false, error, percent: Math.max(0, this.percent), stats: this.finish() };
  }

  private finish(): OtaStats {
    this.stats.durationMs = Date.now() - this.started;
    return { ...this.stats, resumedFrom: [...this.stats.resumedFrom] };
  }
}
