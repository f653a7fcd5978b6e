import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The web dashboard's static files, hand-written ES modules and CSS in `src/ui/static/` (no build
 * step). This file runs from `src/ui/` under vitest, from `dist/ui/` when built and from
 * `dist-bench/src/ui/` in the benchmarks: the nearest folder above it holding `src/ui/static` is
 * the package root in each case.
 */
export const STATIC_DIR = findStaticDir(dirname(fileURLToPath(import.meta.url)));

function findStaticDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'src', 'ui', 'static');
    if (existsSync(join(candidate, 'index.html'))) return `${candidate}${sep}`;
    if (dirname(dir) === dir) throw new Error(`the dashboard's files (src/ui/static) are not in any folder above ${from}`);
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// No inline scripts or styles anywhere, so the page can forbid them: a key typed into it stays in it.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Every servable file, relative to STATIC_DIR with `/` separators; nothing else can be asked for. */
function listFiles(dir: string): Set<string> {
  const files = new Set<string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !Object.hasOwn(TYPES, extname(entry.name))) continue;
    files.add(relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
  }
  return files;
}

/**
 * `GET /` (the dashboard) and `GET /ui/<file>`. Public: the files hold no data, and a browser
 * cannot send a bearer key when it navigates; every API call the page makes carries the key.
 * Files are read from disk on each request (they are small) with a weak ETag from size and
 * mtime and `no-cache`: the browser revalidates each load (a 304), so a new version is never stale.
 */
export function uiPlugin(opts: { dir?: string } = {}): FastifyPluginAsync {
  const dir = opts.dir ?? STATIC_DIR;
  const files = listFiles(dir);
  if (!files.has('index.html')) throw new Error(`the dashboard's files are missing: no index.html in ${dir}`);

  const serve = async (name: string, req: FastifyRequest, reply: FastifyReply) => {
    if (!files.has(name)) return reply.callNotFound();
    const path = join(dir, name);
    const info = await stat(path);
    const etag = `W/"${info.size.toString(16)}-${Math.trunc(info.mtimeMs).toString(16)}"`;
    reply.header('etag', etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
    if (name.endsWith('.html')) reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer');
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type(TYPES[extname(name)]!).send(await readFile(path));
  };

  return async (app) => {
    const route = { config: { public: true }, schema: { hide: true } } as const;
    app.get('/', route, (req, reply) => serve('index.html', req, reply));
    app.get('/ui/*', route, (req, reply) => serve((req.params as { '*': string })['*'], req, reply));
  };
}
