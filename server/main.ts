/**
 * `npm start` runs this: the game on http://localhost:3000 (PORT and HOST from the
 * environment), serving the built client from dist/client, keeping workshops in an
 * SQLite file (DB_PATH, by default data/can-you-hear-me.sqlite under the project), or in
 * PostgreSQL when DATABASE_URL is a postgres:// address. With REDIS_URL, one of several
 * servers that act as one game (NODE_ID names it). JOINS_PER_MINUTE: joins by code a
 * minute from one address (10).
 */
import { fileURLToPath } from 'node:url';
import { hostname } from 'node:os';
import { createGameServer } from './app';
import { DEFAULT_LIMITS } from './gateway';
import { Cluster } from './cluster';
import { createLogger } from './log';
import { DEFAULT_DB_PATH, Store, storeConfigFromEnv, type StoreConfig } from './store';

const log = createLogger();
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';
// The built client (CLIENT_DIR to serve another build, as the browser tests of several servers do).
const clientDir = process.env.CLIENT_DIR ?? fileURLToPath(new URL('../dist/client', import.meta.url));

let config: StoreConfig;
try {
  config = storeConfigFromEnv(process.env, fileURLToPath(new URL(`../${DEFAULT_DB_PATH}`, import.meta.url)));
} catch (err) {
  log.fatal({ code: 'store/bad-config' }, (err as Error).message);
  process.exit(1);
}
let store: Store | null = null;
try {
  store = new Store(config, (err) => log.warn({ err }, 'workshop database connection lost'));
  await store.migrate();
} catch (err) {
  // The database cannot be opened, reached or migrated: say so, and do not start half a game.
  log.fatal({ err, store: config.kind }, 'cannot open the workshop database');
  await store?.close().catch(() => {});
  process.exit(1);
}
// Joins by code a minute from one address (a class behind one school address may need more).
const joinsPerMinute = Number(process.env.JOINS_PER_MINUTE ?? DEFAULT_LIMITS.joinsPerMinute);
if (!Number.isInteger(joinsPerMinute) || joinsPerMinute < 1) {
  log.fatal({ code: 'config/bad-joins' }, 'JOINS_PER_MINUTE must be a whole number of at least 1');
  process.exit(1);
}
// REDIS_URL: one of several servers that act as one game (server/cluster.ts).
const nodeId = process.env.NODE_ID ?? `${hostname()}-${process.pid}`;
let cluster: Cluster | undefined;
const redisUrl = process.env.REDIS_URL ?? '';
if (redisUrl !== '') {
  try {
    cluster = await Cluster.connect(redisUrl, nodeId, log);
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'cannot reach Redis (REDIS_URL)');
    await store.close().catch(() => {});
    process.exit(1);
  }
}
const server = createGameServer({ log, clientDir, shutdownNoticeMs: 1_000, store, nodeId, limits: { ...DEFAULT_LIMITS, joinsPerMinute }, ...(cluster === undefined ? {} : { cluster }) });

// Ready for a signal before the address is out: whoever starts us may stop us at once.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // Handing calls over to another server (a cluster) takes a moment more than ending them.
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    void server.close().then(() => process.exit(0));
  });
}

const address = await server.listen(port, host);
log.info({ port: address.port, host, store: config.kind, node: nodeId, mode: cluster === undefined ? 'single' : 'cluster' }, `Can You Hear Me? is on http://localhost:${address.port}`);
