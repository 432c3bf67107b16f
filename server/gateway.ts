/**
 * The socket layer, kept thin: it parses every request from `unknown` against the shared
 * schemas, rate-limits, maps sockets to players, and hands valid requests to the lobby.
 * Every request gets exactly one answer: its result event, or a refusal with a namespaced
 * code that changed nothing (an `error` event); with a socket.io acknowledgement, the
 * answer or the refusal also comes back through it.
 */
import type { Server, Socket } from 'socket.io';
import { parseRequest, requestName } from '../shared/wire';
import type { ClientToServerEvents, Reply, ServerToClientEvents } from '../shared/wire';
import { pollTimers, type Clock } from './clock';
import type { Logger } from './log';
import { playerRoom, type Lobby } from './lobby';
import { answer, fail, type RequestResult } from './result';

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

export function attachGateway(io: GameServerIo, lobby: Lobby, clock: Clock, log: Logger, limits: GatewayLimits = DEFAULT_LIMITS): void {
  const socketsOf = new Map<string, number>();
  const joinBuckets = new Map<string, TokenBucket>();

  io.on('connection', (socket: GameSocket) => {
    let playerId: string | null = null;
    const bucket = new TokenBucket(limits.eventsBurst, limits.eventsPerSecond / 1_000, clock);

    socket.onAny((event: unknown, ...args: unknown[]) => {
      // socket.io hands a request's acknowledgement callback over as its last argument.
      const ack = typeof args.at(-1) === 'function' ? (args.pop() as (reply: Reply) => void) : null;
      const name = requestName(event).event;
      let answered = false;
      /** Exactly one answer per request: through the ack if there is one, else as an `error` event for a refusal. */
      const settle = (result: RequestResult): void => {
        if (answered) return;
        answered = true;
        if (result.ok) {
          ack?.({ ok: true, ...result.answer } as Reply);
          return;
        }
        const error = result.error.event === undefined && name !== undefined ? { ...result.error, event: name } : result.error;
        if (ack === null) socket.emit('error', error);
        else ack({ ok: false, error });
      };
      try {
        // Timers already due fire first: a 5-second timer is not held back by a burst of requests.
        pollTimers(clock);
        if (!bucket.take()) return settle(fail('rate/limited'));
        const parsed = parseRequest(event, args[0]);
        if (!parsed.ok) return settle(parsed);
        const request = parsed.request;
        if (request.event === 'hello') {
          // Saying hello again on the same connection changes the name or language.
          if (playerId !== null) return settle(lobby.update(playerId, request.payload));
          const hello = lobby.hello(request.payload);
          if (!hello.ok) return settle(hello);
          playerId = hello.player;
          socketsOf.set(playerId, (socketsOf.get(playerId) ?? 0) + 1);
          void socket.join(playerRoom(playerId));
          return settle(answer('welcome', lobby.greet(playerId, hello.resumed, hello.notice)));
        }
        if (playerId === null) return settle(fail('session/no-hello'));
        if (request.event === 'call:join') {
          const address = socket.handshake.address;
          let joins = joinBuckets.get(address);
          if (joins === undefined) {
            // Forget old addresses now and then; a fresh bucket is full, so this only forgives.
            if (joinBuckets.size > 10_000) joinBuckets.clear();
            joins = new TokenBucket(limits.joinsPerMinute, limits.joinsPerMinute / 60_000, clock);
            joinBuckets.set(address, joins);
          }
          if (!joins.take()) return settle(fail('join/rate-limited'));
        }
        settle(lobby.handle(playerId, request));
      } catch (error) {
        log.error({ err: error, event: name ?? null }, 'request failed');
        settle(fail('server/internal'));
      }
    });

    socket.on('disconnect', () => {
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
}
