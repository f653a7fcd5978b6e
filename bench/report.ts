import { mkdirSync, writeFileSync } from 'node:fs';

/** Writes bench/results/<name>.json (from the compiled bench, two levels below the repository). */
export function writeResults(name: string, results: unknown): void {
  mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`../../bench/results/${name}.json`, import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nwrote bench/results/${name}.json\n`);
}

/** Runs a benchmark's main, exiting non-zero with the stack when it fails. */
export function runBench(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
    process.exit(1);
  });
}
