/**
 * Vitest global setup: build the browser client once per run, with the test hook
 * (`window.__game`, GAME_TEST_HOOKS=1), into dist/test-client for the browser tests to
 * serve. The normal build in dist/client is left alone.
 */
export const TEST_CLIENT_DIR = 'dist/test-client';

export default async function setup(): Promise<void> {
  const before = process.env.GAME_TEST_HOOKS;
  process.env.GAME_TEST_HOOKS = '1';
  try {
    // Imported here, not at the top: test files import TEST_CLIENT_DIR and need no Vite.
    const { build } = await import('vite');
    // outDir is relative to the config's root, `client/`.
    await build({ configFile: 'vite.config.ts', build: { outDir: `../${TEST_CLIENT_DIR}` }, logLevel: 'warn' });
  } finally {
    if (before === undefined) delete process.env.GAME_TEST_HOOKS;
    else process.env.GAME_TEST_HOOKS = before;
  }
}
