/**
 * `npm start` runs this: the game on http://localhost:3000 (PORT and HOST from the
 * environment), serving the built client from dist/client, keeping workshops in an
 * SQLite file (DB_PATH, by default data/can-you-hear-me.sqlite under the project).
 */
import { fileURLToPath } from 'node:url';
import { createGameServer } from './app';
import { createLogger } from './log';
import { DEFAULT_DB_PATH, Store } from './store';

const log = createLogger();
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';
const clientDir = fileURLToPath(new URL('../dist/client', import.meta.url));

const dbPath = process.env.DB_PATH ?? fileURLToPath(new URL(`../${DEFAULT_DB_PATH}`, import.meta.url));
const server = createGameServer({ log, clientDir, shutdownNoticeMs: 1_000, store: new Store(dbPath) });
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
