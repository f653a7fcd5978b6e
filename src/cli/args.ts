import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../shared/errors.js';

/** node:util parseArgs, with unknown flags reported as a ConfigError naming the flag. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}
