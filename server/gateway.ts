/**
 * The socket layer, kept thin: it parses every request from `unknown` against the shared
 * schemas, rate-limits, maps sockets to players, and hands valid requests to the lobby.
 * Every refusal is an `error` event with a namespaced code; nothing else changes.
 */
import type { Server, Socket } from 'socket.io';
import { parseRequest, wireError } from '../shared/wire';
import type { ClientToServerEvents, ErrorCode, ServerToClientEvents, WireError } from '../shared/wire';
import type { Clock } from './clock';
import type { Logger } from './log';
import { playerRoom, type Lobby, type LobbyResult } from './lobby';

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
    const refuse = (error: WireError): void => {
      socket.emit('error', error);
    };
    const answer = (result: LobbyResult): void => {
      if (!result.ok) refuse(result.error);
    };

    socket.onAny((event: unknown, ...args: unknown[]) => {
      try {
        if (!bucket.take()) return refuse(wireError('rate/limited', typeof event === 'string' ? event.slice(0, 40) : undefined));
        const parsed = parseRequest(event, args[0]);
        if (!parsed.ok) return refuse(parsed.error);
        const request = parsed.request;
        if (request.event === 'hello') {
          if (playerId !== null) {
            // Saying hello again on the same connection changes the name or language.
            const result = lobby.update(playerId, request.payload);
            if (!result.ok) refuse(result.error);
            return;
          }
          const hello = lobby.hello(request.payload);
          playerId = hello.player;
          socketsOf.set(playerId, (socketsOf.get(playerId) ?? 0) + 1);
          void socket.join(playerRoom(playerId));
          if (hello.error !== undefined) refuse(hello.error);
          lobby.greet(playerId, hello.resumed);
          return;
        }
        if (playerId === null) return refuse(wireError('session/no-hello', request.event));
        if (request.event === 'call:join') {
          const address = socket.handshake.address;
          let joins = joinBuckets.get(address);
          if (joins === undefined) {
            // Forget old addresses now and then; a fresh bucket is full, so this only forgives.
            if (joinBuckets.size > 10_000) joinBuckets.clear();
            joins = new TokenBucket(limits.joinsPerMinute, limits.joinsPerMinute / 60_000, clock);
            joinBuckets.set(address, joins);
          }
          if (!joins.take()) return refuse(wireError('join/rate-limited', 'call:join'));
        }
        answer(lobby.handle(playerId, request));
      } catch (error) {
        log.error({ err: error, event: typeof event === 'string' ? event : null }, 'request failed');
        refuse(wireError('server/internal' satisfies ErrorCode));
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
