/**
 * Benchmark: calls that outlive their server. Three real servers (server/main.ts) on one
 * Redis, a number of calls all running on server 1 between players connected to all three
 * (as a load balancer spreads them), caught at every stage of a call. Then:
 *
 * 1. SIGKILL server 1. Per player of those calls: the time from the kill until their page
 *    has the call again (a `call:started` for the same call: at once for a connection on a
 *    surviving server, after reconnecting and resuming with the token for one that was on
 *    server 1). Then every call plays on to its end: calls lost are those that never come
 *    back or end otherwise than by the players or TCP.
 * 2. The same calls, started again on server 2, and server 2 told to stop (SIGTERM): the
 *    time it takes to hand everything over, and the players' gap.
 *
 * Redis bytes per call: MEMORY USAGE of a call's hash and list, while the calls run and
 * once they end. Prints figures; asserts nothing.
 *
 *   npm run bench:takeover [-- --calls 100]
 */
import { Redis } from 'ioredis';
import { FailoverPlayer, type Stage } from '../test/support/failover';
import { startMain, type MainProcess } from '../test/support/process';
import { startRedis } from '../test/support/redis';
import { argNumber, summarize } from './support';

const argv = process.argv.slice(2);
const CALLS = argNumber(argv, 'calls', 100);
const STAGES: Stage[] = ['listen', 'handshake', 'chat', 'goodbye', 'time-wait'];
const NORMAL = new Set(['polite', 'timeout', 'reset', 'hung-up', 'keepalive']);

const redisServer = await startRedis();
const redis = new Redis(redisServer.url);
const nodes = new Map<string, MainProcess>();
const down = new Set<string>();
const up = (): string[] => [...nodes].filter(([id, n]) => !down.has(id) && n.proc.exitCode === null).map(([, n]) => n.url);
const everyone: FailoverPlayer[] = [];
const startNode = async (id: string): Promise<void> => {
  nodes.set(id, await startMain({ REDIS_URL: redisServer.url, NODE_ID: id, DB_PATH: ':memory:', DATABASE_URL: '', JOINS_PER_MINUTE: '100000' }));
  down.delete(id);
};
const until = async (test: () => boolean, timeoutMs: number): Promise<boolean> => {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
};
const fmt = (s: ReturnType<typeof summarize>): string => `p50 ${s.p50.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms, max ${s.max.toFixed(0)} ms`;

/** CALLS calls on `home`, guests spread over the servers, each held at a stage. */
async function makeCalls(home: string): Promise<{ host: FailoverPlayer; guest: FailoverPlayer }[]> {
  const ids = [...nodes.keys()];
  const pairs: { host: FailoverPlayer; guest: FailoverPlayer }[] = [];
  for (let i = 0; i < CALLS; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, CALLS - i) }, async (_, k) => {
        const stage = STAGES[(i + k) % STAGES.length]!;
        const host = await FailoverPlayer.join(nodes.get(home)!.url, `H${i + k}`, up, stage);
        const guest = await FailoverPlayer.join(nodes.get(ids[(i + k) % ids.length]!)!.url, `G${i + k}`, up, stage);
        everyone.push(host, guest);
        host.client.send('call:create', { line: 'perfect' });
        const { code } = await host.client.next('call:created');
        guest.client.send('call:join', { code });
        await until(() => host.callId !== null && guest.callId === host.callId, 10_000);
        return { host, guest };
      }),
    );
    pairs.push(...batch);
  }
  // Let every call get to its stage.
  await until(() => pairs.every(({ host }) => host.view !== null && (host.stage === 'listen' || host.view.a.state !== 'LISTEN')), 15_000);
  await new Promise((r) => setTimeout(r, 5_000));
  return pairs;
}

async function bytesPerCall(callIds: readonly string[]): Promise<number> {
  let total = 0;
  for (const id of callIds) {
    total += Number((await redis.memory('USAGE', `cyhm:call:${id}`)) ?? 0) + Number((await redis.memory('USAGE', `cyhm:moves:${id}`)) ?? 0);
  }
  return total / Math.max(1, callIds.length);
}

/** Every player of `pairs` plays on to the end; the calls that never end, or end otherwise than normally. */
async function finish(pairs: readonly { host: FailoverPlayer; guest: FailoverPlayer }[]): Promise<{ lost: number; outcomes: Record<string, number> }> {
  for (const { host, guest } of pairs) {
    host.release();
    guest.release();
  }
  const outcomes: Record<string, number> = {};
  let lost = 0;
  for (const { host } of pairs) {
    try {
      const end = await host.finished(90_000);
      outcomes[end.summary.outcome] = (outcomes[end.summary.outcome] ?? 0) + 1;
      if (!NORMAL.has(end.summary.outcome)) lost++;
    } catch (err) {
      lost++;
      console.log(`  not finished: ${(err as Error).message}`);
    }
  }
  return { lost, outcomes };
}

try {
  for (const id of ['n1', 'n2', 'n3']) await startNode(id);
  console.log(`takeover bench: ${CALLS} calls (${CALLS * 2} players) on server n1, players connected to all three servers`);

  // 1. SIGKILL.
  const pairs = await makeCalls('n1');
  const running = pairs.map((p) => p.host.callId!);
  const bytesRunning = await bytesPerCall(running);
  const players = pairs.flatMap(({ host, guest }) => [host, guest]);
  const before = new Map(players.map((p) => [p, p.started.length]));
  const killedAt = Date.now();
  down.add('n1');
  nodes.get('n1')!.proc.kill('SIGKILL');
  await until(() => players.every((p) => p.started.length > before.get(p)! || p.ended.length > 0), 30_000);
  const back = players.filter((p) => p.started.length > before.get(p)!);
  const viaDead = back.filter((p) => p.drops > 0);
  const viaLive = back.filter((p) => p.drops === 0);
  const resumed = summarize(back.map((p) => p.started.find((s) => s.at >= killedAt)!.at - killedAt));
  const notBack = new Set(players.filter((p) => p.started.length === before.get(p)! && p.ended.length === 0).map((p) => p.callId));
  const sigkill = await finish(pairs);
  const bytesEnded = await bytesPerCall(running);
  console.log('\nSIGKILL of the server running every call');
  console.log(`  every call resumed, players' view:        ${fmt(resumed)} (${back.length} players)`);
  console.log(`    connection on a surviving server:      ${fmt(summarize(viaLive.map((p) => p.started.find((s) => s.at >= killedAt)!.at - killedAt)))} (${viaLive.length})`);
  console.log(`    connection on the dead server:         ${fmt(summarize(viaDead.map((p) => p.started.find((s) => s.at >= killedAt)!.at - killedAt)))} (${viaDead.length}, reconnect + resume)`);
  console.log(`  calls never back:                         ${notBack.size}`);
  console.log(`  calls lost (never ended, or not by TCP or the players): ${sigkill.lost} of ${CALLS}   outcomes ${JSON.stringify(sigkill.outcomes)}`);
  console.log(`  Redis bytes per call:                     ${bytesRunning.toFixed(0)} while running, ${bytesEnded.toFixed(0)} once ended (kept ten minutes)`);
  await startNode('n1');

  // 2. SIGTERM (a rolling restart's step).
  const second = await makeCalls('n2');
  const players2 = second.flatMap(({ host, guest }) => [host, guest]);
  const before2 = new Map(players2.map((p) => [p, p.started.length]));
  const node2 = nodes.get('n2')!;
  const termAt = Date.now();
  down.add('n2');
  node2.proc.kill('SIGTERM');
  await new Promise((r) => node2.proc.once('exit', r));
  const exitedMs = Date.now() - termAt;
  await until(() => players2.every((p) => p.started.length > before2.get(p)! || p.ended.length > 0), 30_000);
  const handed = node2.lines.map((l) => (l.includes('handed everything over') ? (JSON.parse(l) as { calls: number }) : null)).find((h) => h !== null);
  // A connection on the stopping server hears the call first there, then again once it has reconnected: the last one counts.
  await until(() => players2.every((p) => p.client.socket.connected), 30_000);
  const gap = summarize(players2.filter((p) => p.started.length > before2.get(p)!).map((p) => p.started.at(-1)!.at - termAt));
  const sigterm = await finish(second);
  console.log('\nSIGTERM of the server running every call (one step of a rolling restart)');
  console.log(`  calls handed over:                        ${handed?.calls ?? 0} of ${CALLS}; the server exited after ${exitedMs} ms`);
  console.log(`  every call resumed, players' view:        ${fmt(gap)}`);
  console.log(`  calls ended by the restart, or lost:      ${sigterm.lost} of ${CALLS}   outcomes ${JSON.stringify(sigterm.outcomes)}`);
  if (sigkill.lost + sigterm.lost > 0) {
    // What the servers said about it.
    for (const [id, n] of nodes) for (const line of n.lines.filter((l) => /"level":[4-6]0/.test(l)).slice(-15)) console.log(`  ${id}: ${line.slice(0, 300)}`);
  }
} finally {
  for (const p of everyone) p.close();
  for (const n of nodes.values()) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
  redis.disconnect();
  await redisServer.stop();
}
process.exit(0);
