/**
 * Benchmark: the call runner alone. Thousands of calls at once, played by the server
 * benchmark's script (bench/script.ts) straight on `CallRunner`s, on a clock the benchmark
 * moves on 1 ms at a time: no sockets, no JSON, so the figures are the game's own work
 * per call update. Prints figures; asserts nothing.
 *
 *   npm run bench:runner [-- --calls 3000]
 *
 * - time per update: wall time over the updates made in 60 s of call time;
 * - allocated per update: bytes allocated over 10 s of call time (V8's sampling heap profiler,
 *   counting what was collected since as well);
 * - kept per update: bytes allocated in a 0.4 s stretch of call time and still alive at its
 *   end, per update made in it. That is what a young-generation collection would have to
 *   copy: in a call, most of what a step makes lives until the call's next step.
 */
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { CallRunner } from '../server/runner';
import { createTimerWheel } from '../server/timers';
import type { Side } from '../shared/call';
import type { CallUpdate } from '../shared/wire';
import { argValue } from './support';
import { newScript, scriptMoves } from './script';
import type { ScriptMove, ScriptState } from './script';

const calls = Number(argValue(process.argv, 'calls') ?? 3_000);
const STEP_MS = 1;

let now = 0;
const clock = createTimerWheel({ now: () => now });
interface Playing {
  readonly runner: CallRunner;
  readonly script: Record<Side, ScriptState>;
}
const playing = new Map<string, Playing>();
/** Requests wait here until the runner has finished the step that led to them. */
const requests: (() => void)[] = [];
let updates = 0;
let started = 0;
let ended = 0;

const send = (runner: CallRunner, side: Side, move: ScriptMove): void => {
  if (move.event === 'call:chat') runner.chat(side, move.payload.text);
  else runner.act(side, move.payload.action);
};
const outbox = {
  toPlayer(): void {},
  toCall(callId: string, event: string, payload: unknown): void {
    if (event !== 'call:update') return;
    updates++;
    const call = playing.get(callId);
    if (call === undefined) return;
    for (const side of ['a', 'b'] as const) {
      for (const move of scriptMoves(side, call.script[side], payload as CallUpdate)) requests.push(() => send(call.runner, side, move));
    }
  },
};

function startCall(): void {
  const n = started++;
  const id = `call-${n}`;
  const runner = new CallRunner({
    id,
    players: { a: { playerId: `a-${n}`, name: 'A', bot: false }, b: { playerId: `b-${n}`, name: 'B', bot: false } },
    line: 'perfect',
    seed: n,
    iss: { a: Math.imul(n, 2_654_435_761) >>> 0, b: Math.imul(n ^ 0x5a5a5a5a, 40_503) >>> 0 },
    clock,
    outbox,
    onEnd: () => {
      ended++;
      playing.delete(id);
      // Another call takes its place at once.
      requests.push(startCall);
    },
  });
  playing.set(id, { runner, script: { a: newScript(), b: newScript() } });
  runner.start();
  requests.push(() => runner.act('a', 'ask'));
}

/** Move the clock on by `ms`, 1 ms at a time, firing timers and answering as players would. */
function play(ms: number): void {
  for (let t = 0; t < ms; t += STEP_MS) {
    now += STEP_MS;
    clock.poll();
    for (let i = 0; i < requests.length; i++) requests[i]!();
    requests.length = 0;
  }
}

// The calls start over the first 15 s (so they are at every stage of a call), then 30 s
// more to settle.
const perStep = calls / (15_000 / STEP_MS);
for (let t = 0, due = 0; t < 15_000; t += STEP_MS) {
  for (due += perStep; due >= 1; due--) startCall();
  play(STEP_MS);
}
play(30_000);

/** A node of a sampled heap profile: bytes allocated here, and below. */
interface Node {
  readonly selfSize: number;
  readonly children: readonly Node[];
}

const session = new Session();
session.connect();
const collect = (): Promise<void> => session.post('HeapProfiler.collectGarbage');
const sampled = (profile: { head: Node }): number => {
  let total = 0;
  const walk = (n: Node): void => {
    total += n.selfSize;
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  return total;
};

await collect();
let u0 = updates;
const e0 = ended;
const t0 = performance.now();
play(60_000);
const usPerUpdate = ((performance.now() - t0) * 1000) / (updates - u0);
const updatesPerCall = (updates - u0) / (ended - e0);

await collect();
u0 = updates;
await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
play(10_000);
const allocated = sampled((await session.post('HeapProfiler.stopSampling')).profile) / (updates - u0);

const kept: number[] = [];
for (let i = 0; i < 5; i++) {
  await collect();
  u0 = updates;
  await session.post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMajorGC: false, includeObjectsCollectedByMinorGC: false });
  play(400);
  await collect();
  kept.push(sampled((await session.post('HeapProfiler.stopSampling')).profile) / (updates - u0));
}
kept.sort((x, y) => x - y);

console.log(`runner bench: ${calls.toLocaleString('en')} calls at once on the perfect line, ${updatesPerCall.toFixed(1)} updates per call`);
console.log(`  time per update              ${usPerUpdate.toFixed(1)} µs`);
console.log(`  allocated per update         ${(allocated / 1024).toFixed(2)} KB`);
console.log(`  kept per update              ${(kept[2]! / 1024).toFixed(2)} KB (the median of 5 stretches of 0.4 s; ${kept.map((k) => (k / 1024).toFixed(2)).join(', ')})`);
console.log(`RESULT calls=${calls} us_per_update=${usPerUpdate.toFixed(2)} allocated_bytes_per_update=${Math.round(allocated)} kept_bytes_per_update=${Math.round(kept[2]!)}`);
session.disconnect();
// The clock's one native timer may still be armed for a call's time limit.
process.exit(0);
