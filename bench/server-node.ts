/**
 * The game server under test, in its own process (started by bench/server.ts): the real
 * `createGameServer` on 127.0.0.1, generous limits, a silent logger, and the server's own
 * clock (server/timers.ts) wrapped to record how late every timer fires. Answers the
 * parent's metric requests over IPC.
 *
 *   node --import tsx bench/server-node.ts [--deadline <epoch ms>] [--redis <url> --node-id <id>]
 *
 * With --redis, one server of a cluster (bench/cluster.ts).
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io';
import { createGameServer } from '../server/app';
import { Cluster } from '../server/cluster';
import { createLogger, silentLogger } from '../server/log';
import { createTimerWheel } from '../server/timers';
import { argValue, countTraffic, profileArg, guardChild, recordingClock, send, serveBenchRequests } from './support';

const deadline = Number(argValue(process.argv, 'deadline') ?? NaN);
guardChild(Number.isFinite(deadline) ? deadline : null);

const { lateness, handling } = serveBenchRequests({
  profile: profileArg(process.argv, 'game'),
  counts: () => {
    const lobby = server.lobby.stats();
    return { sockets: server.io.engine.clientsCount, lobby, calls: lobby.calls };
  },
  close: () => server.close(),
});

// BENCH_LOG=error (or another level) shows the servers' own logs on stderr; silent by default.
const log = process.env.BENCH_LOG === undefined ? silentLogger : createLogger(process.env.BENCH_LOG);
const redisUrl = argValue(process.argv, 'redis');
const cluster = redisUrl === undefined ? undefined : await Cluster.connect(redisUrl, argValue(process.argv, 'node-id') ?? `bench-${process.pid}`, log);

const server = createGameServer({
  ...(cluster === undefined ? {} : { cluster }),
  // The server's own clock (one native timer for the process), timed.
  clock: recordingClock(createTimerWheel(), lateness),
  log,
  limits: { eventsPerSecond: 1_000, eventsBurst: 1_000, joinsPerMinute: 1e9 },
});

countTraffic(server.io.engine);

// Time the gateway's synchronous handling of each request: our first `any` listener runs
// before the gateway's, our last one after it (socket.io calls them in order, at once, so
// one start time serves every connection). The same two functions for every connection:
// the measuring adds nothing per player to the heap it measures.
let started = 0;
const requestIn = (): void => {
  started = performance.now();
};
const requestDone = (): void => {
  handling.push(performance.now() - started);
};
server.io.on('connection', (socket: Socket) => {
  socket.prependAny(requestIn);
  socket.onAny(requestDone);
});

const address = await server.listen(0, '127.0.0.1');
send({ type: 'ready', port: address.port });
