import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export interface NatsServerOptions {
  /** JetStream store and the generated config live here. */
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Extra config text appended to the generated file (accounts, mqtt, …). */
  extraConfig?: string;
  logger?: Logger;
}

export interface NatsServerHandle {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** SIGTERM and wait; `kill9` for crash tests. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store (e.g. after a simulated crash). */
  restart(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * Runs Debian's `nats-server` with JetStream as a child process: the embedded default of
 * `edgeplane start` and the real broker of every test. `pickPort` chooses the port when none is
 * given (or the given one is taken).
 */
export async function startNatsServer(opts: NatsServerOptions, pickPort: (host: string) => Promise<number> = freePort): Promise<NatsServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const asked = opts.port && (await portIsFree(opts.port, host)) ? opts.port : undefined;
  let port = asked ?? (await pickPort(host));
  mkdirSync(opts.dataDir, { recursive: true });
  const confPath = join(opts.dataDir, 'nats-server.conf');
  const writeConfig = () =>
    writeFileSync(
      confPath,
      [
        `host: "${host}"`,
        `port: ${port}`,
        'max_payload: 1MB',
        `jetstream { store_dir: "${join(opts.dataDir, 'jetstream')}" }`,
        opts.extraConfig ?? '',
      ].join('\n'),
    );
  writeConfig();

  let child: ChildProcess | undefined;
  const launch = async () => {
    // Its own process group: a Ctrl-C in the terminal (or a signal to our group) must not stop the
    // server before the control plane has stopped using it; we stop it last, ourselves.
    const proc = spawn('nats-server', ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
    });
    await new Promise<void>((resolve, reject) => {
      proc.once('error', (err) =>
        reject(
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? new ConfigError('nats-server is not installed: run `bash scripts/bootstrap.sh` (apt-get install nats-server)')
            : err,
        ),
      );
      proc.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${stderr.trim().slice(-2000)}`)));
      const deadline = Date.now() + 15_000;
      const poll = () => {
        if (/Server is ready/.test(stderr)) return resolve();
        if (Date.now() > deadline) return reject(new Error(`nats-server did not start: ${stderr.slice(-2000)}`));
        setTimeout(poll, 20);
      };
      poll();
    });
    proc.removeAllListeners('exit');
    proc.once('exit', (code, signal) => opts.logger?.info({ code, signal }, 'nats-server exited'));
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  };

  // A port found free can be taken by another process before the server binds it: one we picked
  // ourselves is picked again (a restart keeps its port, whatever happens).
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      if (asked !== undefined || attempt === 3 || !/address already in use/i.test(String((err as Error).message))) throw err;
      opts.logger?.warn({ port }, 'the free port was taken before nats-server bound it; picking another');
      port = await pickPort(host);
      writeConfig();
    }
  }
  const handle: NatsServerHandle = {
    url: `nats://${host}:${port}`,
    port,
    get pid() {
      return child?.pid ?? -1;
    },
    dataDir: opts.dataDir,
    stop,
    restart: launch,
  };
  return handle;
}
