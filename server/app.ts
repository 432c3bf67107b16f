/**
 * The game server: Express for the page and /healthz, socket.io (WebSocket only) for the
 * game, the lobby and its call runners behind it. `createGameServer` wires the parts and
 * takes the clock, randomness and logger from its caller, so tests run it for real on
 * port 0 with their own.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Server } from 'socket.io';
import { LIMITS } from '../shared/wire';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/wire';
import type { Clock } from './clock';
import { attachGateway, DEFAULT_LIMITS, type GameServerIo, type GameSocket, type GatewayLimits } from './gateway';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { ClusterFront, type Cluster } from './cluster';
import { Journal } from './journal';
import { Lobby, type LobbyOutbox } from './lobby';
import { callRoom, playerRoom, roomSender } from './rooms';
import { silentLogger, type Logger } from './log';
import { cryptoRandom, type Random } from './random';
import { securityHeaders } from './security';
import { Store } from './store';
import { createTimerWheel } from './timers';
import { gameParser } from './encoder';
import { reportCsv, resultsCsv, withAdvice } from './export';

export interface GameServerOptions {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly log?: Logger;
  /** Folder of the built client to serve, if it exists. */
  readonly clientDir?: string;
  readonly graceMs?: number;
  readonly botOfferAfterMs?: number;
  /** Scales bots' think times (1 is normal). */
  readonly botSpeed?: number;
  readonly maxCallMs?: number;
  readonly limits?: GatewayLimits;
  /** How long players are warned before a shutdown completes. */
  readonly shutdownNoticeMs?: number;
  /** Where workshops are kept (default: an in-memory SQLite database; `npm start` uses a file or PostgreSQL). Closed with the server. */
  readonly store?: Store;
  /** This server's name in /healthz and the logs (default: NODE_ID, or the host name and process id). */
  readonly nodeId?: string;
  /** Several servers as one game, over Redis (server/cluster.ts); without it, one server on its own. */
  readonly cluster?: Cluster;
}

export interface GameServer {
  readonly http: HttpServer;
  readonly io: GameServerIo;
  readonly lobby: Lobby;
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Resolves once every workshop write under way is committed and its players told (tests wait on it). */
  idle(): Promise<void>;
  /** Stop accepting, tell everyone, end every call, close. */
  close(): Promise<void>;
}

/** Any server event to any target: the outbox's callers have the payload types checked. */
const loose = (target: unknown) => target as { emit(event: string, payload: unknown): unknown };

export function createGameServer(options: GameServerOptions = {}): GameServer {
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? createTimerWheel({ onError: (err) => log.error({ err }, 'timer failed') });
  const started = Date.now();
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders);
  const http = createServer(app);
  const cluster = options.cluster ?? null;
  const io: GameServerIo = new Server<ClientToServerEvents, ServerToClientEvents>(http, {
    transports: ['websocket'],
    maxHttpBufferSize: LIMITS.socketBufferBytes,
    serveClient: false,
    // Packets written as socket.io writes them, minus its search for binary data the game never sends.
    parser: gameParser,
    // In a cluster, rooms span every server: what one sends to a room reaches it on all.
    ...(cluster === null ? {} : { adapter: createAdapter(cluster.adapterClient(), { streamName: 'cyhm:socket.io' }) }),
  });

  /**
   * A player's connections, when they are all on this server (a server alone), or null
   * in a cluster, where a player's room spans the servers. Putting a player into a room
   * then joins their connections straight away, without a broadcast operator.
   */
  const socketsOf = (playerId: string): GameSocket[] | null => {
    if (cluster !== null) return null;
    const ids = io.sockets.adapter.rooms.get(playerRoom(playerId));
    const sockets: GameSocket[] = [];
    if (ids !== undefined) for (const id of ids) {
      const socket = io.sockets.sockets.get(id);
      if (socket !== undefined) sockets.push(socket);
    }
    return sockets;
  };
  /** Everyone in a room: in a cluster, `io.to` reaches the room on every server. */
  const toRoom = cluster === null ? roomSender(io.sockets.adapter, clock) : (room: string, event: string, payload: unknown): void => void loose(io.to(room)).emit(event, payload);
  const outbox: LobbyOutbox = {
    toRoom,
    toPlayer: (playerId, event, payload) => toRoom(playerRoom(playerId), event, payload),
    toCall: (callId, event, payload) => toRoom(callRoom(callId), event, payload),
  };
  const store = options.store ?? new Store({ kind: 'sqlite', path: ':memory:' });
  // In a cluster, calls are written down as they go, so they outlive this server (server/journal.ts).
  const journal = cluster === null ? null : new Journal(cluster.redis, cluster.nodeId, log);
  const lobby = new Lobby({
    book: journal,
    store,
    clock,
    random: options.random ?? cryptoRandom,
    outbox,
    rooms: {
      join: (playerId, room) => {
        const sockets = socketsOf(playerId);
        if (sockets === null) io.in(playerRoom(playerId)).socketsJoin(room);
        else for (const socket of sockets) void socket.join(room);
      },
      leave: (playerId, room) => {
        const sockets = socketsOf(playerId);
        if (sockets === null) io.in(playerRoom(playerId)).socketsLeave(room);
        else for (const socket of sockets) void socket.leave(room);
      },
    },
    log,
    ...(cluster === null ? {} : { hooks: ClusterFront.hooks(() => cluster) }),
    ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    ...(options.botOfferAfterMs === undefined ? {} : { botOfferAfterMs: options.botOfferAfterMs }),
    ...(options.botSpeed === undefined ? {} : { botSpeed: options.botSpeed }),
    ...(options.maxCallMs === undefined ? {} : { maxCallMs: options.maxCallMs }),
  });
  const front = cluster === null || journal === null ? null : new ClusterFront(cluster, lobby, journal, log);
  attachGateway(io, front ?? lobby, clock, log, options.limits ?? DEFAULT_LIMITS);

  let closing = false;
  const nodeId = cluster?.nodeId ?? options.nodeId ?? process.env.NODE_ID ?? `${hostname()}-${process.pid}`;
  // Alive and taking players: 200 (503 once closing). The workshop database is reported, not
  // required: calls go on without it, and workshop requests say so (workshop/unavailable).
  app.get('/healthz', async (_req, res) => {
    const [reachable, redis] = await Promise.all([store.reachable(), cluster?.reachable()]);
    const database = { kind: store.kind, reachable };
    res.status(closing ? 503 : 200).json({
      status: closing ? 'closing' : 'ok',
      nodeId,
      mode: cluster === null ? 'single' : 'cluster',
      ...(cluster === null ? {} : { redis: { reachable: redis === true } }),
      database,
      uptimeS: Math.round((Date.now() - started) / 1000),
      ...lobby.stats(),
    });
  });
  // A workshop's results, or its misconception report, for its host only: the secret comes
  // as a bearer token. The report's advice is in English, or Chinese with ?lang=zh.
  app.get('/api/workshops/:code/:file.:format', async (req, res) => {
    const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    const { file, format } = req.params;
    if ((file !== 'results' && file !== 'report') || (format !== 'csv' && format !== 'json')) return void res.status(404).json({ code: 'input/invalid' });
    const adviceLang = req.query.lang === 'zh' ? 'zh' : 'en';
    let data: Awaited<ReturnType<Lobby['exportWorkshop']>>;
    try {
      data = await lobby.exportWorkshop(String(req.params.code).toUpperCase(), token);
    } catch (err) {
      log.error({ err }, 'workshop storage failed');
      return void res.status(503).json({ code: 'workshop/unavailable' });
    }
    if (data === null) return void res.status(403).json({ code: 'workshop/bad-token' });
    const name = `workshop-${data.workshop.code}-${file}.${format}`;
    res.setHeader('content-disposition', `attachment; filename="${name}"`);
    const workshop = { code: data.workshop.code, title: data.workshop.title, rounds: data.workshop.round };
    const reports = withAdvice(data.reports, adviceLang);
    if (format === 'json') return void res.json(file === 'results' ? { workshop, results: data.rows, reports } : { workshop, reports });
    res.type('text/csv').send(file === 'results' ? resultsCsv(data.rows) : reportCsv(reports));
  });
  if (options.clientDir !== undefined && existsSync(options.clientDir)) {
    app.use(express.static(options.clientDir, { index: 'index.html', maxAge: '1h' }));
  }

  return {
    http,
    io,
    lobby,
    idle: () => lobby.idle(),
    async listen(port, host = '127.0.0.1') {
      // The workshop store first: a server that cannot keep workshops does not start.
      await lobby.open();
      // Back under the same name before anyone took its calls over: they go on here.
      await front?.reclaim();
      return new Promise((resolve, reject) => {
        http.once('error', reject);
        // A deep accept queue: a burst of new players is not turned away while the loop is busy.
        http.listen({ port, host, backlog: 4_096 }, () => {
          http.off('error', reject);
          resolve(http.address() as AddressInfo);
        });
      });
    },
    async close() {
      if (closing) return;
      closing = true;
      // One of several servers: everything here goes on on another one (a rolling restart ends
      // no call); the players' connections land on another server and resume there.
      const handedOver = (await front?.drain().catch((err: unknown) => {
        log.error({ err }, 'cluster: handing over failed; calls here end');
        return false;
      })) === true;
      // From this moment: no new player, call or workshop; calls on now carry on through the notice.
      lobby.beginClosing();
      if (!handedOver) {
        const noticeMs = options.shutdownNoticeMs ?? 0;
        // This server's connections only (in a cluster, the others carry on).
        io.local.emit('server:closing', { inMs: noticeMs });
        if (noticeMs > 0) await new Promise((r) => setTimeout(r, noticeMs));
      }
      lobby.shutdown();
      // The calls just ended write their results (hosts hear of them), then the last events
      // (call:ended) leave before the sockets close, then the file or the pool closes.
      await lobby.idle();
      await new Promise((r) => setImmediate(r));
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
      });
      // The disconnects just sent to the players' new servers.
      await front?.quiet();
      await store.close();
      await cluster?.close();
      log.info('server closed');
    },
  };
}
