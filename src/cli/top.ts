import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RUNTIME_FILE } from '../main.js';
import { ConfigError } from '../shared/errors.js';
import { runTop } from '../tui/index.js';
import { parse } from './args.js';

export const topUsage = `edgeplane top [--url <http://host:port>] [--key <api key>] [--data-dir <dir>]

The system view in the terminal, live: reactors, nodes and gateways with their devices, plugs
and blocks, coloured by status. ↑/↓ move, ←/→ fold, enter opens a device's recent values, q
quits. When the control plane cannot be reached it shows an OFFLINE banner and keeps retrying.
The API is --url, EDGEPLANE_URL, or the running control plane's <data-dir>/${RUNTIME_FILE};
the key is --key or EDGEPLANE_API_KEY (prefer the variable: flags show in ps).`;

/** Where a running `edgeplane start` said its HTTP API is. */
function discoverUrl(flag: string | undefined, dataDir: string | undefined): string {
  if (flag) return flag;
  if (process.env.EDGEPLANE_URL) return process.env.EDGEPLANE_URL;
  const file = join(resolve(dataDir ?? process.env.EDGEPLANE_DATA_DIR ?? './data'), RUNTIME_FILE);
  const url = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { httpUrl?: string }).httpUrl : undefined;
  if (url) return url;
  throw new ConfigError(`no API to watch: pass --url, set EDGEPLANE_URL, or run \`edgeplane start\` (it writes ${file})`);
}

export async function top(argv: string[]): Promise<number> {
  const { values } = parse(argv, { url: { type: 'string' }, key: { type: 'string' }, 'data-dir': { type: 'string' } });
  const url = discoverUrl(values.url, values['data-dir']);
  if (!/^https?:\/\/[^/]+/.test(url)) throw new ConfigError(`--url must be http(s)://host:port (got ${JSON.stringify(url)})`);
  if (!process.stdin.isTTY || !process.stdout.isTTY) throw new ConfigError('edgeplane top needs a terminal (stdin and stdout a TTY)');
  await runTop({ url, key: values.key ?? (process.env.EDGEPLANE_API_KEY || undefined) });
  return 0;
}
