/**
 * Shared parts of the server benchmark (`bench/server.ts`): number summaries, the IPC
 * messages between the parent and its children, a timer-lateness recorder that wraps a
 * Clock, the IPC request handler both server children share, and the call transcript the
 * bare relay replays.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { afterTimerRound, inTimerRound, pollTimers, type Clock, type PolledClock, type TimerHandle } from '../server/clock';
import type { CallEvent } from '../shared/call';

// ---------------------------------------------------------------------------------------
// Numbers

export interface Summary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export const EMPTY_SUMMARY: Summary = { count: 0, mean: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN };

/** Nearest-rank percentile of sorted values. */
function rank(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export function summarize(values: ArrayLike<number>): Summary {
  if (values.length === 0) return EMPTY_SUMMARY;
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sum / sorted.length,
    p50: rank(sorted, 50),
    p90: rank(sorted, 90),
    p99: rank(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/** A growable list of samples (ms), cheap to push to and to ship over IPC. */
export class Samples {
  private data = new Float64Array(1024);
  private n = 0;

  push(v: number): void {
    if (this.n === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.n++] = v;
  }

  get length(): number {
    return this.n;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.n);
  }

  /** Rounded to 0.01 ms, as a plain array for IPC. */
  toArray(): number[] {
    return Array.from(this.values(), (v) => Math.round(v * 100) / 100);
  }

  summary(): Summary {
    return summarize(this.values());
  }

  clear(): void {
    this.n = 0;
  }
}

/** Event-loop delay (ms) since the last reset, from Node's own histogram. */
export class LoopDelay {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.h.enable();
  }

  reset(): void {
    this.h.reset();
  }

  /** The histogram holds whole intervals between its 10 ms ticks: the tick is taken off. */
  summary(): { p50: number; p99: number; max: number } {
    const ms = (ns: number): number => Math.max(0, ns / 1e6 - 10);
    return { p50: ms(this.h.percentile(50)), p99: ms(this.h.percentile(99)), max: ms(this.h.max) };
  }
}

/** Garbage-collection pauses of this process (ms), from Node's performance entries. */
export class GcPauses {
  readonly pauses = new Samples();

  constructor() {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.pauses.push(entry.duration);
    }).observe({ entryTypes: ['gc'] });
  }

  report(): { count: number; totalMs: number; p99: number; max: number } {
    const s = this.pauses.summary();
    return { count: s.count, totalMs: s.count === 0 ? 0 : s.mean * s.count, p99: s.p99, max: s.max };
  }
}

/** CPU used by this process between two calls, as a share of one core. */
export class CpuMeter {
  private last = process.cpuUsage();
  private lastAt = performance.now();
  private elu = performance.eventLoopUtilization();

  /** { cpu: share of one core, elu: event-loop utilisation 0..1 } since the previous call. */
  sample(): { cpu: number; elu: number } {
    const now = performance.now();
    const usage = process.cpuUsage(this.last);
    const elu = performance.eventLoopUtilization(this.elu);
    const wallUs = (now - this.lastAt) * 1000;
    this.last = process.cpuUsage();
    this.lastAt = now;
    this.elu = performance.eventLoopUtilization();
    return { cpu: wallUs > 0 ? (usage.user + usage.system) / wallUs : 0, elu: elu.utilization };
  }
}

/**
 * This process's main thread on Linux: ms spent running and ms spent runnable but waiting
 * for a CPU (another process had it), from /proc/self/schedstat; null elsewhere.
 */
export function schedstat(): { runMs: number; waitMs: number } | null {
  try {
    const [run, wait] = readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/).map(Number);
    return run === undefined || wait === undefined ? null : { runMs: run / 1e6, waitMs: wait / 1e6 };
  } catch {
    return null;
  }
}

/** Busy and total CPU time of the whole machine (ms, all cores), from /proc/stat; null elsewhere. */
export function machineCpu(): { busyMs: number; totalMs: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busyMs: (total - idle) * 10, totalMs: total * 10 };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// Timer lateness

/** Timers at least this long are the "long" ones: reply timeouts (5 s) and TIME_WAIT (10 s). */
export const LONG_TIMER_MS = 4_000;

export class LatenessRecorder {
  readonly long = new Samples();
  /** Of each long timer's lateness, the time it waited behind the timers fired before it in the same round. */
  readonly behind = new Samples();
  readonly all = new Samples();
  scheduled = 0;
  scheduledLong = 0;
  cleared = 0;
  fired = 0;
  firedLong = 0;

  reset(): void {
    this.long.clear();
    this.behind.clear();
    this.all.clear();
    this.scheduled = this.scheduledLong = this.cleared = this.fired = this.firedLong = 0;
  }

  report(): LatenessReport {
    return {
      long: this.long.summary(),
      behind: this.behind.summary(),
      all: this.all.summary(),
      scheduled: this.scheduled,
      scheduledLong: this.scheduledLong,
      cleared: this.cleared,
      fired: this.fired,
      firedLong: this.firedLong,
    };
  }
}

export interface LatenessReport {
  readonly long: Summary;
  readonly behind: Summary;
  readonly all: Summary;
  readonly scheduled: number;
  readonly scheduledLong: number;
  readonly cleared: number;
  readonly fired: number;
  readonly firedLong: number;
}

/**
 * A Clock that behaves like `base` and records, for every timer that fires, how late it
 * fired: actual fire time - (time it was set + ms), on `base.now()`; and for the long ones,
 * how much of that they waited behind the timers fired before them in the same round of
 * `base` (on a clock without rounds, such as Node's timers, each timer is a round of its own).
 */
export function recordingClock(base: Clock, rec: LatenessRecorder): PolledClock {
  let roundBegan: number | null = null;
  const roundOver = (): void => {
    roundBegan = null;
  };
  return {
    now: () => base.now(),
    setTimeout(fn: () => void, ms: number): TimerHandle {
      const due = base.now() + Math.max(0, ms);
      const long = ms >= LONG_TIMER_MS;
      rec.scheduled++;
      if (long) rec.scheduledLong++;
      return base.setTimeout(() => {
        const t = base.now();
        if (roundBegan === null) {
          roundBegan = t;
          afterTimerRound(base, roundOver);
        }
        const late = t - due;
        rec.fired++;
        rec.all.push(late);
        if (long) {
          rec.firedLong++;
          rec.long.push(late);
          rec.behind.push(t - (roundBegan ?? t));
        }
        fn();
      }, ms);
    },
    clearTimeout(handle: TimerHandle): void {
      rec.cleared++;
      base.clearTimeout(handle);
    },
    poll: () => pollTimers(base),
    afterRound: (fn) => afterTimerRound(base, fn),
    inRound: () => inTimerRound(base),
  };
}

// ---------------------------------------------------------------------------------------
// IPC between the parent and its children

/** Parent -> server child (game or bare). `id` is echoed in the answer. */
export type ServerRequest =
  | { readonly id: number; readonly type: 'metrics'; readonly gc?: boolean }
  | { readonly id: number; readonly type: 'reset' }
  | { readonly id: number; readonly type: 'report' }
  | { readonly id: number; readonly type: 'transcript'; readonly transcript: Transcript }
  | { readonly id: number; readonly type: 'close' };

export interface ServerMetrics {
  readonly rss: number;
  readonly heapUsed: number;
  /** Open socket.io connections (engine clients). */
  readonly sockets: number;
  /** `lobby.stats()` on the game server; null on the bare relay. */
  readonly lobby: { players: number; connected: number; waiting: number; calls: number; callsStarted: number } | null;
  /** Calls in progress on the bare relay. */
  readonly calls: number;
  /** Share of one core and event-loop utilisation since the previous metrics request. */
  readonly cpu: number;
  readonly elu: number;
}

export interface ServerReport {
  readonly lateness: LatenessReport;
  /** Time the server spent handling each request synchronously (ms), measured around its dispatcher. */
  readonly handling: Summary;
  readonly loopDelay: { p50: number; p99: number; max: number };
  /** CPU time (ms) used since the last reset. */
  readonly cpuMs: number;
  /** Since the last reset, ms the main thread was runnable but waiting for a CPU (Linux), else null. */
  readonly runQueueWaitMs: number | null;
  readonly sinceResetMs: number;
  /** Garbage-collection pauses since the last reset. */
  readonly gc: { count: number; totalMs: number; p99: number; max: number };
  /** Largest lateness of any timer since the server started (ms). */
  readonly maxLatenessEver: number;
  /** Messages the server sent since the last reset (one per receiving connection), and their encoded characters. */
  readonly sent: { readonly messages: number; readonly chars: number };
}

export type ServerMessage =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'answer'; readonly id: number; readonly body: unknown };

/** What only the server itself can tell for a metrics answer; the rest is measured the same for both. */
export type ServerCounts = Pick<ServerMetrics, 'sockets' | 'lobby' | 'calls'>;

/** The parts of a server child that differ between the game and the bare relay. */
export interface ServerParts {
  /** Read after the garbage collection (if asked for), memory and CPU have been measured. */
  readonly counts: () => ServerCounts;
  /** The recorded call to replay; a server that replays nothing can leave it out. */
  readonly onTranscript?: (transcript: Transcript) => void;
  /** Close the server; the answer is sent, and the process exits 50 ms later, once it settles. */
  readonly close: () => Promise<void>;
  /**
   * Profile the measured window (reset to report) into this folder: CPU as `<name>-window.cpuprofile`, and where
   * memory was allocated (sampled) as `<name>-window.heapprofile`; both open in Chrome's DevTools.
   */
  readonly profile?: { readonly dir: string; readonly name: string } | undefined;
}

/** What a server child records into: its clock's timer lateness and its request handling times. */
export interface ServerProbe {
  readonly lateness: LatenessRecorder;
  readonly handling: Samples;
}

/** Messages sent to clients, counted per connection as engine.io hands them to the transport. */
const traffic = { messages: 0, chars: 0 };

/** Count what a socket.io server sends (call once, after creating it). */
export function countTraffic(engine: { on(event: 'connection', listener: (socket: PacketSource) => void): unknown }): void {
  // One listener for every connection: counting adds nothing per player to the heap measured.
  engine.on('connection', (socket) => socket.on('packetCreate', countPacket));
}
interface Packet {
  readonly type: string;
  readonly data?: string | { readonly byteLength: number };
}
interface PacketSource {
  on(event: 'packetCreate', listener: (packet: Packet) => void): unknown;
}
function countPacket(packet: Packet): void {
  if (packet.type !== 'message') return;
  traffic.messages++;
  traffic.chars += typeof packet.data === 'string' ? packet.data.length : (packet.data?.byteLength ?? 0);
}

/** `--profile DIR` on a server child's command line: profile its window into DIR as `name`. */
export function profileArg(argv: readonly string[], name: string): { dir: string; name: string } | undefined {
  const dir = argValue(argv, 'profile');
  return dir === undefined ? undefined : { dir, name };
}

/**
 * Start measuring this server child and answer the parent's requests (metrics, reset,
 * report, transcript, close) over IPC. Call it before the server is made, so the server's
 * clock and request timing can record into the probe it returns; `parts` is only used
 * when a request comes in.
 */
export function serveBenchRequests(parts: ServerParts): ServerProbe {
  const lateness = new LatenessRecorder();
  const handling = new Samples();
  const loop = new LoopDelay();
  const meter = new CpuMeter();
  const gcPauses = new GcPauses();
  let maxLatenessEver = 0;
  let resetAt = performance.now();
  let cpuAtReset = process.cpuUsage();
  let schedAtReset = schedstat();
  // The window's CPU profile, taken in this process (the inspector's sampling profiler).
  const profiler = parts.profile === undefined ? null : new Session();
  profiler?.connect();
  const profiling = profiler?.post('Profiler.enable');
  // Where the garbage comes from: the sampling heap profiler, every 32 KiB allocated on average,
  // counting what was collected since as well as what is still alive.
  const sampling = { samplingInterval: 32_768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
  const startProfile = (): Promise<unknown> | undefined =>
    profiling?.then(() => Promise.all([profiler?.post('Profiler.start'), profiler?.post('HeapProfiler.startSampling', sampling)]));
  const stopProfile = async (): Promise<void> => {
    if (profiler === null || parts.profile === undefined) return;
    const { profile } = await profiler.post('Profiler.stop');
    const { profile: heap } = await profiler.post('HeapProfiler.stopSampling');
    mkdirSync(parts.profile.dir, { recursive: true });
    writeFileSync(join(parts.profile.dir, `${parts.profile.name}-window.cpuprofile`), JSON.stringify(profile));
    writeFileSync(join(parts.profile.dir, `${parts.profile.name}-window.heapprofile`), JSON.stringify(heap));
  };

  process.on('message', (raw: ServerRequest) => {
    const answer = (body: unknown): void => send({ type: 'answer', id: raw.id, body });
    switch (raw.type) {
      case 'metrics': {
        if (raw.gc === true) collectGarbage();
        const mem = process.memoryUsage();
        const { cpu, elu } = meter.sample();
        const metrics: ServerMetrics = { rss: mem.rss, heapUsed: mem.heapUsed, ...parts.counts(), cpu, elu };
        return answer(metrics);
      }
      case 'reset': {
        maxLatenessEver = Math.max(maxLatenessEver, lateness.all.summary().max || 0);
        lateness.reset();
        handling.clear();
        gcPauses.pauses.clear();
        loop.reset();
        resetAt = performance.now();
        cpuAtReset = process.cpuUsage();
        schedAtReset = schedstat();
        traffic.messages = traffic.chars = 0;
        return void (startProfile() ?? Promise.resolve()).then(() => answer(null));
      }
      case 'report': {
        const cpu = process.cpuUsage(cpuAtReset);
        const sched = schedstat();
        const report: ServerReport = {
          runQueueWaitMs: sched === null || schedAtReset === null ? null : sched.waitMs - schedAtReset.waitMs,
          lateness: lateness.report(),
          handling: handling.summary(),
          gc: gcPauses.report(),
          loopDelay: loop.summary(),
          cpuMs: (cpu.user + cpu.system) / 1000,
          sinceResetMs: performance.now() - resetAt,
          maxLatenessEver: Math.max(maxLatenessEver, lateness.all.summary().max || 0),
          sent: { ...traffic },
        };
        return void stopProfile().then(() => answer(report));
      }
      case 'transcript':
        parts.onTranscript?.(raw.transcript);
        return answer(null);
      case 'close': {
        setTimeout(() => process.exit(0), 3_000).unref();
        void parts.close().finally(() => {
          answer(null);
          setTimeout(() => process.exit(0), 50);
        });
        return;
      }
    }
  });

  return { lateness, handling };
}

export type MatchMode = 'queue' | 'code';

export interface ClientConfig {
  readonly url: string;
  readonly index: number;
  readonly pairs: number;
  /** New connections a second for this process. */
  readonly rate: number;
  readonly mode: MatchMode;
  /** Record one whole call as seen by side a, for the bare relay. */
  readonly capture: boolean;
  /**
   * Pair n of this process starts its first call at (n + 0.5) / pairs of this span after
   * the ramp began (or as soon as it is connected, if later), so calls are not in step.
   */
  readonly spreadMs: number;
  /** A call not ended after this long is counted stuck and left. */
  readonly callTimeoutMs: number;
  /** Epoch ms after which the process exits whatever happens. */
  readonly deadline: number;
}

export type ClientCommand =
  | { readonly type: 'start'; readonly config: ClientConfig }
  | { readonly type: 'window'; readonly on: boolean }
  | { readonly type: 'stop' }
  | { readonly type: 'report' }
  | { readonly type: 'close' };

export interface ClientProgress {
  readonly type: 'progress';
  readonly index: number;
  /** Sockets connected and greeted right now, and the most at once. */
  readonly connected: number;
  readonly peak: number;
  readonly rampDone: boolean;
  readonly inCall: number;
  readonly callsEnded: number;
  readonly cpu: number;
  readonly elu: number;
}

export interface ClientReport {
  readonly type: 'report';
  readonly index: number;
  /** Whole calls that ended inside the window, counted once (by side a). */
  readonly calls: number;
  readonly outcomes: Record<string, number>;
  /** Request -> call:update latencies inside the window (ms). */
  readonly latencies: number[];
  /** Unmatched requests (no caused call:update seen). */
  readonly unmatched: number;
  /** call:update messages a side-a player received per whole call. */
  readonly updatesPerCall: Summary;
  readonly callMs: Summary;
  readonly errors: Record<string, number>;
  readonly connectFailures: number;
  readonly connectErrors: Record<string, number>;
  readonly disconnects: Record<string, number>;
  readonly stuck: number;
  readonly peak: number;
  /** Players still in a call when the report was asked for. */
  readonly inCall: number;
  readonly windowMs: number;
  /** CPU time (ms) used during the window, and main-thread run-queue wait (Linux). */
  readonly cpuMs: number;
  readonly runQueueWaitMs: number | null;
  readonly loopDelay: { p50: number; p99: number; max: number };
  readonly transcript: Transcript | null;
}

export type ClientMessage = ClientProgress | ClientReport | { readonly type: 'drained'; readonly index: number; readonly inCall: number };

// ---------------------------------------------------------------------------------------
// The transcript of one whole call, replayed by the bare relay

/** One message to the call's room and what follows it by itself (after `delayMs`). */
export interface TranscriptNode {
  readonly event: 'call:update' | 'call:ended';
  readonly payload: Record<string, unknown>;
  readonly children: { readonly delayMs: number; readonly node: TranscriptNode }[];
}

export interface Transcript {
  readonly welcome: Record<string, unknown>;
  readonly waiting: Record<string, unknown>;
  /** As sent to side a; side b's copy differs only in `you`. */
  readonly started: Record<string, unknown>;
  /** The k-th call request of a side is answered by `requests[side][k]` and its follow-ups. */
  readonly requests: { readonly a: TranscriptNode[]; readonly b: TranscriptNode[] };
  readonly messages: number;
  readonly bytes: number;
}

interface UpdateLike {
  readonly time: number;
  readonly events: readonly CallEvent[];
}

/**
 * Build a transcript from everything side a's player received during one call (every
 * call:update goes to the whole call room, so one side sees them all). An update without
 * an arrival but with a fresh segment from a side is that side's request being handled;
 * any other update follows, after the same call-time delay, the update that sent the
 * segment it reports arriving (or else the update before it).
 */
export function buildTranscript(
  welcome: Record<string, unknown>,
  waiting: Record<string, unknown>,
  started: Record<string, unknown>,
  updates: readonly Record<string, unknown>[],
  ended: Record<string, unknown>,
): Transcript | string {
  const nodes: TranscriptNode[] = updates.map((payload) => ({ event: 'call:update', payload, children: [] }));
  const sentIn = new Map<number, number>();
  const requests: { a: TranscriptNode[]; b: TranscriptNode[] } = { a: [], b: [] };
  for (let i = 0; i < updates.length; i++) {
    const u = updates[i] as unknown as UpdateLike;
    const node = nodes[i]!;
    const arrived = u.events.flatMap((e) => (e.type === 'segment-arrived' ? [e.id] : []));
    const sent = u.events.flatMap((e) => (e.type === 'segment-sent' && !e.retransmit ? [e] : []));
    const first = sent[0];
    if (arrived.length === 0 && first !== undefined) {
      requests[first.from].push(node);
    } else {
      const parent = arrived.map((id) => sentIn.get(id)).find((x) => x !== undefined) ?? i - 1;
      const p = nodes[parent];
      const pu = updates[parent] as unknown as UpdateLike | undefined;
      if (p === undefined || pu === undefined) return `update ${i} follows nothing`;
      p.children.push({ delayMs: Math.max(0, u.time - pu.time), node });
    }
    for (const s of sent) sentIn.set(s.id, i);
  }
  const last = nodes.at(-1);
  if (last === undefined) return 'no updates';
  last.children.push({ delayMs: 0, node: { event: 'call:ended', payload: ended, children: [] } });
  if (requests.a.length === 0 || requests.b.length === 0) return 'no requests from one side';
  const bytes = [...updates, ended].reduce((n, p) => n + JSON.stringify(p).length, 0);
  return { welcome, waiting, started, requests, messages: updates.length + 1, bytes };
}

// ---------------------------------------------------------------------------------------
// Small helpers

export function argValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

export function argNumber(argv: readonly string[], name: string, fallback: number): number {
  const raw = argValue(argv, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
  return n;
}

/** Exit when the parent goes away or the deadline passes, so no child outlives a run. */
export function guardChild(deadline: number | null): void {
  process.on('disconnect', () => process.exit(0));
  if (deadline !== null) setTimeout(() => process.exit(3), Math.max(0, deadline - Date.now())).unref();
}

/** Collect garbage first if the process runs with --expose-gc, so heap and RSS are comparable. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
}

export function send(message: unknown): void {
  if (process.connected && process.send !== undefined) process.send(message);
}
