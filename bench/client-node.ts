/**
 * Scripted players for the server benchmark, in their own process (started by
 * bench/server.ts, so their CPU is not counted as server work). Each player is a real
 * socket.io-client on WebSocket. Pairs connect gradually, say hello, and play whole calls
 * on the `perfect` line from the wire contract, again and again until told to stop, each
 * call by the script in bench/script.ts, until `call:ended`.
 *
 * Measured: request -> the call:update it caused (the first update after the request
 * carrying a fresh segment from the requester's side), whole calls ended, peak
 * concurrency, errors.
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { Side } from '../shared/call';
import type { CallEnded, CallStarted, CallUpdate, ClientToServerEvents, ServerToClientEvents } from '../shared/wire';
import { newScript, scriptMoves } from './script';
import type { ScriptState } from './script';
import { buildTranscript, CpuMeter, guardChild, LoopDelay, Samples, schedstat, send } from './support';
import type { ClientCommand, ClientConfig, ClientProgress, ClientReport, Transcript } from './support';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

guardChild(null);

let config: ClientConfig | null = null;
let running = true;
let inWindow = false;
let windowStartedAt = 0;
let windowMs = 0;
const loop = new LoopDelay();
const meter = new CpuMeter();
let cpuAtWindow = process.cpuUsage();
let cpuInWindowMs = 0;
let schedAtWindow = schedstat();
let waitInWindowMs: number | null = null;

// Measurements (the window ones are reset when the window opens).
const latencies = new Samples();
const updatesPerCall = new Samples();
const callMs = new Samples();
let calls = 0;
let unmatched = 0;
let stuck = 0;
let callsEnded = 0;
const outcomes: Record<string, number> = {};
const errors: Record<string, number> = {};
const disconnects: Record<string, number> = {};
const connectErrors: Record<string, number> = {};
let connectFailures = 0;
let connected = 0;
let peak = 0;
let inCall = 0;
let rampDone = false;
const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

// One whole call recorded as side a saw it, for the bare relay.
let transcript: Transcript | null = null;
let firstWelcome: Record<string, unknown> | null = null;
let firstWaiting: Record<string, unknown> | null = null;
let anyoneRecording = false;

class Player {
  readonly socket: ClientSocket;
  side: Side | null = null;
  callId: string | null = null;
  private welcomed = false;
  private startedAt = 0;
  private updates = 0;
  private script: ScriptState = newScript();
  private awaiting: number[] = [];
  private watchdog: NodeJS.Timeout | null = null;
  private recording: { started: Record<string, unknown>; updates: Record<string, unknown>[] } | null = null;

  constructor(
    url: string,
    readonly name: string,
    private readonly pair: Pair,
  ) {
    this.socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 30_000 });
    this.socket.on('connect', () => {
      this.socket.emit('hello', { name, lang: 'en' });
    });
    this.socket.on('connect_error', (err) => {
      connectFailures++;
      const cause = (err as { description?: { message?: unknown; error?: { code?: unknown } } }).description;
      const detail = cause?.error?.code ?? cause?.message;
      bump(connectErrors, `${err.message}${typeof detail === 'string' ? ` ${detail}` : ''}`.slice(0, 80));
      pair.failed();
    });
    this.socket.on('disconnect', (reason) => {
      if (this.welcomed) connected--;
      this.welcomed = false;
      if (this.callId !== null) this.leftCall();
      if (running || reason !== 'io client disconnect') bump(disconnects, reason);
    });
    this.socket.on('welcome', (w) => {
      if (this.welcomed) return;
      this.welcomed = true;
      firstWelcome ??= { ...w };
      connected++;
      peak = Math.max(peak, connected);
      pair.welcomed();
    });
    this.socket.on('queue:waiting', (w) => {
      firstWaiting ??= { ...w };
      pair.waiting(this);
    });
    this.socket.on('call:created', (c) => pair.created(c.code));
    this.socket.on('call:started', (s) => this.started(s));
    this.socket.on('call:update', (u) => this.update(u));
    this.socket.on('call:ended', (e) => this.ended(e));
    this.socket.on('error', (e) => {
      bump(errors, e.code);
      if (this.awaiting.length > 0 && (e.event === 'call:action' || e.event === 'call:chat')) this.awaiting.shift();
    });
  }

  join(): void {
    if (config?.mode === 'code') return;
    this.socket.emit('queue:join', { line: 'perfect' });
  }

  private started(s: CallStarted): void {
    this.side = s.you;
    this.callId = s.callId;
    this.startedAt = performance.now();
    this.updates = 0;
    this.script = newScript();
    this.awaiting = [];
    inCall++;
    this.pair.startedCall(this);
    if (config !== null && config.capture && transcript === null && s.you === 'a' && this.recording === null && !anyoneRecording) {
      anyoneRecording = true;
      this.recording = { started: s as unknown as Record<string, unknown>, updates: [] };
    }
    this.watchdog = setTimeout(() => {
      stuck++;
      this.socket.emit('call:leave', {});
      this.leftCall();
      this.pair.ended(this);
    }, config?.callTimeoutMs ?? 60_000);
    if (s.you === 'a') this.request('call:action', { action: 'ask' });
  }

  private request(event: 'call:action' | 'call:chat', payload: { readonly action: 'ask' | 'answer' | 'goodbye' } | { readonly text: string }): void {
    this.awaiting.push(performance.now());
    (this.socket.emit as (e: string, p: unknown) => void)(event, payload);
  }

  private update(u: CallUpdate): void {
    const side = this.side;
    if (side === null || u.callId !== this.callId) return;
    this.updates++;
    this.recording?.updates.push(u as unknown as Record<string, unknown>);
    const at = this.awaiting[0];
    if (at !== undefined && u.events.some((e) => e.type === 'segment-sent' && e.from === side && !e.retransmit)) {
      this.awaiting.shift();
      if (inWindow) latencies.push(performance.now() - at);
    }
    for (const move of scriptMoves(side, this.script, u)) this.request(move.event, move.payload);
  }

  private ended(e: CallEnded): void {
    if (e.callId !== this.callId) return;
    const side = this.side;
    this.leftCall();
    callsEnded++;
    if (side === 'a') {
      if (inWindow) {
        calls++;
        bump(outcomes, e.summary.outcome);
        updatesPerCall.push(this.updates);
        callMs.push(performance.now() - this.startedAt);
      }
      if (this.recording !== null) {
        if (e.summary.outcome === 'polite' && firstWelcome !== null) {
          // Matching by code never waits in the queue: the bare relay then only needs the shape.
          const waiting = firstWaiting ?? { line: 'perfect', botOfferAfterMs: 15_000 };
          const t = buildTranscript(firstWelcome, waiting, this.recording.started, this.recording.updates, e as unknown as Record<string, unknown>);
          if (typeof t === 'string') console.error(`client ${config?.index}: transcript not usable: ${t}`);
          else transcript = t;
        }
        this.recording = null;
        anyoneRecording = false;
      }
    }
    this.pair.ended(this);
  }

  private leftCall(): void {
    if (this.callId === null) return;
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.watchdog = null;
    unmatched += this.awaiting.length;
    this.awaiting = [];
    this.callId = null;
    this.side = null;
    inCall--;
  }

  get busy(): boolean {
    return this.callId !== null;
  }
}

/** Two players who come in together and start playing together. */
class Pair {
  readonly a: Player;
  readonly b: Player;
  private hellos = 0;
  private bJoined = false;
  dead = false;

  constructor(
    url: string,
    n: number,
    private readonly startAt: number,
  ) {
    const prefix = `c${config?.index ?? 0}-${n}`;
    this.a = new Player(url, `${prefix}a`, this);
    this.b = new Player(url, `${prefix}b`, this);
  }

  failed(): void {
    if (!this.dead) deadPairs++;
    this.dead = true;
  }

  welcomed(): void {
    if (++this.hellos === 2) setTimeout(() => this.begin(), Math.max(0, this.startAt - performance.now()));
  }

  /** Join pairwise: A first, B once A is waiting (or already matched). */
  private begin(): void {
    began++;
    if (!running || this.dead) return;
    if (config?.mode === 'code') this.a.socket.emit('call:create', { line: 'perfect' });
    else this.a.join();
  }

  waiting(p: Player): void {
    if (p === this.a) this.joinB();
  }

  startedCall(p: Player): void {
    if (p === this.a) this.joinB();
  }

  private joinB(): void {
    if (this.bJoined || config?.mode === 'code') return;
    this.bJoined = true;
    this.b.join();
  }

  created(code: string): void {
    this.b.socket.emit('call:join', { code });
  }

  ended(p: Player): void {
    if (!running || this.dead) return;
    if (config?.mode === 'code') {
      if (!this.a.busy && !this.b.busy) this.a.socket.emit('call:create', { line: 'perfect' });
    } else {
      p.join();
    }
  }

  close(): void {
    this.a.socket.disconnect();
    this.b.socket.disconnect();
  }
}

const pairs: Pair[] = [];
let deadPairs = 0;
let began = 0;

function start(c: ClientConfig): void {
  config = c;
  guardChild(c.deadline);
  const t0 = performance.now();
  // Open connections gradually: `rate` a second, two per pair.
  const ramp = setInterval(() => {
    const due = Math.min(c.pairs, Math.floor((((performance.now() - t0) / 1000) * c.rate) / 2) + 1);
    while (pairs.length < due && running) pairs.push(new Pair(c.url, pairs.length, t0 + ((pairs.length + 0.5) / c.pairs) * c.spreadMs));
    if (pairs.length >= c.pairs || !running) {
      clearInterval(ramp);
      // Done once every pair is connected and has started playing (or failed to connect).
      const settle = setInterval(() => {
        if ((connected + 2 * deadPairs >= 2 * pairs.length && began + deadPairs >= pairs.length) || !running) {
          rampDone = true;
          clearInterval(settle);
        }
      }, 100);
    }
  }, 20);
  setInterval(() => {
    const { cpu, elu } = meter.sample();
    const progress: ClientProgress = { type: 'progress', index: c.index, connected, peak, rampDone, inCall, callsEnded, cpu, elu };
    send(progress);
  }, 1_000);
}

function report(): ClientReport {
  return {
    type: 'report',
    index: config?.index ?? 0,
    calls,
    outcomes,
    latencies: latencies.toArray(),
    unmatched,
    updatesPerCall: updatesPerCall.summary(),
    callMs: callMs.summary(),
    errors,
    connectFailures,
    connectErrors,
    disconnects,
    stuck,
    peak,
    inCall,
    windowMs,
    cpuMs: cpuInWindowMs,
    runQueueWaitMs: waitInWindowMs,
    loopDelay: loop.summary(),
    transcript,
  };
}

process.on('message', (cmd: ClientCommand) => {
  switch (cmd.type) {
    case 'start':
      return start(cmd.config);
    case 'window':
      if (cmd.on) {
        latencies.clear();
        updatesPerCall.clear();
        callMs.clear();
        calls = 0;
        unmatched = 0;
        stuck = 0;
        for (const k of Object.keys(outcomes)) delete outcomes[k];
        for (const k of Object.keys(errors)) delete errors[k];
        loop.reset();
        windowStartedAt = performance.now();
        cpuAtWindow = process.cpuUsage();
        schedAtWindow = schedstat();
        inWindow = true;
      } else {
        inWindow = false;
        windowMs = performance.now() - windowStartedAt;
        const cpu = process.cpuUsage(cpuAtWindow);
        cpuInWindowMs = (cpu.user + cpu.system) / 1000;
        const sched = schedstat();
        waitInWindowMs = sched === null || schedAtWindow === null ? null : sched.waitMs - schedAtWindow.waitMs;
      }
      return;
    case 'stop': {
      running = false;
      const check = setInterval(() => {
        if (inCall <= 0) {
          clearInterval(check);
          send({ type: 'drained', index: config?.index ?? 0, inCall });
        }
      }, 100);
      return;
    }
    case 'report':
      return send(report());
    case 'close':
      running = false;
      for (const p of pairs) p.close();
      setTimeout(() => process.exit(0), 200);
      return;
  }
});
