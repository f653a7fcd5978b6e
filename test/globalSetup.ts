import { spawnSync } from 'node:child_process';

/**
 * End-to-end tests spawn the compiled CLI: compile it once before any test runs. Type errors are
 * the type-check's job (`npm test` runs `tsc --noEmit` first); tsc still emits JavaScript with
 * them, so a type error elsewhere does not stop a test from running.
 */
export default function setup(): void {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) process.stderr.write(`globalSetup: tsc reported type errors (JavaScript was still emitted):\n${r.stdout.split('\n').slice(0, 10).join('\n')}\n`);
}
