import type { DeviceFrame } from './protocol.js';

/**
 * The device's answers on one link, queued, for the sender to take one at a time with a bounded
 * wait. Once failed (link lost, aborted) every wait rejects with that error at once.
 */
export class OtaInbox {
  private readonly frames: DeviceFrame[] = [];
  private waiter: { resolve: (f: DeviceFrame | 'timeout') => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  private failure: Error | undefined;

  push(f: DeviceFrame): void {
    const w = this.waiter;
    if (!w) {
      this.frames.push(f);
      return;
    }
    this.waiter = undefined;
    clearTimeout(w.timer);
    w.resolve(f);
  }

  fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      clearTimeout(w.timer);
      w.reject(e);
    }
  }

  /** The next answer, or `'timeout'` after `ms`. */
  next(ms: number): Promise<DeviceFrame | 'timeout'> {
    if (this.failure) return Promise.reject(this.failure);
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve('timeout');
      }, Math.max(0, ms));
      this.waiter = { resolve, reject, timer };
    });
  }
}
