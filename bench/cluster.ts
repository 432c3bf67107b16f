/**
 * Benchmark: the same load on one game server, then on two servers and a Redis acting as
 * one game (REDIS_URL mode, server/cluster.ts), all on this machine. Prints figures;
 * asserts nothing.
 *
 *   npm run bench:cluster [-- --players 4000 --duration 20 --rate 400 --spread 14 --drain 30]
 *
 * Each phase: the servers (bench/server-node.ts, in a cluster with --redis) and two load
 * generators (bench/client-node.ts; in the cluster, one per server, so that quick match
 * pairs players across servers), a ramp, a measured window, a drain. Reported per phase:
 * players held, whole calls per second, request -> call:update latency p50/p99, the
 * servers' 5-second timer lateness p99 (the worst server), their CPU, and in the cluster
 * the Redis commands per whole call. The machine's 2 cores carry the servers, the load
 * generators and Redis together: expect no gain from a second server here, only its cost.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../test/support/redis';
import { benchChildren, ServerChild } from './children';
import { argNumber, summarize } from './support';
import type { ClientCommand, ClientConfig, ClientMessage, ClientProgress, ClientReport, ServerMetrics, ServerReport } from './support';

const argv = process.argv.slice(2);
const players = Math.max(4, 4 * Math.round(argNumber(argv, 'players', 4_000) / 4));
const durationS = argNumber(argv, 'duration', 20);
const rate = argNumber(argv, 'rate', 400);
const spreadS = argNumber(argv, 'spread', 14);
const drainS = argNumber(argv, 'drain', 30);
const CLIENTS = 2;
const phaseS = Math.max(players / rate, spreadS) + durationS + drainS + 20;
const timeoutS = argNumber(argv, 'timeout', Math.ceil(2 * phaseS * 1.5) + 30);
const deadline = Date.now() + timeoutS * 1000 + 15_000;
const started = performance.now();

let stage = 'starting';
const { spawnChild, spawnLoad, stopChild, killAll } = benchChildren('cluster bench', timeoutS, () => stage);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const elapsed = (): string => `${Math.round((performance.now() - started) / 1000)}s`.padStart(4);

interface PhaseResult {
  readonly label: string;
  readonly held: number;
  readonly callsPerSec: number;
  readonly latency: ReturnType<typeof summarize>;
  readonly latenessP99: number;
  readonly serverCpu: number;
  readonly redisOpsPerCall: number | null;
  readonly errors: Record<string, number>;
  readonly stuck: number;
}

async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function runPhase(label: string, nodes: number, redis: RedisServer | null): Promise<PhaseResult> {
  stage = `${label}: starting`;
  const servers: ServerChild[] = [];
  for (let i = 0; i < nodes; i++) {
    const args = ['--deadline', String(deadline), ...(redis === null ? [] : ['--redis', redis.url, '--node-id', `bench-${i + 1}`])];
    servers.push(await ServerChild.start(spawnChild('./server-node.ts', args)));
  }
  const progress = new Map<number, ClientProgress>();
  const reports = new Map<number, ClientReport>();
  const drained = new Set<number>();
  const clients = Array.from({ length: CLIENTS }, (_, index) => {
    const child = spawnLoad('./client-node.ts');
    child.on('message', (m: ClientMessage) => {
      if (m.type === 'progress') progress.set(m.index, m);
      else if (m.type === 'report') reports.set(m.index, m);
      else drained.add(m.index);
    });
    const config: ClientConfig = {
      url: `http://127.0.0.1:${servers[index % nodes]!.port}`,
      index,
      pairs: players / 2 / CLIENTS,
      rate: rate / CLIENTS,
      mode: 'queue',
      spreadMs: spreadS * 1000,
      capture: false,
      callTimeoutMs: 90_000,
      deadline,
    };
    child.send({ type: 'start', config } satisfies ClientCommand);
    return child;
  });
  const tell = (cmd: ClientCommand): void => {
    for (const c of clients) if (c.connected) c.send(cmd);
  };
  const counter = redis === null ? null : new Redis(redis.url);
  try {
    stage = `${label}: ramp`;
    const rampStart = performance.now();
    while (![...Array(CLIENTS).keys()].every((i) => progress.get(i)?.rampDone === true)) {
      if (performance.now() - rampStart > ((players / rate) * 3 + spreadS + 30) * 1000) break;
      await sleep(200);
    }
    console.log(`${elapsed()} [${label}] ramp done in ${((performance.now() - rampStart) / 1000).toFixed(1)} s`);

    stage = `${label}: window`;
    await Promise.all(servers.map((s) => s.ask('reset')));
    const opsBefore = counter === null ? 0 : await commandsProcessed(counter);
    tell({ type: 'window', on: true });
    const windowStart = performance.now();
    await sleep(durationS * 1000);
    tell({ type: 'window', on: false });
    const windowS = (performance.now() - windowStart) / 1000;
    const opsAfter = counter === null ? 0 : await commandsProcessed(counter);
    const serverReports = await Promise.all(servers.map((s) => s.ask<ServerReport>('report', 30_000)));
    const metrics = await Promise.all(servers.map((s) => s.ask<ServerMetrics>('metrics', 30_000)));

    stage = `${label}: drain`;
    tell({ type: 'stop' });
    const drainStart = performance.now();
    while (drained.size < CLIENTS && performance.now() - drainStart < drainS * 1000) await sleep(100);
    tell({ type: 'report' });
    const reportStart = performance.now();
    while (reports.size < CLIENTS && performance.now() - reportStart < 20_000) await sleep(50);
    const all = [...reports.values()];
    const calls = all.reduce((n, r) => n + r.calls, 0);
    const errors: Record<string, number> = {};
    for (const r of all) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    return {
      label,
      held: metrics.reduce((n, m) => n + m.sockets, 0),
      callsPerSec: calls / windowS,
      latency: summarize(all.flatMap((r) => r.latencies)),
      latenessP99: Math.max(...serverReports.map((r) => r.lateness.long.p99 ?? NaN)),
      serverCpu: serverReports.reduce((n, r) => n + r.cpuMs / r.sinceResetMs, 0),
      redisOpsPerCall: counter === null || calls === 0 ? null : (opsAfter - opsBefore) / calls,
      errors,
      stuck: all.reduce((n, r) => n + r.stuck, 0),
    };
  } finally {
    stage = `${label}: closing`;
    counter?.disconnect();
    tell({ type: 'close' });
    await Promise.all(clients.map((c) => stopChild(c, 5_000)));
    await Promise.all(servers.map((s) => s.ask('close', 5_000).catch(() => undefined)));
    await Promise.all(servers.map((s) => stopChild(s.proc, 5_000)));
  }
}

const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : 'n/a');

console.log(`cluster bench: ${players} players, ramp ${rate}/s, window ${durationS} s; one server, then two servers and a Redis`);
const single = await runPhase('one server', 1, null);
const redis = await startRedis();
let cluster: PhaseResult;
try {
  cluster = await runPhase('two servers + Redis', 2, redis);
} finally {
  await redis.stop();
}
stage = 'done';
console.log('\ncluster bench: results');
console.log(`  ${''.padEnd(30)}${single.label.padEnd(22)}${cluster.label}`);
const row = (name: string, f: (r: PhaseResult) => string): void => console.log(`  ${name.padEnd(30)}${f(single).padEnd(22)}${f(cluster)}`);
row('players held', (r) => String(r.held));
row('whole calls per second', (r) => r.callsPerSec.toFixed(1));
row('event latency p50 / p99', (r) => `${ms(r.latency.p50)} / ${ms(r.latency.p99)}`);
row('5-s timer lateness p99', (r) => ms(r.latenessP99));
row('servers cpu (cores)', (r) => r.serverCpu.toFixed(2));
row('Redis commands per call', (r) => (r.redisOpsPerCall === null ? '-' : r.redisOpsPerCall.toFixed(1)));
row('errors / stuck calls', (r) => `${Object.entries(r.errors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'} / ${r.stuck}`);
console.log(
  `RESULT players=${players} single_cps=${single.callsPerSec.toFixed(1)} cluster_cps=${cluster.callsPerSec.toFixed(1)} single_p99_ms=${single.latency.p99.toFixed(1)} cluster_p99_ms=${cluster.latency.p99.toFixed(1)} ` +
    `redis_ops_per_call=${cluster.redisOpsPerCall?.toFixed(1) ?? 'n/a'}`,
);
console.log(`  (${Math.round((performance.now() - started) / 1000)} s in all; this prints figures and asserts nothing)`);
killAll();
process.exit(0);
