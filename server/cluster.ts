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
 * In Redis: each server's lease (`cyhm:node:<id>`, the time it was renewed, every 500 ms;
 * gone 3 s after a server dies) and the set of servers (`cyhm:nodes`), each player's home
 * (`cyhm:home:<player>`), resume token (`cyhm:token:<token>`) and the server their
 * connection is on (`cyhm:via:<player>`), the server of each private or workshop code
 * (`cyhm:code:<code>`; a server's workshop codes in `cyhm:codes:<id>`), and one quick-match
 * queue per kind of call (`cyhm:queue:<kind>`, popped or joined in one Lua script, so two
 * servers never take the same player). Servers ask each other over pub/sub
 * (`cyhm:rpc:<id>`), with a timeout.
 *
 * Calls outlive their server (server/journal.ts). When a server's lease is gone, the first
 * server to see it takes over its estate (`cyhm:estate:<id>`, set NX): each of its calls is
 * claimed in one script, rebuilt from its journal, and carried on; its players' homes move
 * there, and their connections, wherever they land, resume with their tokens. A request
 * for a player whose home stopped answering waits for that takeover rather than failing. A
 * server told to stop (SIGTERM) while others run hands its calls, players and workshop
 * codes to one of them first (`drain`), so a rolling restart ends no call.
 */
import { Redis } from 'ioredis';
import type { ClientPayloads, ClientRequest, Welcome, WireError } from '../shared/wire';
import { normalizeCode, wireError } from '../shared/wire';
import { SIDES } from '../shared/call';
import { UnreadableCall, type Journal } from './journal';
import type { HelloResult, Lobby, LobbyHooks, LobbyResult, PlayerRecord } from './lobby';
import type { Logger } from './log';
import { fail, type MaybePromise } from './result';

/** A server's lease lasts this long unless renewed: a dead server's calls are taken over this long after it died, at most (plus one look). */
export const LEASE_MS = 3_000;
/** Leases are renewed, and other servers' leases looked at, this often. */
const RENEW_MS = 500;
/** A lease not renewed for this long: its server may be dead (asking it is not worth the wait). */
const STALE_MS = 1_500;
const RPC_TIMEOUT_MS = 5_000;

/** Delete a key only if it still holds this value. */
const DELETE_IF = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

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
  private deadHandler: ((nodeId: string) => Promise<void>) | null = null;
  private watching = false;

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
    // Started again under the same name: whatever estate of an earlier life was taken over is history.
    await redis.del(`cyhm:estate:${nodeId}`);
    await cluster.lease();
    cluster.renew = setInterval(() => {
      void cluster.lease();
      void cluster.watch();
    }, RENEW_MS);
    cluster.renew.unref();
    return cluster;
  }

  /** What to do with the estate of a server that died (its lease gone): this server took it. */
  onNodeDead(handler: (nodeId: string) => Promise<void>): void {
    this.deadHandler = handler;
  }

  /** Look for servers whose lease is gone, and take over the estate of each one nobody took yet. */
  private async watch(): Promise<void> {
    if (!this.up || this.watching || this.deadHandler === null) return;
    this.watching = true;
    try {
      for (const node of await this.redis.smembers('cyhm:nodes')) {
        if (node === this.nodeId || (await this.redis.exists(`cyhm:node:${node}`)) === 1) continue;
        if ((await this.redis.set(`cyhm:estate:${node}`, this.nodeId, 'PX', 60_000, 'NX')) !== 'OK') continue;
        this.log.warn({ node }, 'cluster: a server stopped answering; taking over its calls');
        await this.deadHandler(node);
        await this.redis.multi().set(`cyhm:estate:${node}`, `done:${this.nodeId}`, 'PX', 600_000).srem('cyhm:nodes', node).exec();
      }
    } catch (err) {
      this.log.error({ err }, 'cluster: taking over a stopped server failed');
    } finally {
      this.watching = false;
    }
  }

  /**
   * Wait until a server that looks dead either renews its lease (it was only slow) or has
   * had its estate taken over by another, or until `moved` says what was waited for moved
   * already (a player's call, taken over first); bounded.
   */
  async takenOver(nodeId: string, moved: () => Promise<boolean> = async () => false): Promise<void> {
    // A lease to run out, a look, and a whole estate to take over (many calls take a while).
    const until = Date.now() + LEASE_MS + 3 * RENEW_MS + 10_000;
    while (Date.now() < until) {
      if (await moved()) return;
      if ((await this.listening(nodeId)) && (await this.alive(nodeId))) return;
      if ((await this.redis.get(`cyhm:estate:${nodeId}`))?.startsWith('done:') === true) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A live server other than this one to hand everything to, or null if this is the last. */
  async successor(): Promise<string | null> {
    const nodes = (await this.redis.smembers('cyhm:nodes')).filter((n) => n !== this.nodeId).sort();
    for (const node of nodes) if (await this.alive(node)) return node;
    return null;
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
    await this.redis.multi().del(`cyhm:node:${this.nodeId}`).srem('cyhm:nodes', this.nodeId).exec().catch(() => {});
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
    await this.redis.multi().set(`cyhm:node:${this.nodeId}`, String(Date.now()), 'PX', LEASE_MS).sadd('cyhm:nodes', this.nodeId).exec().catch(() => {});
  }

  /** Does that server listen for requests (a process killed stops at once; its lease runs on a while)? */
  async listening(nodeId: string): Promise<boolean> {
    const [, count] = (await this.redis.pubsub('NUMSUB', `cyhm:rpc:${nodeId}`)) as [string, number];
    return Number(count) > 0;
  }

  /** Is that server alive: its lease renewed lately? */
  async alive(nodeId: string): Promise<boolean> {
    if (nodeId === this.nodeId) return true;
    const renewed = await this.redis.get(`cyhm:node:${nodeId}`);
    return renewed !== null && Date.now() - Number(renewed) < STALE_MS;
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
    const listeners = await this.redis.publish(`cyhm:rpc:${nodeId}`, JSON.stringify({ id, from: this.nodeId, kind, payload } satisfies RpcMessage));
    if (listeners === 0) {
      // Nobody listens there: that server is gone (its lease may not have run out yet).
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (waiting !== undefined) clearTimeout(waiting.timer);
      void answer.catch(() => {});
      throw new Error(`server ${nodeId} is not listening`);
    }
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

  /** A connection of this player is on this server. */
  async setVia(playerId: string): Promise<void> {
    await this.redis.set(`cyhm:via:${playerId}`, this.nodeId, 'EX', 86_400);
  }

  /** The player's last connection on this server closed. */
  async clearVia(playerId: string): Promise<void> {
    await this.redis.eval(DELETE_IF, 1, `cyhm:via:${playerId}`, this.nodeId);
  }

  /** The server a connection of this player is on, if any. */
  async viaOf(playerId: string): Promise<string | null> {
    return this.redis.get(`cyhm:via:${playerId}`);
  }

  /** Is a connection of this player up on a live server? */
  async connectedAnywhere(playerId: string): Promise<boolean> {
    const via = await this.viaOf(playerId);
    return via !== null && (await this.alive(via));
  }

  async playerOfToken(token: string): Promise<string | null> {
    return this.redis.get(`cyhm:token:${token}`);
  }

  /** A player this server forgot: gone from the directory, unless another server has them now. */
  async forget(playerId: string, resumeToken: string): Promise<void> {
    if ((await this.homeOf(playerId)) !== this.nodeId) return;
    await this.redis.del(`cyhm:home:${playerId}`, `cyhm:token:${resumeToken}`, `cyhm:via:${playerId}`);
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

  /** This server holds `code` (a private call's or, `workshop`, a workshop's: those are taken over with the server). */
  async claimCode(code: string, workshop = false): Promise<void> {
    const batch = this.redis.multi().set(`cyhm:code:${code}`, this.nodeId);
    if (workshop) batch.sadd(`cyhm:codes:${this.nodeId}`, code);
    await batch.exec();
  }

  /** The workshop codes a server holds (still pointing at it). */
  async workshopCodesOf(nodeId: string): Promise<string[]> {
    const codes = await this.redis.smembers(`cyhm:codes:${nodeId}`);
    const holders = codes.length === 0 ? [] : await this.redis.mget(...codes.map((c) => `cyhm:code:${c}`));
    return codes.filter((_, i) => holders[i] === nodeId);
  }

  /** Take a new code for this server, if no server has it yet. */
  async reserveCode(code: string): Promise<boolean> {
    return (await this.redis.set(`cyhm:code:${code}`, this.nodeId, 'NX')) === 'OK';
  }

  async codeServer(code: string): Promise<string | null> {
    return this.redis.get(`cyhm:code:${code}`);
  }

  async releaseCode(code: string): Promise<void> {
    await this.redis.multi().del(`cyhm:code:${code}`).srem(`cyhm:codes:${this.nodeId}`, code).exec();
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
  /** Workshop codes held here (a private call's code the lobby itself remembers). */
  private readonly workshopCodes = new Set<string>();
  /** Handing everything over to this server (this one is stopping). */
  private drainingTo: string | null = null;
  /** Messages to other servers still on their way (a stopping server waits for them). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly cluster: Cluster,
    private readonly lobby: Lobby,
    private readonly journal: Journal,
    private readonly log: Logger,
  ) {
    cluster.onRequest((kind, payload) => this.served(kind, payload));
    cluster.onNodeDead((node) => this.takeOver(node));
    // Another server runs a call this one still ran (this one stalled past its lease): it stops here.
    journal.onLost((callId) => lobby.releaseCall(callId));
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
    for (const code of held.codes) await this.cluster.claimCode(code);
    for (const code of this.workshopCodes) await this.cluster.claimCode(code, true);
    for (const w of held.waiting) await this.cluster.requeue(w.queue, w.id);
    // Its calls too, whole (Redis may have lost them, or missed writes in the gap).
    await this.journal.rewrite((callId) => this.lobby.entriesOf(callId));
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
    let result: HelloResult | null = null;
    if (token !== undefined && !this.lobby.hasToken(token)) {
      // A seat held by another server: it is resumed there, and answered from there (once
      // its calls are taken over, if that server just died).
      const playerId = await this.cluster.playerOfToken(token);
      if (playerId !== null) result = await this.helloAtHome(playerId, payload);
    }
    // A stopping server seats nobody new: the seat is made where everything is going.
    if (result === null && this.drainingTo !== null && !(token !== undefined && this.lobby.hasToken(token))) result = await this.cluster.ask<HelloResult>(this.drainingTo, 'hello', payload);
    result ??= await this.helloHere(payload);
    if (result.ok) await this.cluster.setVia(result.player);
    return result;
  }

  /** A hello answered by this server's lobby: a new seat lives here. */
  private async helloHere(payload: ClientPayloads['hello']): Promise<HelloResult> {
    const result = await this.lobby.hello(payload);
    if (result.ok && !result.resumed) await this.cluster.setHome(result.player, this.lobby.tokenOf(result.player) ?? '');
    return result;
  }

  /** A hello resuming a seat another server holds, answered there; null if the seat lives here or nowhere (any more). */
  private async helloAtHome(playerId: string, payload: ClientPayloads['hello']): Promise<HelloResult | null> {
    let home = await this.liveHome(playerId);
    for (let tries = 0; tries < 2 && home !== null && home !== this.me; tries++) {
      try {
        return await this.cluster.ask<HelloResult>(home, 'hello', payload);
      } catch (err) {
        if (await this.cluster.listening(home)) throw err;
        home = await this.liveHome(playerId, home);
      }
    }
    return null;
  }

  /**
   * The player's home if it is alive; if it seems dead (or is `suspect`: it did not
   * answer), wait for it to come back or for its calls to be taken over, and say where the
   * player lives then. Null if they live nowhere.
   */
  private async liveHome(playerId: string, suspect?: string): Promise<string | null> {
    const home = await this.cluster.homeOf(playerId);
    if (home === null || home === this.me || (home !== suspect && (await this.cluster.alive(home)))) return home;
    // Their call may be taken over long before the whole estate is.
    await this.cluster.takenOver(home, async () => (await this.cluster.homeOf(playerId)) !== home);
    return this.cluster.homeOf(playerId);
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
    if (home !== this.me && !(await this.cluster.alive(home))) {
      // Their home stopped answering: its calls are taken over by another server in a moment.
      home = (await this.liveHome(playerId)) ?? home;
      // Their seat was on a server that is gone, and was in no call: this connection says hello again for a new one.
      if (home !== this.me && !(await this.cluster.alive(home))) return fail('session/lost', request.event);
    }
    // Codes belong to the server that made them: the one who comes with a code moves there.
    const code = request.event === 'call:join' ? normalizeCode(request.payload.code) : request.event.startsWith('workshop:') && 'code' in request.payload ? normalizeCode(String(request.payload.code)) : null;
    const holder = code === null ? null : await this.cluster.codeServer(code);
    if (holder !== null && holder !== home && (await this.cluster.alive(holder)) && (await this.move(playerId, home, holder))) home = holder;
    try {
      return await this.cluster.ask<LobbyResult>(home, 'handle', { playerId, request });
    } catch (err) {
      // Its home died between the look and the answer: ask where the call went.
      if (home === this.me || (await this.cluster.listening(home))) throw err;
      const next = await this.liveHome(playerId, home);
      if (next === null || next === home || !(await this.cluster.listening(next))) return fail('session/lost', request.event);
      return this.cluster.ask<LobbyResult>(next, 'handle', { playerId, request });
    }
  }

  disconnected(playerId: string): void {
    const sent = this.cluster
      .clearVia(playerId)
      .then(() => this.homeOf(playerId))
      .then((home) => this.cluster.ask(home, 'disconnected', { playerId, via: this.me }))
      .catch((err: unknown) => this.log.warn({ err }, 'cluster: a disconnect was not delivered'));
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  /** Resolves once every message to other servers under way has been sent (a stopping server waits for it). */
  async quiet(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  // ---------------------------------------------------------------- calls that outlive a server

  /**
   * A server died: claim its calls one by one (each goes to exactly one server), rebuild
   * each here from its journal and carry on; its workshop codes come here too.
   */
  private async takeOver(dead: string): Promise<void> {
    const began = Date.now();
    for (const code of await this.cluster.workshopCodesOf(dead)) {
      this.workshopCodes.add(code);
      await this.cluster.claimCode(code, true);
    }
    let calls = 0;
    for (let callId = await this.journal.claim(dead); callId !== null; callId = await this.journal.claim(dead)) {
      await this.adopt(callId);
      calls++;
    }
    this.log.info({ dead, calls, ms: Date.now() - began }, 'cluster: took over the calls of a server that stopped');
  }

  /**
   * Started under the name of a server that stopped (the same NODE_ID) before any other
   * server took its calls over, as when it comes back within its lease: nobody else will
   * take them (the name is alive again), so this server carries them on itself. Its
   * earlier life's set of calls is moved aside in one step first, so that this server and
   * one taking the estate over at that moment never both take a call.
   */
  async reclaim(): Promise<void> {
    for (const code of await this.cluster.workshopCodesOf(this.me)) this.workshopCodes.add(code);
    const earlier = await this.journal.setAside();
    if (earlier !== null) await this.takeOver(earlier);
  }

  /**
   * Rebuild a call this server now owns from its journal, seat its players here, and tell
   * them. A call that cannot be rebuilt is let go, and the calls after it are still taken.
   */
  private async adopt(callId: string): Promise<void> {
    let call: Awaited<ReturnType<Journal['load']>>;
    try {
      call = await this.journal.load(callId);
    } catch (err) {
      // Redis away: the takeover stops, and is tried again (the calls not yet taken wait for it).
      if (!(err instanceof UnreadableCall)) throw err;
      return this.letGo(callId, err);
    }
    if (call === null) return;
    const connected = new Map<string, boolean>();
    for (const side of SIDES) {
      const seat = call.meta?.seats?.[side];
      if (seat !== undefined && !seat.bot) connected.set(seat.playerId, await this.cluster.connectedAnywhere(seat.playerId));
    }
    try {
      this.lobby.adoptCall(call.meta, call.entries, (playerId) => connected.get(playerId) ?? false);
    } catch (err) {
      return this.letGo(callId, err);
    }
    for (const side of SIDES) {
      const seat = call.meta.seats[side];
      if (!seat.bot && this.lobby.has(seat.playerId)) await this.cluster.setHome(seat.playerId, seat.resumeToken);
    }
    await this.journal.settled();
  }

  /**
   * A call whose journal no server can rebuild (written by a server that does not agree with
   * this one on what it means): said in the log, dropped here, and its keys left to expire.
   * Its players' next request says their seat is lost, as for a seat in no call.
   */
  private letGo(callId: string, err: unknown): void {
    this.log.error({ err, call: callId }, 'cluster: a call could not be rebuilt from its journal; it is let go');
    this.lobby.releaseCall(callId);
    this.journal.ended(callId, Promise.resolve());
  }

  /**
   * This server is stopping while others run: hand every call, player and workshop code to
   * one of them, so nothing ends. False if this is the last server (then calls end as on a
   * server of its own).
   */
  async drain(): Promise<boolean> {
    if (!this.cluster.up) return false;
    const target = await this.cluster.successor();
    if (target === null) return false;
    this.drainingTo = target;
    let calls = 0;
    let players = 0;
    // Until nothing is left: a request handled meanwhile may have started a call or seated someone.
    for (let pass = 0; pass < 5; pass++) {
      await this.journal.settled();
      let moved = 0;
      for (const callId of this.lobby.liveCalls()) {
        if (!(await this.journal.handOver(callId, target))) continue;
        this.lobby.releaseCall(callId);
        await this.cluster.ask(target, 'adopt', { callId });
        calls++;
        moved++;
      }
      for (const playerId of this.lobby.playerIds()) {
        const record = this.lobby.handOverPlayer(playerId);
        if (record === null) continue;
        await this.cluster.ask(target, 'import', { record });
        players++;
        moved++;
      }
      if (moved === 0) break;
    }
    for (const code of this.workshopCodes) await this.cluster.ask(target, 'claim', { code });
    this.workshopCodes.clear();
    this.log.info({ to: target, calls, players }, 'cluster: handed everything over');
    return true;
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
        return this.helloHere(p as ClientPayloads['hello']);
      case 'greet': {
        const welcome = this.lobby.greet(p.playerId as string, p.resumed as boolean, p.notice as WireError | undefined);
        // The answer after the messages it led to (the call, resumed), which wait for the journal.
        await this.journal.settled();
        return welcome;
      }
      case 'update':
        return this.lobby.update(p.playerId as string, p.payload as ClientPayloads['hello']);
      case 'handle': {
        const result = await this.handleHere(p.playerId as string, p.request as Request);
        // What the request did is written down, and its messages sent, before it is answered.
        await this.journal.settled();
        return result;
      }
      case 'disconnected': {
        // Said by the server the connection was on; if the player has since connected through
        // another one (their server stopped and they came back at once), it is old news.
        const via = await this.cluster.viaOf(p.playerId as string);
        if (via !== null && via !== p.via && (await this.cluster.alive(via))) return null;
        this.lobby.disconnected(p.playerId as string);
        return null;
      }
      case 'export':
        return this.lobby.exportPlayer(p.playerId as string);
      case 'import': {
        const record = p.record as PlayerRecord;
        this.lobby.importPlayer(record);
        await this.cluster.setHome(record.id, record.resumeToken);
        if (record.hosting !== undefined) await this.cluster.claimCode(record.hosting.code);
        return null;
      }
      case 'adopt':
        await this.adopt(p.callId as string);
        return null;
      case 'claim':
        this.workshopCodes.add(p.code as string);
        await this.cluster.claimCode(p.code as string, true);
        return null;
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
      await this.cluster.claimCode(code, true);
    }
    return result;
  }
}
