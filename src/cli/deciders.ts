import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { AnyDecider } from '../actors/decider.js';
import { builtinDeciders } from '../actors/kinds/index.js';
import { ConfigError } from '../shared/errors.js';

/**
 * The built-in kinds plus any from `--deciders <module>` (an ES module whose default export is
 * an array of deciders): how a site adds its own actor kinds without forking edgeplane.
 */
export async function loadDeciders(modules: string[] = []): Promise<AnyDecider[]> {
  const all = [...builtinDeciders];
  for (const m of modules) {
    const mod = (await import(pathToFileURL(resolve(m)).href)) as { default?: unknown };
    if (!Array.isArray(mod.default)) throw new ConfigError(`--deciders ${m}: the module's default export must be an array of deciders`);
    all.push(...(mod.default as AnyDecider[]));
  }
  return all;
}
