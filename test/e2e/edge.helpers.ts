import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Helpers for the edge worker's end-to-end tests: real worker processes, their logs, the API. */
const ROOT = resolve(import.meta.dirname, '../..');
export const EDGEPLANE = [join(ROOT, 'bin/edgeplane.js'), 'edge'];

export interface WorkerProcess {
  child: ChildProcess;
  logFile: string;
  /** The worker's pino lines so far, parsed. */
  lines(): Array<Record<string, any>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, and the exit code once it has stopped. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** `<command> --config <file> [--simulate] …` as a child process (default: node bin/edgeplane.js edge). */
export function spawnWorker(config: string, opts: { args?: string[]; command?: string[]; logFile: string; cwd?: string }): WorkerProcess {
  const [exe, ...pre] = opts.command ?? [process.execPath, ...EDGEPLANE];
  const out = openSync(opts.logFile, 'a');
  const child = spawn(exe!, [...pre, '--config', config, ...(opts.args ?? [])], { stdio: ['ignore', out, out], cwd: opts.cwd, env: { ...process.env, EDGEPLANE_LOG_LEVEL: 'info' } });
  closeSync(out);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return {
    child,
    logFile: opts.logFile,
    exited,
    lines: () =>
      readFileSync(opts.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, any>),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return (await exited).code;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs a worker that must refuse to start; resolves with its exit code and what it wrote. */
export function runToFailure(config: string, args: string[] = []): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [...EDGEPLANE, '--config', config, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    // 'close', not 'exit': 'exit' can come before the last of stdout/stderr has been read.
    child.once('close', (code) => {
      clearTimeout(killer);
      resolvePromise({ code, output });
    });
  });
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

/** The HTTP API of a control plane, as a user calls it. */
export function api(base: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
  };
  return {
    call,
    /** Every event of an actor's stream (paged through), or [] while it has none. */
    async events(kind: string, id: string): Promise<Array<{ type: string; data: any; revision: number; metadata: Record<string, any> }>> {
      const all = [];
      for (let from = 0; ; ) {
        const r = await call('GET', `/v1/actors/${kind}/${encodeURIComponent(id)}/events?from=${from}&limit=1000`);
        if (r.status === 404) return [];
        if (r.status !== 200) throw new Error(`events of ${kind}/${id}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
        all.push(...r.body.events);
        if (r.body.next === null) return all;
        from = r.body.next;
      }
    },
  };
}
