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
type GameSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

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

export function attachGateway(io: GameServerIo, lobby: Front, clock: Clock, log: Logger, limits: GatewayLimits = DEFAULT_LIMITS): void {
  const socketsOf = new Map<string, number>();
  const joinBuckets = new Map<string, TokenBucket>();

  io.on('connection', (socket: GameSocket) => {
    let playerId: string | null = null;
    const bucket = new TokenBucket(limits.eventsBurst, limits.eventsPerSecond / 1_000, clock);
    // Requests waiting for an earlier one of this connection to be answered, and its tail.
    let waiting = 0;
    let tail: Promise<void> | null = null;
    const lost = (error: unknown): void => log.error({ err: error }, 'request failed');
    /** Run `work` now if nothing of this connection is pending, else after what is; a failure never stops the ones after. */
    const inTurn = (work: () => MaybePromise<void>): void => {
      if (waiting === 0) {
        let now: MaybePromise<void>;
        try {
          now = work();
        } catch (error) {
          return lost(error);
        }
        if (!(now instanceof Promise)) return;
        waiting++;
        tail = now.catch(lost).finally(() => void waiting--);
        return;
      }
      waiting++;
      // Something is pending, so there is a tail.
      tail = (tail ?? Promise.resolve())
        .then(work)
        .catch(lost)
        .finally(() => void waiting--);
    };

    /** Handle a request; settles it now, or returns the promise of settling it. */
    const handle = (exchange: Exchange, event: unknown, payload: unknown): MaybePromise<void> => {
      const parsed = parseRequest(event, payload);
      if (!parsed.ok) return exchange.settle(parsed);
      const request = parsed.request;
      if (request.event === 'hello') {
        // Saying hello again on the same connection changes the name or language.
        if (playerId !== null) return whenDone(lobby.update(playerId, request.payload), (result) => exchange.settle(result));
        return whenDone(lobby.hello(request.payload), (hello) => {
          if (!hello.ok) return exchange.settle(hello);
          playerId = hello.player;
          socketsOf.set(playerId, (socketsOf.get(playerId) ?? 0) + 1);
          void socket.join(playerRoom(playerId));
          return whenDone(lobby.greet(playerId, hello.resumed, hello.notice), (welcome) => exchange.settle(answer('welcome', welcome)));
        }) as MaybePromise<void>; // a promise of a promise is one promise
      }
      if (playerId === null) return exchange.settle(fail('session/no-hello'));
      if (request.event === 'call:join' && !joinAllowed(socket.handshake.address)) return exchange.settle(fail('join/rate-limited'));
      return whenDone(lobby.handle(playerId, request), (result) => {
        // The seat is gone (its server stopped): this connection may say hello again.
        if (!result.ok && result.error.code === 'session/lost' && playerId !== null) {
          void socket.leave(playerRoom(playerId));
          socketsOf.delete(playerId);
          playerId = null;
        }
        exchange.settle(result);
      });
    };

    socket.onAny((event: unknown, ...args: unknown[]) => {
      // socket.io hands a request's acknowledgement callback over as its last argument.
      const ack = typeof args.at(-1) === 'function' ? (args.pop() as (reply: Reply) => void) : null;
      const exchange = new Exchange(socket, requestName(event).event, ack);
      // Timers already due fire first: a 5-second timer is not held back by a burst of requests.
      pollTimers(clock);
      // The rate limit counts a request when it comes, not when its turn comes.
      if (!bucket.take()) return inTurn(() => exchange.settle(fail('rate/limited')));
      inTurn(() => {
        try {
          const done = handle(exchange, event, args[0]);
          return done instanceof Promise ? done.catch((error: unknown) => exchange.failed(error, log)) : done;
        } catch (error) {
          exchange.failed(error, log);
        }
      });
    });

    socket.on('disconnect', () => {
      // After any request still being handled: a hello waiting for the store may yet seat a player.
      inTurn(() => {
        if (playerId === null) return;
        const left = (socketsOf.get(playerId) ?? 1) - 1;
        if (left > 0) {
          socketsOf.set(playerId, left);
          return;
        }
        socketsOf.delete(playerId);
        lobby.disconnected(playerId);
      });
    });
  });

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
