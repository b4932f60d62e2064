import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: the engine already uses both, so run test files two at a time.
    maxWorkers: 2,
    // The inspector's tests need Ink to draw as on a terminal, also in CI (see src/commands/inspect.ts).
    env: { CI: '0', CONTINUOUS_INTEGRATION: '0' },
  },
});
