import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../config.js';
import { openEventStore } from '../eventstore/open.js';
import { RUNTIME_FILE } from '../main.js';
import { builtinProjections, openReadModelDb, startProjections } from '../projections/index.js';
import { ConfigError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { parse } from './args.js';

export const projectionsUsage = `edgeplane projections rebuild [<name>] [--store …] [--data-dir <dir>]

Drops a read model (all of them without a name: ${builtinProjections.map((p) => p.name).join(', ')}) and folds
it again from position 0 — the result is identical to what was built incrementally. Run it with
the control plane stopped (it refuses while one is running on the same data dir).`;

export async function projections(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { store: { type: 'string' }, 'data-dir': { type: 'string' } });
  const [action, name] = positionals;
  if (action !== 'rebuild') throw new ConfigError(`usage: ${projectionsUsage}`);
  if (name !== undefined && !builtinProjections.some((p) => p.name === name)) {
    throw new ConfigError(`no projection ${JSON.stringify(name)} (there are: ${builtinProjections.map((p) => p.name).join(', ')})`);
  }
  const config = resolveConfig({ store: values.store, dataDir: values['data-dir'] });
  const runtime = join(config.dataDir, RUNTIME_FILE);
  if (existsSync(runtime)) {
    const pid = (JSON.parse(readFileSync(runtime, 'utf8')) as { pid: number }).pid;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (alive) throw new ConfigError(`a control plane (pid ${pid}) is running on ${config.dataDir}: stop it before rebuilding`);
  }
  const logger = createLogger({ level: 'warn' });
  const store = openEventStore(config.store, logger);
  const db = openReadModelDb(join(config.dataDir, 'readmodels.db'));
  const runner = startProjections({ store, db, projections: builtinProjections, logger });
  const started = Date.now();
  await runner.rebuild(name);
  const head = await store.headPosition();
  await runner.waitFor(head, 24 * 3600 * 1000);
  await runner.stop();
  db.close();
  await store.close();
  process.stdout.write(`rebuilt ${name ?? 'all projections'} from position 0 to ${head} in ${Date.now() - started} ms\n`);
  return 0;
}
