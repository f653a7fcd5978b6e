import { execFileSync } from 'node:child_process';

/** End-to-end tests spawn the compiled CLI: compile it once before any test runs. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
