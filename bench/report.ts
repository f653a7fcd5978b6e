import { mkdirSync, writeFileSync } from 'node:fs';
import { missingNodeFlags } from '../src/shared/heap.js';

/** Writes bench/results/<name>.json (from the compiled bench, two levels below the repository). */
export function writeResults(name: string, results: unknown): void {
  mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`../../bench/results/${name}.json`, import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nwrote bench/results/${name}.json\n`);
}

/** Runs a benchmark's main, exiting non-zero with the stack when it fails. */
export function runBench(main: () => Promise<void>): void {
  // Measured as shipped: bin/edgeplane.js starts the control plane with these flags.
  const missing = missingNodeFlags();
  if (missing.length > 0) {
    process.stderr.write(`this benchmark runs the control plane as edgeplane starts it: give node ${missing.join(' ')} (npm run bench does)\n`);
    process.exit(2);
  }
  main().catch((e: unknown) => {
    process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
    process.exit(1);
  });
}
