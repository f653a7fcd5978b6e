import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONTROL_PLANE_NODE_FLAGS } from '../../src/shared/heap.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'bin/edgeplane.js');
export const COUNTER_DECIDERS = join(ROOT, 'test/fixtures/counter.decider.mjs');

export interface ControlPlaneProcess {
  child: ChildProcess;
  logFile: string;
  /** What it wrote to its runtime file (its NATS and HTTP addresses). */
  runtime: { pid: number; natsUrl: string; httpUrl?: string };
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** `edgeplane start` as a real child process; resolves once it has written its runtime file. */
export async function spawnControlPlane(opts: { dataDir: string; natsUrl?: string; args?: string[]; env?: NodeJS.ProcessEnv }): Promise<ControlPlaneProcess> {
  const runtimeFile = join(opts.dataDir, 'edgeplane.runtime.json');
  const startedBefore = existsSync(runtimeFile) ? readFileSync(runtimeFile, 'utf8') : undefined;
  const logFile = join(opts.dataDir, `control-plane-${Date.now()}.log`);
  const out = openSync(logFile, 'a');
  const args = [...CONTROL_PLANE_NODE_FLAGS, CLI, 'start', '--data-dir', opts.dataDir, '--deciders', COUNTER_DECIDERS, '--http', '0', ...(opts.natsUrl ? ['--nats', opts.natsUrl] : []), ...(opts.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', out, out], env: { ...process.env, EDGEPLANE_LOG_LEVEL: 'info', ...opts.env } });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`control plane exited with ${child.exitCode}: ${readFileSync(logFile, 'utf8').slice(-3000)}`);
    if (existsSync(runtimeFile)) {
      const now = readFileSync(runtimeFile, 'utf8');
      if (now !== startedBefore && now.includes(`"pid": ${child.pid}`)) break;
    }
    if (Date.now() > deadline) throw new Error(`control plane did not start: ${readFileSync(logFile, 'utf8').slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    logFile,
    runtime: JSON.parse(readFileSync(runtimeFile, 'utf8')) as ControlPlaneProcess['runtime'],
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
