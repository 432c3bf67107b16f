import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    // Builds the client once (with the test hook) for the browser tests in test/browser.
    globalSetup: ['test/support/build-client.ts'],
  },
});
