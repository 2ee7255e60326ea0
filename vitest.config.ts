import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The e2e tests spawn the built CLI and start real servers on loopback:
    // generous timeouts keep them green on a slow, noisy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One retry for a test that fails once under heavy machine load (seen once: a spawned
    // send against a scripted 429 server); a real failure still fails twice and is reported.
    retry: 1,
    env: { NO_COLOR: '1', TZ: 'UTC' },
  },
});
