import { createLogger, type Logger } from '../../shared/logger.js';

let root: Logger | undefined;

/** A child logger for one serial component; the shared root is made on first use. */
export function componentLogger(component: string, bindings: Record<string, unknown>, parent?: Logger): Logger {
  root ??= createLogger();
  return (parent ?? root).child({ component, ...bindings });
}
