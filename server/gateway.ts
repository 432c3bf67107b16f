/**
 * The socket layer, kept thin: it parses every request from `unknown` against the shared
 * schemas, rate-limits, maps sockets to players, and hands valid requests to the lobby.
 * Every request gets exactly one answer: its result event, or a refusal with a namespaced
 * code that changed nothing (an `error` event); with a socket.io acknowledgement, the
 * answer or the refusal also comes back through it.
 *
 * A connection's requests are handled in the order they came. Most are answered at once;
 * one that waits for the workshop store holds the ones after it (and the disconnect)
 * until it is answered, so a connection never hears answers out of order.
 */
import type { Server, Socket } from 'socket.io';
import { parseRequest, requestName } from '../shared/wire';
import type { ClientToServerEvents, Reply, ServerToClientEvents } from '../shared/wire';
import { pollTimers, type Clock } from './clock';
import type { Logger } from './log';
import type { Front } from './cluster';
import { playerRoom } from './rooms';
import { answer, fail, whenDone, type MaybePromise, type RequestResult } from './result';

export type GameServerIo = Server<ClientToServerEvents, ServerToClientEvents>;
export type GameSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export interface GatewayLimits {
  /** Steady requests per second per connection, and the burst allowed above it. */
  readonly eventsPerSecond: number;
  readonly eventsBurst: number;
  /** Attempts to join by code per client address per minute. */
  readonly joinsPerMinute: number;
}

export const DEFAULT_LIMITS: GatewayLimits = { eventsPerSecond: 10, eventsBurst: 30, joinsPerMinute: 10 };

/** A token bucket on the injected clock. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    private readonly clock: Clock,
  ) {
    this.tokens = capacity;
    this.last = clock.now();
  }

  take(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** One request of a connection: answered exactly once, through its acknowledgement if it has one, else as events. */
class Exchange {
  private answered = false;

  constructor(
    private readonly socket: GameSocket,
    /** The request's name, if it is one the server knows. */
    private readonly name: string | undefined,
    private readonly ack: ((reply: Reply) => void) | null,
  ) {}

  /** Answer it: a result through the ack (its event was sent by the lobby), a refusal as an `error` event or through the ack. */
  settle(result: RequestResult): void {
    if (this.answered) return;
    this.answered = true;
    if (result.ok) {
      this.ack?.({ ok: true, ...result.answer } as Reply);
      return;
    }
    const error = result.error.event === undefined && this.name !== undefined ? { ...result.error, event: this.name } : result.error;
    if (this.ack === null) this.socket.emit('error', error);
    else this.ack({ ok: false, error });
  }

  /** Handling it threw: logged, and answered with `server/internal`. */
  failed(error: unknown, log: Logger): void {
    log.error({ err: error, event: this.name ?? null }, 'request failed');
    this.settle(fail('server/internal'));
  }
}

/** What every connection of one gateway shares. */
interface GatewayParts {
  readonly lobby: Front;
  readonly clock: Clock;
  readonly log: Logger;
  readonly limits: GatewayLimits;
  /** Open connections of each seated player (a player may have several tabs). */
  readonly socketsOf: Map<string, number>;
  /** Attempts to join by code from this address: within the limit? */
  readonly joinAllowed: (address: string) => boolean;
}

/**
 * One connection: the player it has seated (after `hello`), its rate limit, and its
 * requests, handled in the order they came. One object and two listeners per connection,
 * since a server holds thousands.
 */
class Connection {
  private playerId: string | null = null;
  private readonly bucket: TokenBucket;
  /** Requests waiting for an earlier one of this connection to be answered, and their tail. */
  private waiting = 0;
  private tail: Promise<void> | null = null;

  constructor(
    private readonly socket: GameSocket,
    private readonly parts: GatewayParts,
  ) {
    this.bucket = new TokenBucket(parts.limits.eventsBurst, parts.limits.eventsPerSecond / 1_000, parts.clock);
    socket.onAny(this.request);
    socket.on('disconnect', this.disconnected);
  }

  private readonly request = (event: unknown, ...args: unknown[]): void => {
    // socket.io hands a request's acknowledgement callback over as its last argument.
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as (reply: Reply) => void) : null;
    const exchange = new Exchange(this.socket, requestName(event).event, ack);
    // Timers already due fire first: a 5-second timer is not held back by a burst of requests.
    pollTimers(this.parts.clock);
    // The rate limit counts a request when it comes, not when its turn comes.
    if (!this.bucket.take()) return this.inTurn(() => exchange.settle(fail('rate/limited')));
    this.inTurn(() => {
      try {
        const done = this.handle(exchange, event, args[0]);
        return done instanceof Promise ? done.catch((error: unknown) => exchange.failed(error, this.parts.log)) : done;
      } catch (error) {
        exchange.failed(error, this.parts.log);
      }
    });
  };

  private readonly disconnected = (): void => {
    // After any request still being handled: a hello waiting for the store may yet seat a player.
    this.inTurn(() => {
      const playerId = this.playerId;
      if (playerId === null) return;
      const { socketsOf } = this.parts;
      const left = (socketsOf.get(playerId) ?? 1) - 1;
      if (left > 0) {
        socketsOf.set(playerId, left);
        return;
      }
      socketsOf.delete(playerId);
      this.parts.lobby.disconnected(playerId);
    });
  };

  /** Run `work` now if nothing of this connection is pending, else after what is; a failure never stops the ones after. */
  private inTurn(work: () => MaybePromise<void>): void {
    if (this.waiting === 0) {
      let now: MaybePromise<void>;
      try {
        now = work();
      } catch (error) {
        return this.lost(error);
      }
      if (!(now instanceof Promise)) return;
      this.waiting++;
      this.tail = now.catch((error: unknown) => this.lost(error)).finally(() => void this.waiting--);
      return;
    }
    this.waiting++;
    // Something is pending, so there is a tail.
    this.tail = (this.tail ?? Promise.resolve())
      .then(work)
      .catch((error: unknown) => this.lost(error))
      .finally(() => void this.waiting--);
  }

  private lost(error: unknown): void {
    this.parts.log.error({ err: error }, 'request failed');
  }

  /** Handle a request; settles it now, or returns the promise of settling it. */
  private handle(exchange: Exchange, event: unknown, payload: unknown): MaybePromise<void> {
    const { lobby, socketsOf } = this.parts;
    const parsed = parseRequest(event, payload);
    if (!parsed.ok) return exchange.settle(parsed);
    const request = parsed.request;
    const seated = this.playerId;
    if (request.event === 'hello') {
      // Saying hello again on the same connection changes the name or language.
      if (seated !== null) return whenDone(lobby.update(seated, request.payload), (result) => exchange.settle(result));
      return whenDone(lobby.hello(request.payload), (hello) => {
        if (!hello.ok) return exchange.settle(hello);
        const playerId = hello.player;
        this.playerId = playerId;
        socketsOf.set(playerId, (socketsOf.get(playerId) ?? 0) + 1);
        void this.socket.join(playerRoom(playerId));
        return whenDone(lobby.greet(playerId, hello.resumed, hello.notice), (welcome) => exchange.settle(answer('welcome', welcome)));
      }) as MaybePromise<void>; // a promise of a promise is one promise
    }
    if (seated === null) return exchange.settle(fail('session/no-hello'));
    if (request.event === 'call:join' && !this.parts.joinAllowed(this.socket.handshake.address)) return exchange.settle(fail('join/rate-limited'));
    return whenDone(lobby.handle(seated, request), (result) => {
      // The seat is gone (its server stopped): this connection may say hello again.
      const playerId = this.playerId;
      if (!result.ok && result.error.code === 'session/lost' && playerId !== null) {
        void this.socket.leave(playerRoom(playerId));
        socketsOf.delete(playerId);
        this.playerId = null;
      }
      exchange.settle(result);
    });
  }
}

export function attachGateway(io: GameServerIo, lobby: Front, clock: Clock, log: Logger, limits: GatewayLimits = DEFAULT_LIMITS): void {
  const joinBuckets = new Map<string, TokenBucket>();
  const parts: GatewayParts = { lobby, clock, log, limits, socketsOf: new Map(), joinAllowed };
  io.on('connection', (socket: GameSocket) => void new Connection(socket, parts));

  /** Attempts to join by code from this address: within the limit? */
  function joinAllowed(address: string): boolean {
    let joins = joinBuckets.get(address);
    if (joins === undefined) {
      // Forget old addresses now and then; a fresh bucket is full, so this only forgives.
      if (joinBuckets.size > 10_000) joinBuckets.clear();
      joins = new TokenBucket(limits.joinsPerMinute, limits.joinsPerMinute / 60_000, clock);
      joinBuckets.set(address, joins);
    }
    return joins.take();
  }
}
