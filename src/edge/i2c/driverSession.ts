import type { Logger } from '../../shared/logger.js';
import { I2cDriverClosedError, isI2cTransferError } from './errors.js';

/**
 * What every I2C driver needs around its register work: one operation at a time (a conversion
 * is several transfers that must not interleave with another read of the same chip), the chip
 * set up lazily before the first operation, and set up again after a bus failure, because a
 * chip that stopped answering may have lost power and its configuration with it.
 */
export interface DriverSession {
  run<T>(operation: () => Promise<T>): Promise<T>;
  close(): void;
}

export function createDriverSession(opts: { driver: string; address: number; logger: Logger; init: () => Promise<void> }): DriverSession {
  let tail: Promise<unknown> = Promise.resolve();
  let ready = false;
  let closed = false;

  const step = async <T>(operation: () => Promise<T>): Promise<T> => {
    if (closed) throw new I2cDriverClosedError(opts.driver, opts.address);
    try {
      if (!ready) {
        await opts.init();
        ready = true;
      }
      return await operation();
    } catch (e) {
      if (ready && isI2cTransferError(e)) {
        ready = false;
        opts.logger.warn({ err: e }, 'bus failure; the chip will be set up again before the next operation');
      }
      throw e;
    }
  };

  return {
    run<T>(operation: () => Promise<T>): Promise<T> {
      const result = tail.then(() => step(operation));
      tail = result.catch(() => undefined);
      return result;
    },
    close() {
      closed = true;
    },
  };
}
