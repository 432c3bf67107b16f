/**
 * Benchmark: reference endpoint steps per second over whole calls (handshake, a message
 * each way, four-way close, TIME_WAIT), two endpoints wired back to back on one core.
 * Prints figures; asserts nothing. Goal: at least 1,000,000 steps/s.
 *
 *   npm run bench:protocol [-- --cycles 200000]
 */
import { createEndpoint, step } from '../shared/protocol';
import type { Endpoint, Input, Segment } from '../shared/protocol';

const cycles = Number(process.argv[process.argv.indexOf('--cycles') + 1]) || 100_000;
const rounds = 5;

function oneCall(iss: number): number {
  let a: Endpoint = createEndpoint({ iss, mslMs: 1_000 });
  let b: Endpoint = createEndpoint({ iss: iss ^ 0x5a5a5a5a, mslMs: 1_000 });
  let steps = 0;
  let now = 0;
  const toA: Segment[] = [];
  const toB: Segment[] = [];
  const feed = (side: 'a' | 'b', input: Input): void => {
    steps++;
    if (side === 'a') {
      const r = step(a, input, now);
      a = r.endpoint;
      for (const s of r.send) toB.push(s);
    } else {
      const r = step(b, input, now);
      b = r.endpoint;
      for (const s of r.send) toA.push(s);
    }
  };
  const flush = (): void => {
    while (toA.length > 0 || toB.length > 0) {
      now += 1;
      const sa = toA.shift();
      if (sa !== undefined) feed('a', { kind: 'receive', segment: sa });
      const sb = toB.shift();
      if (sb !== undefined) feed('b', { kind: 'receive', segment: sb });
    }
  };
  feed('b', { kind: 'listen' });
  feed('a', { kind: 'open' });
  flush();
  feed('a', { kind: 'send', data: 'can you hear me?' });
  feed('b', { kind: 'send', data: 'yes, loud and clear' });
  flush();
  feed('a', { kind: 'close' });
  flush();
  feed('b', { kind: 'close' });
  flush();
  now += 2_000;
  feed('a', { kind: 'tick' });
  if (a.state !== 'CLOSED' || b.state !== 'CLOSED') throw new Error(`call did not finish: ${a.state} / ${b.state}`);
  return steps;
}

const results: number[] = [];
let stepsPerCall = 0;
for (let round = 0; round < rounds; round++) {
  let steps = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < cycles; i++) steps += oneCall(i * 2_654_435_761);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  stepsPerCall = steps / cycles;
  results.push(steps / seconds);
}
results.sort((x, y) => x - y);
const median = results[Math.floor(results.length / 2)] ?? 0;
console.log(`protocol: ${cycles} whole calls per round, ${stepsPerCall} steps per call, ${rounds} rounds`);
console.log(`protocol: steps/s median ${Math.round(median).toLocaleString('en')} (min ${Math.round(results[0] ?? 0).toLocaleString('en')}, max ${Math.round(results.at(-1) ?? 0).toLocaleString('en')})`);
console.log(`protocol: goal 1,000,000 steps/s: ${median >= 1_000_000 ? 'met' : 'NOT met'}`);
