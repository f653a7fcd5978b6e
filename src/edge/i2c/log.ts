import { createLogger, type Logger } from '../../shared/logger.js';
import { formatI2cAddress } from './errors.js';

let root: Logger | undefined;

/** The logger a driver (or the scan, without an address) uses unless given one: a child of one shared root. */
export function driverLogger(driver: string, address?: number, given?: Logger): Logger {
  const parent = given ?? (root ??= createLogger().child({ component: 'edge.i2c' }));
  return parent.child(address === undefined ? { driver } : { driver, address: formatI2cAddress(address) });
}
