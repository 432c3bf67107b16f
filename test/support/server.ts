/**
 * A real game server on port 0 and real socket.io clients, for integration tests. The
 * server runs on a FakeClock; the tests move time explicitly and wait only for messages.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { createGameServer, type GameServer, type GameServerOptions } from '../../server/app';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/wire';
import { FakeClock } from './clock';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type EventName = keyof ServerToClientEvents;
export interface Received {
  readonly event: EventName;
  readonly payload: unknown;
}

export interface TestServer {
  readonly server: GameServer;
  readonly clock: FakeClock;
  readonly url: string;
  close(): Promise<void>;
}

export const GENEROUS_LIMITS = { eventsPerSecond: 1_000, eventsBurst: 1_000, joinsPerMinute: 1_000 } as const;

export async function startServer(options: Partial<GameServerOptions> = {}): Promise<TestServer> {
  const clock = new FakeClock();
  const server = createGameServer({ clock, limits: GENEROUS_LIMITS, ...options });
  const address = await server.listen(0, '127.0.0.1');
  return { server, clock, url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

/** A real socket.io client that records everything it is sent. */
export class TestClient {
  readonly socket: ClientSocket;
  readonly received: Received[] = [];
  private waiters: { test: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  private cursor = 0;

  constructor(url: string) {
    this.socket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket.onAny((event: EventName, payload: unknown) => {
      const r = { event, payload };
      this.received.push(r);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(r)) return true;
        w.resolve(r);
        return false;
      });
    });
  }

  static async connect(url: string): Promise<TestClient> {
    const client = new TestClient(url);
    await new Promise<void>((resolve, reject) => {
      client.socket.once('connect', () => resolve());
      client.socket.once('connect_error', reject);
    });
    return client;
  }

  /** Send a request as it is, even one the types would refuse (for the bad-input tests). */
  sendRaw(event: string, ...args: unknown[]): void {
    (this.socket.emit as (e: string, ...a: unknown[]) => void)(event, ...args);
  }

  send<E extends keyof ClientToServerEvents>(event: E, ...args: Parameters<ClientToServerEvents[E]>): void {
    this.socket.emit(event, ...args);
  }

  /**
   * The next message (after the ones already taken by `next`) that matches; waits for it
   * if it has not come yet. Fails after `timeoutMs` of real time: a guard, not a sleep.
   */
  next<E extends EventName>(event: E, where: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true, timeoutMs = 5_000): Promise<Parameters<ServerToClientEvents[E]>[0]> {
    type P = Parameters<ServerToClientEvents[E]>[0];
    const test = (r: Received): boolean => r.event === event && where(r.payload as P);
    for (let i = this.cursor; i < this.received.length; i++) {
      const r = this.received[i]!;
      if (test(r)) {
        this.cursor = i + 1;
        return Promise.resolve(r.payload as P);
      }
    }
    return new Promise<P>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms; got ${this.received.slice(this.cursor).map((r) => r.event).join(', ')}`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (r) => {
          clearTimeout(timer);
          this.cursor = this.received.indexOf(r) + 1;
          resolve(r.payload as P);
        },
      });
    });
  }

  /** Every message of one kind received so far. */
  all<E extends EventName>(event: E): Parameters<ServerToClientEvents[E]>[0][] {
    return this.received.filter((r) => r.event === event).map((r) => r.payload as Parameters<ServerToClientEvents[E]>[0]);
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Resolves once the server has handled everything sent so far: a round trip through it. */
export async function roundTrip(client: TestClient): Promise<void> {
  client.sendRaw('no-such-event:sync');
  await client.next('error', (e) => e.code === 'input/unknown-event' && e.event === 'no-such-event:sync');
}

/** Two players who said hello and were paired by quick match on `line`. */
export async function pairUp(srv: TestServer, line: 'perfect' | 'good' | 'bad' | 'terrible' = 'perfect'): Promise<{ alice: TestClient; bob: TestClient; callId: string }> {
  const alice = await TestClient.connect(srv.url);
  const bob = await TestClient.connect(srv.url);
  alice.send('hello', { name: 'Alice', lang: 'en' });
  bob.send('hello', { name: 'Bob', lang: 'en' });
  await alice.next('welcome');
  await bob.next('welcome');
  alice.send('queue:join', { line });
  await alice.next('queue:waiting');
  bob.send('queue:join', { line });
  const started = await alice.next('call:started');
  await bob.next('call:started');
  return { alice, bob, callId: started.callId };
}

/** Wait for an update whose events include one matching `test`. */
export function updateWith(client: TestClient, test: (e: import('../../shared/call').CallEvent) => boolean) {
  return client.next('call:update', (u) => u.events.some(test));
}

/**
 * The first message of a kind, at or after index `from` of everything `client` received,
 * that matches; checks again every few ms until `timeoutMs` of real time has passed. For
 * tests that run the real server process (real time) or that look back over old messages.
 */
export async function waitForMessage<E extends EventName>(
  client: TestClient,
  event: E,
  where: (p: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
  from = 0,
  timeoutMs = 5_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  type P = Parameters<ServerToClientEvents[E]>[0];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (let i = from; i < client.received.length; i++) {
      const r = client.received[i]!;
      if (r.event === event && where(r.payload as P)) return r.payload as P;
    }
    if (Date.now() > deadline) throw new Error(`no ${event} within ${timeoutMs} ms; got ${client.received.slice(from).map((r) => r.event).join(', ')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
