/**
 * Several servers, one game (`REDIS_URL` set): what the servers keep in common in Redis,
 * and how a request reaches the server that must handle it.
 *
 * Every player has a home: the server whose lobby holds their seat (name, token, queue,
 * call). A call lives on its players' home, so both players of a call share one. Whatever
 * server a player's connection lands on, their requests go to their home and are answered
 * from there; what the home sends reaches the connection through socket.io's Redis Streams
 * adapter (rooms span every server). When two players on different servers must meet (a
 * quick match, a private code, a workshop), the one who is free moves: their home hands
 * them over (`PlayerRecord`) to the other's, before anything starts.
 *
 * In Redis: each server's lease (`cyhm:node:<id>`, renewed every second, gone 5 s after a
 * server dies), each player's home (`cyhm:home:<player>`) and resume token
 * (`cyhm:token:<token>`), the server of each private or workshop code (`cyhm:code:<code>`),
 * and one quick-match queue per kind of call (`cyhm:queue:<kind>`, popped or joined in one
 * Lua script, so two servers never take the same player). Servers ask each other over
 * pub/sub (`cyhm:rpc:<id>`), with a timeout.
 */
import { Redis } from 'ioredis';
import type { ClientPayloads, ClientRequest, Welcome, WireError } from '../shared/wire';
import { normalizeCode, wireError } from '../shared/wire';
import type { HelloResult, Lobby, LobbyHooks, LobbyResult, PlayerRecord } from './lobby';
import type { Logger } from './log';
import { fail, type MaybePromise } from './result';

const LEASE_MS = 5_000;
const RENEW_MS = 1_000;
const RPC_TIMEOUT_MS = 5_000;

/** Pop the first player waiting in the queue who is not the caller, or put the caller at its end. */
const PAIR_OR_WAIT = `
local key = KEYS[1]
local me = ARGV[1]
redis.call('LREM', key, 0, me)
local other = redis.call('LPOP', key)
if other then return other end
redis.call('RPUSH', key, me)
return false
`;

type RpcMessage =
  | { readonly id: number; readonly from: string; readonly kind: string; readonly payload: unknown }
  | { readonly reply: number; readonly ok: boolean; readonly value?: unknown; readonly error?: string };

export class Cluster {
  /** Redis reachable right now (the client is connected and ready). */
  up = false;
  private readonly sub: Redis;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private seq = 0;
  private handler: ((kind: string, payload: unknown) => Promise<unknown>) | null = null;
  private renew: NodeJS.Timeout | null = null;
  /** Connected once: a later 'ready' is a recovery. */
  private connected = false;
  private readonly recovered: (() => void)[] = [];

  private constructor(
    readonly redis: Redis,
    readonly nodeId: string,
    private readonly log: Logger,
  ) {
    this.sub = redis.duplicate();
    redis.on('ready', () => {
      const recovered = !this.up && this.connected;
      this.up = true;
      void this.lease();
      if (recovered) for (const cb of this.recovered) cb();
    });
    for (const event of ['close', 'end', 'reconnecting'] as const) redis.on(event, () => (this.up = false));
    redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis'));
    this.sub.on('error', () => {});
    this.sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.received(message.toString('utf8')));
  }

  static async connect(url: string, nodeId: string, log: Logger): Promise<Cluster> {
    const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true, retryStrategy: (times) => Math.min(times * 200, 1_000) });
    const cluster = new Cluster(redis, nodeId, log);
    await redis.connect();
    await cluster.sub.connect();
    await cluster.sub.subscribe(`cyhm:rpc:${nodeId}`);
    cluster.up = true;
    cluster.connected = true;
    await cluster.lease();
    cluster.renew = setInterval(() => void cluster.lease(), RENEW_MS);
    cluster.renew.unref();
    return cluster;
  }

  /** Redis came back after a gap (it may have lost everything, if it restarted empty). */
  onRecovered(cb: () => void): void {
    this.recovered.push(cb);
  }

  /** For the socket.io adapter, which needs a connection of its own. */
  adapterClient(): Redis {
    // Unlike the server's own requests (refused at once while Redis is away), room messages
    // wait for Redis to come back: none is lost in a short gap, they arrive late.
    const client = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    client.on('error', () => {});
    return client;
  }

  async close(): Promise<void> {
    if (this.renew !== null) clearInterval(this.renew);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('cluster closing'));
    }
    await this.redis.del(`cyhm:node:${this.nodeId}`).catch(() => {});
    this.sub.disconnect();
    this.redis.disconnect();
  }

  /** Does Redis answer now? */
  async reachable(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  private async lease(): Promise<void> {
    await this.redis.set(`cyhm:node:${this.nodeId}`, String(Date.now()), 'PX', LEASE_MS).catch(() => {});
  }

  async alive(nodeId: string): Promise<boolean> {
    return nodeId === this.nodeId || (await this.redis.exists(`cyhm:node:${nodeId}`)) === 1;
  }

  // ---------------------------------------------------------------- asking another server

  onRequest(handler: (kind: string, payload: unknown) => Promise<unknown>): void {
    this.handler = handler;
  }

  /** Ask server `nodeId` (this one too: then directly) and wait for its answer. */
  async ask<T>(nodeId: string, kind: string, payload: unknown): Promise<T> {
    if (nodeId === this.nodeId) {
      if (this.handler === null) throw new Error('no request handler');
      return (await this.handler(kind, payload)) as T;
    }
    const id = ++this.seq;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`server ${nodeId} did not answer ${kind} in ${RPC_TIMEOUT_MS} ms`));
      }, RPC_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
    });
    await this.redis.publish(`cyhm:rpc:${nodeId}`, JSON.stringify({ id, from: this.nodeId, kind, payload } satisfies RpcMessage));
    return (await answer) as T;
  }

  private received(text: string): void {
    let message: RpcMessage;
    try {
      message = JSON.parse(text) as RpcMessage;
    } catch {
      return;
    }
    if ('reply' in message) {
      const waiting = this.pending.get(message.reply);
      if (waiting === undefined) return;
      this.pending.delete(message.reply);
      clearTimeout(waiting.timer);
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(new Error(message.error ?? 'failed'));
      return;
    }
    const { id, from, kind, payload } = message;
    const reply = (r: RpcMessage): void => void this.redis.publish(`cyhm:rpc:${from}`, JSON.stringify(r)).catch(() => {});
    if (this.handler === null) return reply({ reply: id, ok: false, error: 'no request handler' });
    this.handler(kind, payload).then(
      (value) => reply({ reply: id, ok: true, value }),
      (err: unknown) => {
        this.log.error({ err, kind }, 'cluster request failed');
        reply({ reply: id, ok: false, error: err instanceof Error ? err.message : String(err) });
      },
    );
  }

  // ---------------------------------------------------------------- what the servers share

  async setHome(playerId: string, resumeToken: string): Promise<void> {
    await this.redis.multi().set(`cyhm:home:${playerId}`, this.nodeId).set(`cyhm:token:${resumeToken}`, playerId).exec();
  }

  async homeOf(playerId: string): Promise<string | null> {
    return this.redis.get(`cyhm:home:${playerId}`);
  }

  async playerOfToken(token: string): Promise<string | null> {
    return this.redis.get(`cyhm:token:${token}`);
  }

  /** A player this server forgot: gone from the directory, unless another server has them now. */
  async forget(playerId: string, resumeToken: string): Promise<void> {
    if ((await this.homeOf(playerId)) !== this.nodeId) return;
    await this.redis.del(`cyhm:home:${playerId}`, `cyhm:token:${resumeToken}`);
  }

  /** Quick match: the player who waited first for this kind of call (taken out of the queue), or null if `playerId` now waits. */
  async pairOrWait(queue: string, playerId: string): Promise<string | null> {
    return (await this.redis.eval(PAIR_OR_WAIT, 1, `cyhm:queue:${queue}`, playerId)) as string | null;
  }

  /** Put a waiting player back in line, unless they are in it already (after Redis came back). */
  async requeue(queue: string, playerId: string): Promise<void> {
    const line = await this.redis.lrange(`cyhm:queue:${queue}`, 0, -1);
    if (!line.includes(playerId)) await this.redis.rpush(`cyhm:queue:${queue}`, playerId);
  }

  async leaveQueue(queue: string, playerId: string): Promise<void> {
    await this.redis.lrem(`cyhm:queue:${queue}`, 0, playerId);
  }

  /** This server holds `code` (a private call's or a workshop's). */
  async claimCode(code: string): Promise<void> {
    await this.redis.set(`cyhm:code:${code}`, this.nodeId);
  }

  /** Take a new code for this server, if no server has it yet. */
  async reserveCode(code: string): Promise<boolean> {
    return (await this.redis.set(`cyhm:code:${code}`, this.nodeId, 'NX')) === 'OK';
  }

  async codeServer(code: string): Promise<string | null> {
    return this.redis.get(`cyhm:code:${code}`);
  }

  async releaseCode(code: string): Promise<void> {
    await this.redis.del(`cyhm:code:${code}`);
  }
}

type Request = Exclude<ClientRequest, { event: 'hello' }>;

/** Requests that pair someone with someone else, which need Redis. */
const STARTS_A_CALL: ReadonlySet<string> = new Set(['queue:join', 'call:create', 'call:join', 'workshop:create', 'workshop:round']);

/** What the socket layer asks of the game: one lobby, or a cluster of them. */
export interface Front {
  hello(payload: ClientPayloads['hello']): MaybePromise<HelloResult>;
  greet(playerId: string, resumed: boolean, notice?: WireError): MaybePromise<Welcome>;
  update(playerId: string, payload: ClientPayloads['hello']): MaybePromise<LobbyResult>;
  handle(playerId: string, request: Request): MaybePromise<LobbyResult>;
  disconnected(playerId: string): void;
}

/**
 * The lobby of one server in a cluster: requests go to the player's home, players move to
 * meet. Redis away: requests that need it are refused with `server/unavailable`, and the
 * rest goes on; everything comes back by itself when Redis does.
 */
export class ClusterFront implements Front {
  /** Workshop codes made here (a private call's code the lobby itself remembers). */
  private readonly workshopCodes = new Set<string>();

  constructor(
    private readonly cluster: Cluster,
    private readonly lobby: Lobby,
    private readonly log: Logger,
  ) {
    cluster.onRequest((kind, payload) => this.served(kind, payload));
    cluster.onRecovered(() => {
      this.announce().then(
        () => {
          log.info('cluster: Redis is back; what this server holds is announced again');
          // Messages to players on other servers may have been lost in the gap: each gets its call again.
          lobby.resync();
        },
        (err: unknown) => log.error({ err }, 'cluster: could not announce what this server holds'),
      );
    });
  }

  /** Tell Redis again who lives here, which codes are here, who waits in line (Redis may have restarted empty). */
  private async announce(): Promise<void> {
    const held = this.lobby.held();
    for (const p of held.players) await this.cluster.setHome(p.id, p.resumeToken);
    for (const code of [...held.codes, ...this.workshopCodes]) await this.cluster.claimCode(code);
    for (const w of held.waiting) await this.cluster.requeue(w.queue, w.id);
  }

  /** The hooks the lobby calls, to keep Redis in step with it. */
  static hooks(get: () => Cluster | null): LobbyHooks {
    const later = (work: (c: Cluster) => Promise<void>): void => {
      const c = get();
      if (c !== null) void work(c).catch(() => {});
    };
    return {
      queueLeft: (playerId, queue) => later((c) => c.leaveQueue(queue, playerId)),
      codeGone: (code) => later((c) => c.releaseCode(code)),
      forgotten: (playerId, token) => later((c) => c.forget(playerId, token)),
    };
  }

  private get me(): string {
    return this.cluster.nodeId;
  }

  async hello(payload: ClientPayloads['hello']): Promise<HelloResult> {
    if (!this.cluster.up) return { ok: false, error: wireError('server/unavailable', 'hello') };
    const token = payload.resumeToken;
    if (token !== undefined && !this.lobby.hasToken(token)) {
      // A seat held by another server: it is resumed there, and answered from there.
      const playerId = await this.cluster.playerOfToken(token);
      const home = playerId === null ? null : await this.cluster.homeOf(playerId);
      if (home !== null && home !== this.me && (await this.cluster.alive(home))) return this.cluster.ask<HelloResult>(home, 'hello', payload);
    }
    const result = await this.lobby.hello(payload);
    if (result.ok && !result.resumed) await this.cluster.setHome(result.player, this.lobby.tokenOf(result.player) ?? '');
    return result;
  }

  async greet(playerId: string, resumed: boolean, notice?: WireError): Promise<Welcome> {
    return this.cluster.ask<Welcome>(await this.homeOf(playerId), 'greet', { playerId, resumed, notice });
  }

  async update(playerId: string, payload: ClientPayloads['hello']): Promise<LobbyResult> {
    if (!this.cluster.up) return this.lobby.has(playerId) ? this.lobby.update(playerId, payload) : fail('server/unavailable', 'hello');
    return this.cluster.ask<LobbyResult>(await this.homeOf(playerId), 'update', { playerId, payload });
  }

  async handle(playerId: string, request: Request): Promise<LobbyResult> {
    if (!this.cluster.up) {
      // Without Redis nobody new meets: a call already here goes on, a practice call with the bot starts.
      if (!this.lobby.has(playerId) || STARTS_A_CALL.has(request.event)) return fail('server/unavailable', request.event);
      return this.lobby.handle(playerId, request);
    }
    let home = await this.homeOf(playerId);
    // Their seat was on a server that is gone: this connection says hello again for a new one.
    if (home !== this.me && !(await this.cluster.alive(home))) return fail('session/lost', request.event);
    // Codes belong to the server that made them: the one who comes with a code moves there.
    const code = request.event === 'call:join' ? normalizeCode(request.payload.code) : request.event.startsWith('workshop:') && 'code' in request.payload ? normalizeCode(String(request.payload.code)) : null;
    const holder = code === null ? null : await this.cluster.codeServer(code);
    if (holder !== null && holder !== home && (await this.cluster.alive(holder)) && (await this.move(playerId, home, holder))) home = holder;
    return this.cluster.ask<LobbyResult>(home, 'handle', { playerId, request });
  }

  disconnected(playerId: string): void {
    void this.homeOf(playerId)
      .then((home) => this.cluster.ask(home, 'disconnected', { playerId }))
      .catch((err: unknown) => this.log.warn({ err }, 'cluster: a disconnect was not delivered'));
  }

  /** The player's home: this server if it holds them, else what Redis says. */
  private async homeOf(playerId: string): Promise<string> {
    if (this.lobby.has(playerId)) return this.me;
    return (await this.cluster.homeOf(playerId)) ?? this.me;
  }

  /** Hand a free player over from one server to another; false if they cannot move (in a call, hosting). */
  private async move(playerId: string, from: string, to: string): Promise<boolean> {
    const record = await this.cluster.ask<PlayerRecord | null>(from, 'export', { playerId });
    if (record === null) return false;
    await this.cluster.ask(to, 'import', { record });
    return true;
  }

  /**
   * A request for a player this server does not hold (any more): they are moving, or just
   * moved, to another server. Wait (up to a second) for Redis to name their new home, and
   * pass the request on there; null if they live nowhere else.
   */
  private async elsewhere(playerId: string): Promise<string | null> {
    for (let tries = 0; tries < 20; tries++) {
      if (this.lobby.has(playerId)) return null;
      const home = await this.cluster.homeOf(playerId);
      if (home !== null && home !== this.me) return home;
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  }

  /** What another server (or this one, for its own connections) asks of this server's lobby. */
  private async served(kind: string, payload: unknown): Promise<unknown> {
    const p = payload as Record<string, unknown>;
    if ((kind === 'greet' || kind === 'update' || kind === 'handle' || kind === 'disconnected') && !this.lobby.has(p.playerId as string)) {
      const home = await this.elsewhere(p.playerId as string);
      if (home !== null) return this.cluster.ask(home, kind, payload);
      if (kind === 'handle') return fail('server/unavailable', (p.request as Request).event);
      if (kind === 'update') return fail('server/unavailable', 'hello');
      if (kind === 'disconnected') return null;
    }
    switch (kind) {
      case 'hello':
        return this.lobby.hello(p as ClientPayloads['hello']);
      case 'greet':
        return this.lobby.greet(p.playerId as string, p.resumed as boolean, p.notice as WireError | undefined);
      case 'update':
        return this.lobby.update(p.playerId as string, p.payload as ClientPayloads['hello']);
      case 'handle':
        return this.handleHere(p.playerId as string, p.request as Request);
      case 'disconnected':
        this.lobby.disconnected(p.playerId as string);
        return null;
      case 'export':
        return this.lobby.exportPlayer(p.playerId as string);
      case 'import': {
        const record = p.record as PlayerRecord;
        this.lobby.importPlayer(record);
        await this.cluster.setHome(record.id, record.resumeToken);
        return null;
      }
      default:
        throw new Error(`unknown cluster request ${kind}`);
    }
  }

  /** A request of one of this server's players. Quick match and new codes go through Redis. */
  private async handleHere(playerId: string, request: Request): Promise<LobbyResult> {
    if (request.event === 'queue:join') {
      const plan = this.lobby.plan(request.payload);
      // Waiting here first: from the moment the shared queue holds them, another server may
      // take them (and move them) at any time, even before the script's answer comes back.
      const waiting = this.lobby.queueMatched(playerId, plan, null);
      if (!waiting.ok) return waiting;
      const queue = this.lobby.queueOf(plan);
      for (let tries = 0; tries < 5; tries++) {
        const other = await this.cluster.pairOrWait(queue, playerId);
        if (other === null) return waiting;
        if (!this.lobby.isWaiting(playerId)) {
          // Taken by another server meanwhile: whoever this script handed us waits on, first in line.
          await this.cluster.redis.lpush(`cyhm:queue:${queue}`, other);
          return waiting;
        }
        const home = await this.cluster.homeOf(other);
        // The one who waited comes here (if they still can: gone, or no longer free, the next in line).
        if (home === this.me || (home !== null && (await this.cluster.alive(home)) && (await this.move(other, home, this.me)))) {
          if (this.lobby.isWaiting(playerId)) return this.lobby.queueMatched(playerId, plan, other);
          await this.cluster.redis.lpush(`cyhm:queue:${queue}`, other);
          return waiting;
        }
      }
      // Nobody free in line after a few tries: wait in it.
      await this.cluster.requeue(queue, playerId);
      return waiting;
    }
    if (request.event === 'call:create') {
      // A code no server has: taken in Redis first (SET NX), then given to the call.
      for (;;) {
        const code = this.lobby.freshCode();
        if (!(await this.cluster.reserveCode(code))) continue;
        const created = this.lobby.createPrivate(playerId, this.lobby.plan(request.payload), code);
        if (!created.ok) await this.cluster.releaseCode(code);
        return created;
      }
    }
    const result = await this.lobby.handle(playerId, request);
    // A workshop's code is found from every server (the store made sure it is new).
    if (result.ok && result.answer.event === 'workshop:created') {
      const code = result.answer.payload.code;
      this.workshopCodes.add(code);
      await this.cluster.claimCode(code);
    }
    return result;
  }
}
