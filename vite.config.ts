import { defineConfig } from 'vite';

export default defineConfig({
  root: 'client',
  publicDir: false,
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    rollupOptions: { input: { main: 'client/index.html', host: 'client/host.html', replay: 'client/replay.html' } },
    target: 'es2022',
    chunkSizeWarningLimit: 2_000,
  },
  define: {
    // Test builds expose a read-only hook (window.__game) for the browser tests.
    __TEST_HOOKS__: JSON.stringify(process.env.GAME_TEST_HOOKS === '1'),
  },
  server: {
    proxy: { '/socket.io': { target: 'http://localhost:3000', ws: true } },
  },
});
