/**
 * Benchmark: the game server under many whole calls over loopback, against a bare
 * socket.io relay with the same message pattern. Prints figures; asserts nothing.
 * Goals, as ratios against the bare relay in the same run: server CPU per whole call at
 * most 1.10× the bare relay's, heap per player at most 1.3× bare's, and the 5-second
 * timers' p99 lateness at most the bare relay's own event-loop p99 + 10 ms; and at least
 * 10,000 concurrent players. It also reports the most players the server held while its
 * event-loop utilisation stayed under 0.8 (from a sample every second, ramp included,
 * so it is a lower bound). `--capacity` measures that edge properly, game server only:
 * players join `--step` at a time (each step in a client process of its own); after each
 * step's ramp and one call's length to settle, utilisation is averaged over `--hold`
 * seconds; it stops at the first step whose mean reaches 0.8, or at `--players`.
 *
 *   npm run bench:server [-- --players 2000 --duration 30 --rate 500 --spread 14
 *                            --clients 1 --mode queue|code --drain 40 --timeout 300 --no-bare
 *                            --rounds 1 --profile DIR]
 *   npm run bench:server -- --capacity [--players 30000 --step 2000 --hold 15]
 *
 * Each run has two phases, game then bare. In each, the server runs in its own child
 * process (bench/server-node.ts, bench/bare-node.ts) and the players in one or more
 * others (bench/client-node.ts), so client CPU is not counted as server work. The players'
 * processes run at the lowest CPU priority (nice 19): when both want a core, the server
 * under test gets it, as it would if the load came from other machines:
 *
 *   ramp     players connect gradually (`--rate` a second); pairs start their first call
 *            spread evenly over `--spread` seconds (default 14, about one call), so
 *            the calls are not all in step, then play call after call;
 *   window   `--duration` seconds once every player is connected: everything measured;
 *   drain    no new calls; the ones in progress finish (up to `--drain` seconds).
 *
 * A whole call on the `perfect` line takes about 14 s of real time (600 ms each way,
 * TIME_WAIT 10 s), so calls/s is about (players / 2) / 14 while the server keeps up.
 * A phase whose busiest client process was 90% busy or more says so: its players may have
 * sent in bursts, which makes the server's delays worse. (On 2 cores, two client processes
 * instead of one made the figures no steadier, in two runs of three rounds.)
 * The game server runs with the node flags of `npm start`. Both servers count what they
 * send (messages and characters per whole call), so the relay is seen to carry the same.
 * `--profile DIR` writes, for each server, a CPU profile and a sampled allocation profile
 * of the window alone (`game-window.cpuprofile`, `game-window.heapprofile`, and `bare-…`).
 * Every child is killed on exit, on errors, on Ctrl-C, and after the global timeout.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { benchChildren, ServerChild } from './children';
import { argNumber, argValue, machineCpu, summarize } from './support';
import type {
  ClientCommand,
  ClientConfig,
  ClientMessage,
  ClientProgress,
  ClientReport,
  LatenessReport,
  MatchMode,
  ServerMetrics,
  ServerReport,
  Summary,
  Transcript,
} from './support';

// ---------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
const players = Math.max(2, 2 * Math.round(argNumber(argv, 'players', 2_000) / 2));
const durationS = argNumber(argv, 'duration', 30);
const rate = argNumber(argv, 'rate', 500);
const clientProcs = Math.min(Math.round(argNumber(argv, 'clients', Math.max(1, Math.min(4, cpus().length - 1)))), players / 2);
const drainS = argNumber(argv, 'drain', 40);
/** About the length of one whole call: first calls start spread over this, so they are not in step. */
const spreadS = argValue(argv, 'spread') === '0' ? 0 : argNumber(argv, 'spread', 14);
const mode: MatchMode = argValue(argv, 'mode') === 'code' ? 'code' : 'queue';
const withBare = !argv.includes('--no-bare');
/** Game and bare phases, alternating, this many times; the goals are judged on the median round. */
const roundCount = Math.max(1, Math.round(argNumber(argv, 'rounds', 1)));
const capacityMode = argv.includes('--capacity');
const capacityStep = Math.max(2, 2 * Math.round(argNumber(argv, 'step', 2_000) / 2));
const holdS = argNumber(argv, 'hold', 15);
/** Write a V8 CPU profile of each server child's measured window into this folder. */
const profileDir = argValue(argv, 'profile');
const phaseS = Math.max(players / rate, spreadS) + durationS + drainS + 15;
const capacityS = Math.ceil(players / capacityStep) * (capacityStep / rate + spreadS + holdS + 10) + 30;
const timeoutS = argNumber(argv, 'timeout', Math.max(300, Math.ceil((capacityMode ? capacityS : (withBare ? 2 : 1) * roundCount * phaseS) * 1.3)));
const started = performance.now();
const deadline = Date.now() + timeoutS * 1000 + 15_000;

/**
 * The node flags `npm start` runs the server with (package.json), such as the size of V8's
 * young generation: the game server here runs as it does there. The bare relay runs on Node's defaults.
 */
const START_FLAGS = startFlags();

function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  const node = pkg.scripts.start.split('&&').map((part) => part.trim().split(/\s+/)).find((words) => words[0] === 'node') ?? [];
  // Every flag up to the script, but the loader (bench children load tsx themselves).
  const flags: string[] = [];
  for (let i = 1; i < node.length && node[i]!.startsWith('--'); i++) {
    if (node[i] === '--import') i++;
    else flags.push(node[i]!);
  }
  return flags;
}

/** A client process at least this busy (of a core) may send in bursts: the phase says so. */
const CLIENT_BUSY = 0.9;
const GOALS = { players: 10_000, cpuPerCall: 1.1, heapPerPlayer: 1.3, latenessOverLoopMs: 10, elu: 0.8 } as const;

// ---------------------------------------------------------------------------------------
// Children: every one is killed on the way out, whatever the way (bench/children.ts).

let stage = 'starting';
const { spawnChild, spawnLoad, stopChild, killAll } = benchChildren('server bench', timeoutS, () => stage);
const startServer = (file: string): Promise<ServerChild> =>
  ServerChild.start(spawnChild(file, ['--deadline', String(deadline), ...(profileDir === undefined ? [] : ['--profile', profileDir])], file === './server-node.ts' ? START_FLAGS : []));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const elapsed = (): string => `${Math.round((performance.now() - started) / 1000)}s`.padStart(4);

// ---------------------------------------------------------------------------------------
// One phase: a server, its players, ramp, window, drain

interface PhaseResult {
  readonly kind: 'game' | 'bare';
  readonly peakSockets: number;
  readonly peakConnected: number;
  readonly peakCalls: number;
  readonly connectedAtWindowEnd: number;
  readonly rampS: number;
  readonly windowS: number;
  readonly calls: number;
  readonly callsPerSec: number;
  readonly outcomes: Record<string, number>;
  readonly latency: Summary;
  readonly unmatched: number;
  readonly handling: Summary;
  readonly lateness: LatenessReport;
  readonly maxLatenessEver: number;
  readonly loopDelay: { p50: number; p99: number; max: number };
  readonly gc: { count: number; totalMs: number; p99: number; max: number };
  readonly rssBase: number;
  readonly rssEnd: number;
  readonly heapBase: number;
  readonly heapEnd: number;
  readonly serverCpu: number;
  /** Messages (one per receiving connection) and encoded characters the server sent per whole call in the window. */
  readonly sentPerCall: { readonly messages: number; readonly chars: number };
  readonly eluMean: number;
  readonly eluMax: number;
  /** The most sockets the server held while its event-loop utilisation (5-s mean) stayed under the goal. */
  readonly heldUnderElu: number;
  /** Did the 5-s mean utilisation ever reach the goal? */
  readonly eluReached: boolean;
  readonly clientCpuMax: number;
  /** During the window, in cores: the whole machine, the clients together, other processes. */
  readonly machineCores: number;
  readonly clientCores: number;
  readonly otherCores: number;
  /** ms per second the server's main thread was runnable but had no CPU. */
  readonly serverWaitPerS: number;
  readonly clientLoopP99: number;
  readonly errors: Record<string, number>;
  readonly disconnects: Record<string, number>;
  readonly connectFailures: number;
  readonly connectErrors: Record<string, number>;
  readonly stuck: number;
  readonly updatesPerCall: number;
  readonly callMsP50: number;
  readonly drainedS: number;
  readonly leftInCalls: number;
  readonly transcript: Transcript | null;
}

async function runPhase(kind: 'game' | 'bare', transcript: Transcript | null): Promise<PhaseResult> {
  const tag = `[${kind}]`;
  stage = `${kind}: starting the server`;
  const server = await startServer(kind === 'game' ? './server-node.ts' : './bare-node.ts');
  if (transcript !== null) await server.askWith({ type: 'transcript', transcript });
  // The baseline: an idle server after two rounds of garbage collection a second apart.
  await server.ask<ServerMetrics>('metrics', 10_000, { gc: true });
  await sleep(1_000);
  const base = await server.ask<ServerMetrics>('metrics', 10_000, { gc: true });
  console.log(`${elapsed()} ${tag} server on 127.0.0.1:${server.port}, RSS ${mb(base.rss)}`);

  // Players, split over the client processes.
  const pairs = players / 2;
  const progress = new Map<number, ClientProgress>();
  const reports = new Map<number, ClientReport>();
  const drained = new Set<number>();
  const clients: ChildProcess[] = [];
  for (let i = 0; i < clientProcs; i++) {
    const share = Math.floor(pairs / clientProcs) + (i < pairs % clientProcs ? 1 : 0);
    const child = spawnLoad('./client-node.ts');
    child.on('message', (m: ClientMessage) => {
      if (m.type === 'progress') progress.set(m.index, m);
      else if (m.type === 'report') reports.set(m.index, m);
      else if (m.type === 'drained') drained.add(m.index);
    });
    const config: ClientConfig = {
      url: `http://127.0.0.1:${server.port}`,
      index: i,
      pairs: share,
      rate: rate / clientProcs,
      mode,
      spreadMs: spreadS * 1000,
      capture: kind === 'game' && i === 0,
      callTimeoutMs: 90_000,
      deadline,
    };
    child.send({ type: 'start', config } satisfies ClientCommand);
    clients.push(child);
  }
  const tell = (cmd: ClientCommand): void => {
    for (const c of clients) if (c.connected) c.send(cmd);
  };

  // Sample the server every second for the whole phase.
  let peakSockets = 0;
  let peakCalls = 0;
  let windowOn = false;
  const windowElu: number[] = [];
  const clientCpu: number[] = [];
  // Every second of the phase: sockets held and utilisation, for the capacity figure.
  const load: { sockets: number; elu: number }[] = [];
  let lastPrint = 0;
  const sampler = setInterval(() => {
    void server
      .ask<ServerMetrics>('metrics', 5_000)
      .then((m) => {
        peakSockets = Math.max(peakSockets, m.sockets);
        peakCalls = Math.max(peakCalls, m.calls);
        if (stage === 'ramp' || stage === 'window') load.push({ sockets: m.sockets, elu: m.elu });
        const cl = [...progress.values()];
        const cCpu = cl.reduce((s, p) => Math.max(s, p.cpu), 0);
        if (windowOn) {
          windowElu.push(m.elu);
          clientCpu.push(cCpu);
        }
        if (performance.now() - lastPrint >= 5_000) {
          lastPrint = performance.now();
          const conn = cl.reduce((s, p) => s + p.connected, 0);
          console.log(
            `${elapsed()} ${tag} ${stage.padEnd(6)} players ${conn}/${players}, sockets ${m.sockets}, calls ${m.calls}, ` +
              `server cpu ${pct(m.cpu)} elu ${m.elu.toFixed(2)} rss ${mb(m.rss)}, client cpu ${pct(cCpu)}`,
          );
        }
      })
      .catch(() => undefined);
  }, 1_000);

  try {
    // Ramp: wait until every client has connected all its players.
    stage = 'ramp';
    const rampStart = performance.now();
    const rampLimit = Math.max((players / rate) * 2, spreadS) * 1000 + 30_000;
    while (![...Array(clientProcs).keys()].every((i) => progress.get(i)?.rampDone === true)) {
      if (performance.now() - rampStart > rampLimit) {
        console.log(`${elapsed()} ${tag} ramp not finished after ${Math.round(rampLimit / 1000)} s; measuring anyway`);
        break;
      }
      if (clients.some((c) => c.exitCode !== null)) throw new Error('a client process died during the ramp');
      await sleep(100);
    }
    const rampS = (performance.now() - rampStart) / 1000;
    console.log(`${elapsed()} ${tag} ramp done in ${rampS.toFixed(1)} s`);

    // Window.
    stage = 'window';
    await server.ask('reset');
    tell({ type: 'window', on: true });
    windowOn = true;
    const windowStart = performance.now();
    const machineAtStart = machineCpu();
    const selfAtStart = process.cpuUsage();
    await sleep(durationS * 1000);
    tell({ type: 'window', on: false });
    windowOn = false;
    const windowS = (performance.now() - windowStart) / 1000;
    const machineAtEnd = machineCpu();
    const self = process.cpuUsage(selfAtStart);
    const report = await server.ask<ServerReport>('report', 30_000);
    const endMetrics = await server.ask<ServerMetrics>('metrics', 30_000, { gc: true });
    const connectedAtWindowEnd = endMetrics.sockets;

    // Drain.
    stage = 'drain';
    const drainStart = performance.now();
    tell({ type: 'stop' });
    while (drained.size < clientProcs && performance.now() - drainStart < drainS * 1000) await sleep(100);
    const drainedS = (performance.now() - drainStart) / 1000;
    if (drained.size < clientProcs) console.log(`${elapsed()} ${tag} drain: calls still running after ${drainS} s`);

    // Reports.
    stage = 'report';
    tell({ type: 'report' });
    const reportStart = performance.now();
    while (reports.size < clientProcs && performance.now() - reportStart < 20_000) await sleep(50);
    const all = [...reports.values()];
    const leftInCalls = all.reduce((s, r) => s + r.inCall, 0);
    const latencies = all.flatMap((r) => r.latencies);
    const calls = all.reduce((s, r) => s + r.calls, 0);
    const merge = (pick: (r: ClientReport) => Record<string, number>): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const r of all) for (const [k, v] of Object.entries(pick(r))) out[k] = (out[k] ?? 0) + v;
      return out;
    };
    const weighted = (pick: (r: ClientReport) => Summary): number => {
      const n = all.reduce((s, r) => s + pick(r).count, 0);
      return n === 0 ? NaN : all.reduce((s, r) => s + (pick(r).count > 0 ? pick(r).mean * pick(r).count : 0), 0) / n;
    };
    const mean = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length);
    const windowMs = windowS * 1000;
    const clientCores = all.reduce((s, r) => s + r.cpuMs, 0) / windowMs;
    const machineCores = machineAtStart === null || machineAtEnd === null ? NaN : (machineAtEnd.busyMs - machineAtStart.busyMs) / windowMs;
    const selfCores = (self.user + self.system) / 1000 / windowMs;
    return {
      kind,
      peakSockets,
      peakConnected: all.reduce((s, r) => s + r.peak, 0),
      peakCalls,
      connectedAtWindowEnd,
      rampS,
      windowS,
      calls,
      callsPerSec: calls / windowS,
      outcomes: merge((r) => r.outcomes),
      latency: summarize(latencies),
      unmatched: all.reduce((s, r) => s + r.unmatched, 0),
      handling: report.handling,
      lateness: report.lateness,
      maxLatenessEver: report.maxLatenessEver,
      loopDelay: report.loopDelay,
      gc: report.gc,
      rssBase: base.rss,
      rssEnd: endMetrics.rss,
      heapBase: base.heapUsed,
      heapEnd: endMetrics.heapUsed,
      serverCpu: report.cpuMs / report.sinceResetMs,
      sentPerCall: { messages: calls === 0 ? NaN : report.sent.messages / calls, chars: calls === 0 ? NaN : report.sent.chars / calls },
      eluMean: mean(windowElu),
      eluMax: windowElu.length === 0 ? NaN : Math.max(...windowElu),
      ...capacity(load),
      clientCpuMax: clientCpu.length === 0 ? NaN : Math.max(...clientCpu),
      machineCores,
      clientCores,
      otherCores: Math.max(0, machineCores - report.cpuMs / report.sinceResetMs - clientCores - selfCores),
      serverWaitPerS: report.runQueueWaitMs === null ? NaN : report.runQueueWaitMs / (report.sinceResetMs / 1000),
      clientLoopP99: all.reduce((s, r) => Math.max(s, r.loopDelay.p99), 0),
      errors: merge((r) => r.errors),
      disconnects: merge((r) => r.disconnects),
      connectFailures: all.reduce((s, r) => s + r.connectFailures, 0),
      connectErrors: merge((r) => r.connectErrors),
      stuck: all.reduce((s, r) => s + r.stuck, 0),
      updatesPerCall: weighted((r) => r.updatesPerCall),
      callMsP50: summarize(all.flatMap((r) => (r.callMs.count > 0 ? [r.callMs.p50] : []))).p50,
      drainedS,
      leftInCalls,
      transcript: all.find((r) => r.transcript !== null)?.transcript ?? null,
    };
  } finally {
    clearInterval(sampler);
    stage = `${kind}: closing`;
    tell({ type: 'close' });
    await Promise.all(clients.map((c) => stopChild(c, 5_000)));
    await server.ask('close', 5_000).catch(() => undefined);
    await stopChild(server.proc, 5_000);
  }
}

/**
 * The most sockets held before the event loop's utilisation, averaged over 5 s, first
 * reached the goal (or the most held at all, if it never did).
 */
function capacity(load: readonly { sockets: number; elu: number }[]): { heldUnderElu: number; eluReached: boolean } {
  let held = 0;
  for (let i = 0; i < load.length; i++) {
    const last = load.slice(Math.max(0, i - 4), i + 1);
    if (last.length === 5 && last.reduce((s, x) => s + x.elu, 0) / 5 >= GOALS.elu) return { heldUnderElu: held, eluReached: true };
    held = Math.max(held, load[i]!.sockets);
  }
  return { heldUnderElu: held, eluReached: false };
}

// ---------------------------------------------------------------------------------------
// Printing

function fixed(v: number | null | undefined, digits: number): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}
function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MB`;
}
function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}
function ms(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : 'n/a';
}
function kv(m: Record<string, number>): string {
  const e = Object.entries(m);
  return e.length === 0 ? 'none' : e.map(([k, v]) => `${k} ${v}`).join(', ');
}
function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : 'n/a';
}
function rssPerPlayer(r: PhaseResult): number {
  return r.connectedAtWindowEnd > 0 ? (r.rssEnd - r.rssBase) / r.connectedAtWindowEnd : NaN;
}
function heapPerPlayer(r: PhaseResult): number {
  return r.connectedAtWindowEnd > 0 ? (r.heapEnd - r.heapBase) / r.connectedAtWindowEnd : NaN;
}

function printPhase(r: PhaseResult): void {
  const t = `  ${r.kind}:`;
  console.log(`${t} ramp ${r.rampS.toFixed(1)} s, window ${r.windowS.toFixed(1)} s, drain ${r.drainedS.toFixed(1)} s${r.leftInCalls > 0 ? ` (${r.leftInCalls} players still in calls)` : ''}`);
  console.log(`${t} peak sockets on the server ${r.peakSockets} (at window end ${r.connectedAtWindowEnd}); players greeted at once (clients) ${r.peakConnected}; calls at once ${r.peakCalls}`);
  console.log(`${t} whole calls ended in window ${r.calls} -> ${r.callsPerSec.toFixed(1)} calls/s; outcomes: ${kv(r.outcomes)}; call p50 ${(r.callMsP50 / 1000).toFixed(2)} s, ${r.updatesPerCall.toFixed(1)} updates per call`);
  console.log(`${t} sent per whole call: ${fixed(r.sentPerCall.messages, 1)} messages, ${fixed(r.sentPerCall.chars / 1024, 1)} K characters (every connection counted)`);
  console.log(`${t} request -> call:update: p50 ${ms(r.latency.p50)}, p90 ${ms(r.latency.p90)}, p99 ${ms(r.latency.p99)}, max ${ms(r.latency.max)} (${r.latency.count} requests, ${r.unmatched} unmatched)`);
  console.log(
    `${t} server handling per request: p50 ${ms(r.handling.p50)}, p99 ${ms(r.handling.p99)}, max ${ms(r.handling.max)}; event-loop delay p50 ${ms(r.loopDelay.p50)}, p99 ${ms(r.loopDelay.p99)}, max ${ms(r.loopDelay.max)}; ` +
      `GC pauses ${r.gc.count}, ${ms(r.gc.totalMs)} in all, p99 ${ms(r.gc.p99)}, max ${ms(r.gc.max)}`,
  );
  const L = r.lateness;
  console.log(
    `${t} timer lateness, >= 4 s timers: p50 ${ms(L.long.p50)}, p99 ${ms(L.long.p99)}, max ${ms(L.long.max)} (${L.firedLong} fired, ${L.scheduledLong} set in window), ` +
      `of it behind earlier timers of the same round: p99 ${ms(L.behind.p99)}, max ${ms(L.behind.max)}; ` +
      `all timers: p50 ${ms(L.all.p50)}, p99 ${ms(L.all.p99)}, max ${ms(L.all.max)} (${L.fired} fired, ${L.cleared} cleared); worst ever ${ms(r.maxLatenessEver)}`,
  );
  console.log(
    `${t} server cpu ${pct(r.serverCpu)} of a core (elu mean ${r.eluMean.toFixed(2)}, max ${r.eluMax.toFixed(2)}); RSS ${mb(r.rssBase)} -> ${mb(r.rssEnd)} ` +
      `(${(rssPerPlayer(r) / 1024).toFixed(1)} KiB per player), heap ${mb(r.heapBase)} -> ${mb(r.heapEnd)} (${(heapPerPlayer(r) / 1024).toFixed(1)} KiB per player), after GC; busiest client process cpu ${pct(r.clientCpuMax)}, its loop delay p99 ${ms(r.clientLoopP99)}`,
  );
  console.log(
    `${t} machine in window: ${r.machineCores.toFixed(2)} of ${cpus().length} cores busy = server ${r.serverCpu.toFixed(2)} + clients ${r.clientCores.toFixed(2)} + ` +
      `other processes ~${r.otherCores.toFixed(2)}; server main thread waited for a CPU ${Number.isFinite(r.serverWaitPerS) ? r.serverWaitPerS.toFixed(0) : 'n/a'} ms per s`,
  );
  console.log(`${t} errors: ${kv(r.errors)}; disconnects: ${kv(r.disconnects)}; connect failures ${r.connectFailures}${r.connectFailures > 0 ? ` (${kv(r.connectErrors)})` : ''}; stuck calls ${r.stuck}`);
  if (r.clientCpuMax >= CLIENT_BUSY) {
    console.log(`${t} note: a client process was ${pct(r.clientCpuMax)} busy, so the players' requests may have come in bursts, which makes the server's delays in this phase worse`);
  }
}

// ---------------------------------------------------------------------------------------
// Capacity: players join a step at a time until the event loop is busy 80% of the time

async function runCapacity(): Promise<void> {
  stage = 'capacity: starting the server';
  const server = await startServer('./server-node.ts');
  console.log(`${elapsed()} [capacity] server on 127.0.0.1:${server.port}; steps of ${capacityStep} players up to ${players}, each held ${holdS} s after ${spreadS} s to settle`);
  const clients: ChildProcess[] = [];
  const progress = new Map<number, ClientProgress>();
  const steps: { players: number; sockets: number; elu: number; cpu: number; clientCpu: number; otherCores: number }[] = [];
  try {
    for (let offered = capacityStep; offered <= players; offered += capacityStep) {
      const index = clients.length;
      const child = spawnLoad('./client-node.ts');
      child.on('message', (m: ClientMessage) => {
        if (m.type === 'progress') progress.set(m.index, m);
      });
      const config: ClientConfig = {
        url: `http://127.0.0.1:${server.port}`,
        index,
        pairs: capacityStep / 2,
        rate,
        mode,
        spreadMs: spreadS * 1000,
        capture: false,
        callTimeoutMs: 90_000,
        deadline,
      };
      child.send({ type: 'start', config } satisfies ClientCommand);
      clients.push(child);
      stage = `capacity: ramp to ${offered}`;
      const rampStart = performance.now();
      while (progress.get(index)?.rampDone !== true && performance.now() - rampStart < (capacityStep / rate) * 3_000 + 30_000) {
        if (child.exitCode !== null) throw new Error('a client process died during the ramp');
        await sleep(200);
      }
      stage = `capacity: settle at ${offered}`;
      await sleep(spreadS * 1000);
      stage = `capacity: hold at ${offered}`;
      await server.ask<ServerMetrics>('metrics');
      const machineStart = machineCpu();
      const holdStart = performance.now();
      const samples: ServerMetrics[] = [];
      const clientCpu: number[] = [];
      for (let i = 0; i < holdS; i++) {
        await sleep(1_000);
        samples.push(await server.ask<ServerMetrics>('metrics', 5_000));
        clientCpu.push([...progress.values()].reduce((s, p) => s + p.cpu, 0));
      }
      const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
      const machineEnd = machineCpu();
      const machineCores = machineStart === null || machineEnd === null ? NaN : (machineEnd.busyMs - machineStart.busyMs) / (performance.now() - holdStart);
      const step = {
        players: offered,
        sockets: Math.min(...samples.map((m) => m.sockets)),
        elu: mean(samples.map((m) => m.elu)),
        cpu: mean(samples.map((m) => m.cpu)),
        clientCpu: mean(clientCpu),
        otherCores: machineCores - mean(samples.map((m) => m.cpu)) - mean(clientCpu),
      };
      steps.push(step);
      console.log(
        `${elapsed()} [capacity] ${step.players} players offered, ${step.sockets} held: server elu ${step.elu.toFixed(2)}, cpu ${pct(step.cpu)} of a core; clients ${pct(step.clientCpu)}; other processes ~${step.otherCores.toFixed(2)} cores`,
      );
      if (step.elu >= GOALS.elu) break;
    }
  } finally {
    stage = 'capacity: closing';
    for (const c of clients) if (c.connected) c.send({ type: 'close' } satisfies ClientCommand);
    await Promise.all(clients.map((c) => stopChild(c, 5_000)));
    await server.ask('close', 5_000).catch(() => undefined);
    await stopChild(server.proc, 5_000);
  }
  const under = steps.filter((s) => s.elu < GOALS.elu);
  const edge = steps.find((s) => s.elu >= GOALS.elu);
  const best = under.at(-1);
  console.log('\nserver bench: capacity (game server)');
  console.log(
    `  players held with elu < ${GOALS.elu}    ${best?.sockets ?? 0}` +
      (edge === undefined ? ` (every step stayed under ${GOALS.elu}: raise --players)` : `; at ${edge.sockets} the mean was ${edge.elu.toFixed(2)}`) +
      `; clients and server share ${cpus().length} cores` +
      (steps.some((s) => s.otherCores > 0.15) ? '; other processes used the CPUs too, which counts as busy time for the server: rerun on a quiet machine to compare' : ''),
  );
  console.log(`RESULT capacity_players_elu_under_0.8=${best?.sockets ?? 0} edge_players=${edge?.sockets ?? 'n/a'} step=${capacityStep}`);
}

if (capacityMode) {
  await runCapacity();
  console.log(`  (${Math.round((performance.now() - started) / 1000)} s in all; this prints figures and asserts nothing)`);
  killAll();
  process.exit(0);
}

// ---------------------------------------------------------------------------------------
// Run

console.log(
  `server bench: ${players} players (${players / 2} pairs), ramp ${rate}/s, first calls spread over ${spreadS} s, window ${durationS} s, drain <= ${drainS} s, ` +
    `${clientProcs} client process(es), matching by ${mode}, line perfect; timeout ${timeoutS} s`,
);
console.log(`server bench: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
console.log(`server bench: the game server runs with the node flags of npm start: ${START_FLAGS.length === 0 ? 'none' : START_FLAGS.join(' ')}; the bare relay with none`);

interface Round {
  readonly game: PhaseResult;
  readonly bare: PhaseResult | null;
  /** Server CPU per whole call, game / bare. */
  readonly cpuRatio: number;
  readonly heapRatio: number;
  /** The game's 5-s timer lateness p99, and the goal it is held to (bare event-loop p99 + 10 ms). */
  readonly p99: number;
  readonly latenessLimit: number;
}

/** Server CPU (share of a core) per whole call per second: what one call costs. */
const cpuPerCall = (r: PhaseResult): number => r.serverCpu / r.callsPerSec;
const roundOf = (game: PhaseResult, bare: PhaseResult | null): Round => ({
  game,
  bare,
  cpuRatio: bare === null ? NaN : cpuPerCall(game) / cpuPerCall(bare),
  heapRatio: bare === null ? NaN : heapPerPlayer(game) / heapPerPlayer(bare),
  p99: game.lateness.long.p99 ?? NaN,
  latenessLimit: bare === null ? NaN : bare.loopDelay.p99 + GOALS.latenessOverLoopMs,
});

// Game then bare, `--rounds` times: the phases alternate, so a slow spell of the machine
// falls on both, and the goals are judged on the median of the rounds.
const rounds: Round[] = [];
let transcript: Transcript | null = null;
for (let r = 0; r < roundCount; r++) {
  if (roundCount > 1) console.log(`${elapsed()} round ${r + 1} of ${roundCount}`);
  const game = await runPhase('game', null);
  transcript ??= game.transcript;
  let bare: PhaseResult | null = null;
  if (withBare) {
    if (transcript === null) {
      console.log('server bench: no clean whole call was recorded in the game phase, so the bare relay cannot replay one; skipping it');
    } else {
      const t = transcript;
      console.log(`${elapsed()} [bare] replaying a recorded call: ${t.requests.a.length} + ${t.requests.b.length} requests, ${t.messages} room messages, ${t.bytes} bytes of JSON`);
      bare = await runPhase('bare', t);
    }
  }
  rounds.push(roundOf(game, bare));
}

stage = 'done';
console.log('\nserver bench: results');
for (const [i, round] of rounds.entries()) {
  if (roundCount > 1) {
    console.log(`  round ${i + 1}: CPU per call game/bare ${ratio(round.cpuRatio, 1)}, heap per player ${ratio(round.heapRatio, 1)}, 5-s timer p99 ${ms(round.p99)} (goal ${ms(round.latenessLimit)})`);
  }
  printPhase(round.game);
  if (round.bare !== null) printPhase(round.bare);
}

/** The median of the rounds' values (the lower middle one of an even count). */
const median = (xs: readonly number[]): number => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)] ?? NaN;
/** The round at the median of `pick` (NaN-safe: the first round if none matches). */
const medianRound = (pick: (r: Round) => number): Round => rounds.find((r) => Object.is(pick(r), median(rounds.map(pick)))) ?? rounds[0]!;
// The other figures of the summary are those of the round with the median CPU ratio.
const { game, bare } = medianRound((r) => r.cpuRatio);
const cpuRatio = median(rounds.map((r) => r.cpuRatio));
const heapRatio = median(rounds.map((r) => r.heapRatio));
/** Lateness is judged in the round at the median distance from its own goal. */
const lateness = medianRound((r) => r.p99 - r.latenessLimit);
const { p99, latenessLimit } = lateness;
/** `(rounds: 1.05, 1.25, 1.10; the median)` after a figure, when there were several rounds. */
const across = (pick: (r: Round) => string): string => (rounds.length > 1 ? ` (rounds: ${rounds.map(pick).join(', ')}; the median)` : '');

const goal = (ok: boolean): string => (ok ? 'met' : 'NOT met');
/** A goal on a figure that may be missing (no calls, no timers fired). */
const goalOn = (v: number, ok: (v: number) => boolean): string => (Number.isFinite(v) ? goal(ok(v)) : 'n/a');
const held = game.connectedAtWindowEnd;
const vsBare = (text: string): string => (bare === null ? 'n/a (no bare phase)' : text);
console.log('\nserver bench: summary (game server)');
console.log(`  concurrent players held      ${held} (peak ${game.peakSockets})      goal >= ${GOALS.players.toLocaleString('en')}: ${goal(held >= GOALS.players)}${players < GOALS.players ? ` (only ${players} offered; raise --players)` : ''}`);
console.log(
  `  players held with elu < ${GOALS.elu}    ${game.heldUnderElu}${game.eluReached ? ` (then the 5-s mean reached ${GOALS.elu})` : ` (elu stayed under ${GOALS.elu}: offer more players to find the edge)`}`,
);
console.log(`  whole calls per second       ${game.callsPerSec.toFixed(1)}${bare === null ? '' : ` (bare ${bare.callsPerSec.toFixed(1)})`}; game/bare ${ratio(game.callsPerSec, bare?.callsPerSec ?? NaN)}`);
console.log(`  server cpu in window         ${pct(game.serverCpu)} of a core${bare === null ? '' : ` (bare ${pct(bare.serverCpu)})`}`);
console.log(
  `  server CPU per call (game/bare) ${ratio(cpuRatio, 1)}${across((r) => ratio(r.cpuRatio, 1))}      goal <= ${GOALS.cpuPerCall.toFixed(2)}: ${vsBare(goalOn(cpuRatio, (r) => r <= GOALS.cpuPerCall))}`,
);
console.log(
  `  heap per player (game/bare)  ${ratio(heapRatio, 1)} (${(heapPerPlayer(game) / 1024).toFixed(1)} KiB${bare === null ? '' : ` vs ${(heapPerPlayer(bare) / 1024).toFixed(1)} KiB`})${across((r) => ratio(r.heapRatio, 1))}      goal <= ${GOALS.heapPerPlayer}: ${vsBare(goalOn(heapRatio, (r) => r <= GOALS.heapPerPlayer))}`,
);
console.log(
  `  5-s timer lateness p99       ${ms(p99)} (${lateness.game.lateness.firedLong} fired)${across((r) => `${ms(r.p99)} against ${ms(r.latenessLimit)}`)}      goal <= bare event-loop p99 + ${GOALS.latenessOverLoopMs} ms` +
    `${bare === null ? '' : ` = ${ms(latenessLimit)}`}: ${vsBare(Number.isFinite(p99) ? goalOn(latenessLimit, (limit) => p99 <= limit) : 'n/a (none fired)')}`,
);
console.log(`  event latency p50 / p99      ${ms(game.latency.p50)} / ${ms(game.latency.p99)}${bare === null ? '' : ` (bare ${ms(bare.latency.p50)} / ${ms(bare.latency.p99)}; game/bare ${ratio(game.latency.p50, bare.latency.p50)} / ${ratio(game.latency.p99, bare.latency.p99)})`}`);
console.log(`  event-loop delay p99         ${ms(game.loopDelay.p99)}${bare === null ? '' : ` (bare ${ms(bare.loopDelay.p99)})`}; GC ${ms(game.gc.totalMs)} in ${game.windowS.toFixed(0)} s${bare === null ? '' : ` (bare ${ms(bare.gc.totalMs)})`}`);
console.log(
  `  RSS per player               ${(rssPerPlayer(game) / 1024).toFixed(1)} KiB${bare === null ? '' : ` (bare ${(rssPerPlayer(bare) / 1024).toFixed(1)} KiB)`}${held < 1_000 ? '; RSS is mostly noise below ~1,000 players' : ''}`,
);
console.log(
  `RESULT players=${players} held=${held} held_elu_under_0.8=${game.heldUnderElu} calls_per_s=${game.callsPerSec.toFixed(1)} bare_calls_per_s=${bare?.callsPerSec.toFixed(1) ?? 'n/a'} ` +
    `cpu_per_call_ratio=${ratio(cpuRatio, 1)} heap_per_player_ratio=${ratio(heapRatio, 1)} timer5s_p99_ms=${fixed(p99, 1)} bare_loop_p99_ms=${fixed(bare?.loopDelay.p99, 1)} ` +
    `p50_ms=${fixed(game.latency.p50, 2)} p99_ms=${fixed(game.latency.p99, 1)} server_cpu=${game.serverCpu.toFixed(2)} other_cores=${game.otherCores.toFixed(2)}`,
);
const noisy = rounds.flatMap((r) => [r.game, ...(r.bare === null ? [] : [r.bare])]).filter((r) => r.otherCores > 0.15);
if (noisy.length > 0) {
  console.log(
    `  NOTE: other processes used the CPUs during ${noisy.map((r) => `${r.kind} (~${r.otherCores.toFixed(2)} cores, server waited ${r.serverWaitPerS.toFixed(0)} ms/s for a CPU)`).join(' and ')}; ` +
      'latency and lateness figures are inflated by that; rerun on a quiet machine to compare',
  );
}
console.log(`  (${Math.round((performance.now() - started) / 1000)} s in all; this prints figures and asserts nothing)`);
killAll();
process.exit(0);

