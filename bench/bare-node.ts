/**
 * The baseline: a bare socket.io relay with no game logic, in its own process (started by
 * bench/server.ts). Same transport settings as the game. It pairs players (first come,
 * first served, or by code), and answers each call request by replaying, to the pair's
 * room, the messages the game sent for the same request in a recorded whole call (same
 * payloads, so the same sizes), with the same delays for the ones that follow by
 * themselves (segments arriving 600 ms later, TIME_WAIT). No validation, no rate limits,
 * no call engine, no views computed.
 *
 *   node --import tsx bench/bare-node.ts [--deadline <epoch ms>]
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Server, type Socket } from 'socket.io';
import { systemClock, type TimerHandle } from '../server/clock';
import { LIMITS } from '../shared/wire';
import { argValue, countTraffic, profileArg, guardChild, recordingClock, send, serveBenchRequests } from './support';
import type { Transcript, TranscriptNode } from './support';

const deadline = Number(argValue(process.argv, 'deadline') ?? NaN);
guardChild(Number.isFinite(deadline) ? deadline : null);

let transcript: Transcript | null = null;
const { lateness, handling } = serveBenchRequests({
  profile: profileArg(process.argv, 'bare'),
  counts: () => ({ sockets: io.engine.clientsCount, lobby: null, calls: calls.size }),
  onTranscript: (t) => {
    transcript = t;
  },
  // Done when the HTTP server has closed (socket.io calls back from http's close).
  close: () => new Promise<void>((resolve) => void io.close(() => resolve())),
});
const clock = recordingClock(systemClock, lateness);

type Side = 'a' | 'b';
interface BareCall {
  readonly id: string;
  readonly room: string;
  readonly sockets: Record<Side, Socket>;
  readonly next: Record<Side, number>;
  readonly timers: Set<TimerHandle>;
  ended: boolean;
}
interface SeatData {
  call: BareCall | null;
  side: Side;
  hosting: string | null;
}

const http = createServer();
const io = new Server(http, { transports: ['websocket'], maxHttpBufferSize: LIMITS.socketBufferBytes, serveClient: false });
countTraffic(io.engine);
const calls = new Map<string, BareCall>();
const codes = new Map<string, Socket>();
let waiting: Socket | null = null;
const id = (): string => randomBytes(9).toString('base64url');
const seat = (socket: Socket): SeatData => socket.data as SeatData;

function startCall(a: Socket, b: Socket): void {
  if (transcript === null) return;
  const callId = id();
  const room = `call:${callId}`;
  const call: BareCall = { id: callId, room, sockets: { a, b }, next: { a: 0, b: 0 }, timers: new Set(), ended: false };
  calls.set(call.id, call);
  for (const side of ['a', 'b'] as const) {
    const s = call.sockets[side];
    seat(s).call = call;
    seat(s).side = side;
    void s.join(room);
    s.emit('call:started', { ...transcript.started, callId: call.id, you: side });
  }
}

function play(call: BareCall, node: TranscriptNode): void {
  if (call.ended) return;
  io.to(call.room).emit(node.event, { ...node.payload, callId: call.id });
  if (node.event === 'call:ended') return endCall(call);
  for (const child of node.children) {
    const timer = clock.setTimeout(() => {
      call.timers.delete(timer);
      play(call, child.node);
    }, child.delayMs);
    call.timers.add(timer);
  }
}

function endCall(call: BareCall): void {
  call.ended = true;
  for (const t of call.timers) clock.clearTimeout(t);
  call.timers.clear();
  calls.delete(call.id);
  for (const side of ['a', 'b'] as const) {
    const s = call.sockets[side];
    void s.leave(call.room);
    if (seat(s).call === call) seat(s).call = null;
  }
}

io.on('connection', (socket: Socket) => {
  socket.data = { call: null, side: 'a', hosting: null } satisfies SeatData;
  socket.onAny((event: string, payload: unknown) => {
    const started = performance.now();
    const body = (payload ?? {}) as Record<string, unknown>;
    const me = seat(socket);
    if (transcript === null) return;
    switch (event) {
      case 'hello':
        socket.emit('welcome', { ...transcript.welcome, playerId: id(), name: body.name ?? 'Player' });
        break;
      case 'queue:join':
        if (waiting !== null && waiting !== socket && waiting.connected) {
          const other = waiting;
          waiting = null;
          startCall(other, socket);
        } else {
          waiting = socket;
          socket.emit('queue:waiting', transcript.waiting);
        }
        break;
      case 'call:create': {
        const code = id().slice(0, 6).toUpperCase();
        codes.set(code, socket);
        me.hosting = code;
        socket.emit('call:created', { code, link: `/?join=${code}` });
        break;
      }
      case 'call:join': {
        const code = String(body.code ?? '');
        const host = codes.get(code);
        if (host === undefined) {
          socket.emit('error', { code: 'call/not-found', message: 'No call has that code.' });
          break;
        }
        codes.delete(code);
        seat(host).hosting = null;
        startCall(host, socket);
        break;
      }
      case 'call:action':
      case 'call:chat': {
        const call = me.call;
        const node = call === null ? undefined : transcript.requests[me.side][call.next[me.side]++];
        if (call === null || node === undefined) {
          socket.emit('error', { code: 'call/not-in-call', message: 'You are not in a call.', event });
          break;
        }
        play(call, node);
        break;
      }
      case 'call:leave':
        if (me.call !== null) {
          const call = me.call;
          io.to(call.room).emit('call:ended', { callId: call.id, summary: { outcome: 'hung-up' } });
          endCall(call);
        }
        break;
      default:
        socket.emit('error', { code: 'input/unknown-event', message: 'The server does not know that request.', event });
    }
    handling.push(performance.now() - started);
  });
  socket.on('disconnect', () => {
    if (waiting === socket) waiting = null;
    const me = seat(socket);
    if (me.hosting !== null) codes.delete(me.hosting);
    if (me.call !== null) endCall(me.call);
  });
});

http.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', port: (http.address() as AddressInfo).port });
});
