/**
 * `npm start` runs this: the game on http://localhost:3000 (PORT and HOST from the
 * environment), serving the built client from dist/client.
 */
import { fileURLToPath } from 'node:url';
import { createGameServer } from './app';
import { createLogger } from './log';

const log = createLogger();
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';
const clientDir = fileURLToPath(new URL('../dist/client', import.meta.url));

const server = createGameServer({ log, clientDir, shutdownNoticeMs: 1_000 });
const address = await server.listen(port, host);
log.info({ port: address.port, host }, `Can You Hear Me? is on http://localhost:${address.port}`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 5_000);
    force.unref();
    void server.close().then(() => process.exit(0));
  });
}
