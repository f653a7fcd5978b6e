import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RUNTIME_FILE } from '../main.js';
import { ConfigError, InvalidCommandError } from '../shared/errors.js';
import { parseAddress } from '../shared/ids.js';
import { connectNats } from '../transport/natsConnection.js';
import { createCommandBus } from '../transport/commandBus.js';
import { parse } from './args.js';

export const sendUsage = `edgeplane send <kind>/<id> <CommandType> ['<json data>'] [--id <command id>]
               [--expected-revision <n>] [--timeout <ms>] [--nats <url>] [--data-dir <dir>]

Sends one command through JetStream and prints the actor's answer (exit 0), or its rejection
{code, message} (exit 2). NATS is --nats, EDGEPLANE_NATS_URL, or the running control plane's
<data-dir>/${RUNTIME_FILE}.`;

/** Where a running `edgeplane start` said its NATS is. */
export function discoverNatsUrl(flag: string | undefined, dataDir: string | undefined): string {
  if (flag) return flag;
  if (process.env.EDGEPLANE_NATS_URL) return process.env.EDGEPLANE_NATS_URL;
  const file = join(resolve(dataDir ?? process.env.EDGEPLANE_DATA_DIR ?? './data'), RUNTIME_FILE);
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { natsUrl: string }).natsUrl;
  throw new ConfigError(`no NATS to send to: pass --nats, set EDGEPLANE_NATS_URL, or run \`edgeplane start\` (it writes ${file})`);
}

export async function send(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    id: { type: 'string' },
    'expected-revision': { type: 'string' },
    timeout: { type: 'string' },
    nats: { type: 'string' },
    'data-dir': { type: 'string' },
  });
  const [address, type, json] = positionals;
  if (!address || !type) throw new ConfigError(`usage: ${sendUsage}`);
  const { kind, id } = parseAddress(address);
  let data: unknown = {};
  if (json !== undefined) {
    try {
      data = JSON.parse(json);
    } catch (e) {
      throw new InvalidCommandError(`the command data is not JSON: ${(e as Error).message}`);
    }
  }
  const nc = await connectNats({ servers: discoverNatsUrl(values.nats, values['data-dir']), name: 'edgeplane-cli' });
  const bus = createCommandBus(nc);
  try {
    const reply = await bus.send<{ ok: boolean }>(
      kind,
      id,
      {
        ...(values.id ? { id: values.id } : {}),
        type,
        data: data as Record<string, unknown>,
        ...(values['expected-revision'] !== undefined ? { expectedRevision: Number(values['expected-revision']) } : {}),
      },
      { timeoutMs: values.timeout ? Number(values.timeout) : 10_000 },
    );
    process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
    return reply.ok ? 0 : 2;
  } finally {
    bus.close();
    await nc.close();
  }
}
