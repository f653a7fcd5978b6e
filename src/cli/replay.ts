import { replayActor } from '../actors/replay.js';
import { createRegistry } from '../actors/registry.js';
import { resolveConfig } from '../config.js';
import { openEventStore } from '../eventstore/open.js';
import { ConfigError } from '../shared/errors.js';
import { parseAddress } from '../shared/ids.js';
import { createLogger } from '../shared/logger.js';
import { parse } from './args.js';
import { loadDeciders } from './deciders.js';

export const replayUsage = `edgeplane replay <kind>/<id> [--to-revision <n> | --at <ISO time>] [--json]
                 [--store sqlite:<path>|esdb://…] [--data-dir <dir>] [--deciders <module.js>]…

Prints the actor's event timeline and its state folded up to that revision or instant: the same
fold the actor host and the API's time-travel route use. Reads the store directly (read-only).`;

export async function replay(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    'to-revision': { type: 'string' },
    at: { type: 'string' },
    json: { type: 'boolean' },
    store: { type: 'string' },
    'data-dir': { type: 'string' },
    deciders: { type: 'string', multiple: true },
  });
  const [address] = positionals;
  if (!address) throw new ConfigError(`usage: ${replayUsage}`);
  if (values['to-revision'] !== undefined && values.at !== undefined) throw new ConfigError('give --to-revision or --at, not both');
  const { kind, id } = parseAddress(address);
  const toRevision = values['to-revision'] === undefined ? undefined : Number(values['to-revision']);
  if (toRevision !== undefined && (!Number.isInteger(toRevision) || toRevision < 0)) throw new ConfigError('--to-revision must be a revision (0, 1, …)');
  const at = values.at === undefined ? undefined : new Date(values.at);
  if (at && Number.isNaN(at.getTime())) throw new ConfigError(`--at ${values.at} is not an ISO-8601 time`);

  const registry = createRegistry(await loadDeciders(values.deciders));
  const decider = registry.get(kind);
  const config = resolveConfig({ store: values.store, dataDir: values['data-dir'] });
  const store = openEventStore(config.store, createLogger({ level: 'warn' }));
  try {
    const result = await replayActor(store, decider, id, { toRevision, at });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    const out: string[] = [`${result.stream}: ${result.timeline.length} event(s) folded, ${result.remaining} after the replay point`, ''];
    out.push('rev  position  time                      type                      data');
    for (const e of result.timeline) {
      out.push(`${String(e.revision).padEnd(4)} ${String(e.position).padEnd(9)} ${String(e.metadata.timestamp ?? '').padEnd(25)} ${e.type.padEnd(25)} ${JSON.stringify(e.data)}`);
    }
    out.push('', `state at revision ${result.revision}${result.lastEvent ? ` (after ${result.lastEvent.type})` : ''}:`, JSON.stringify(result.state, null, 2));
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
