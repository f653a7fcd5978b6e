import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.unit.spec.ts', 'test/**/*.spec.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Live UI updates cross command → store → projection thread → SSE → browser; 1 s (the default) is too tight on a loaded CI box.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    // Two cores: integration files each start their own nats-server; two at a time is plenty.
    maxWorkers: 2,
    env: { EDGEPLANE_LOG_LEVEL: process.env.EDGEPLANE_LOG_LEVEL ?? 'warn' },
  },
});
