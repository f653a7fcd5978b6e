import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/logger.js';

/**
 * The demo's boards: each simulated edge worker is a separate process, started exactly as on a
 * board (`edgeplane edge --config … --simulate`), logging to its own file. One that dies on its
 * own is started again (same buffer: nothing it took is lost); `stop()` ends them with SIGTERM,
 * so each flushes what it can.
 */
export interface DemoWorker {
  readonly name: string;
  readonly logFile: string;
  readonly pid: number | undefined;
}

export interface DemoWorkers {
  readonly workers: readonly DemoWorker[];
  stop(): Promise<void>;
}

export function spawnDemoWorkers(opts: { cli: string; configs: Array<{ name: string; file: string }>; natsUrl: string; dataDir: string; logger: Logger }): DemoWorkers {
  const logs = join(opts.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  let stopping = false;

  const workers = opts.configs.map(({ name, file }) => {
    const logFile = join(logs, `${name}.log`);
    const args = [opts.cli, 'edge', '--config', file, '--simulate', '--nats', opts.natsUrl, '--buffer-dir', join(opts.dataDir, 'edge', name)];
    const w = { name, logFile, child: undefined as ChildProcess | undefined, exited: Promise.resolve(), restarts: 0 };
    const start = () => {
      const out = openSync(logFile, 'a');
      const child = spawn(process.execPath, args, { stdio: ['ignore', out, out], env: { ...process.env, EDGEPLANE_LOG_LEVEL: process.env.EDGEPLANE_LOG_LEVEL ?? 'info' } });
      closeSync(out);
      w.child = child;
      w.exited = new Promise<void>((resolve) =>
        child.once('exit', (code, signal) => {
          resolve();
          if (stopping) return;
          w.restarts++;
          opts.logger.warn({ worker: name, code, signal, logFile, restarts: w.restarts }, 'edge worker exited; starting it again');
          if (w.restarts <= 5) setTimeout(() => !stopping && start(), 1000);
        }),
      );
    };
    start();
    return w;
  });

  return {
    workers: workers.map((w) => ({
      name: w.name,
      logFile: w.logFile,
      get pid() {
        return w.child?.pid;
      },
    })),
    async stop() {
      stopping = true;
      await Promise.all(
        workers.map(async (w) => {
          const child = w.child;
          if (!child || child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const killed = setTimeout(() => child.kill('SIGKILL'), 8000);
          await w.exited;
          clearTimeout(killed);
        }),
      );
    },
  };
}
