/**
 * No call lost when a server dies or restarts: three real server processes
 * (server/main.ts, as `npm start` runs it) on one real Redis and one real PostgreSQL, real
 * socket.io clients that connect again to a server that is up when theirs goes (as a load
 * balancer would send them), and resume with their tokens.
 *
 * - SIGKILL the server owning the most calls, with 30 calls between 60 players caught at
 *   every stage (nobody asked yet, mid-handshake, chatting, mid-goodbye, TIME_WAIT; lessons
 *   with tricks) and calls with bots: every call finishes on the other servers, every
 *   player saw the same ladder before and after, and every record replays to the very
 *   states the players last saw.
 * - SIGTERM each server in turn (a rolling restart) during a workshop round: no call ends
 *   because of it, and every participant's result is kept.
 * Real time: the servers run on their own clocks.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callView, replay } from '../../shared/call';
import type { LevelId } from '../../shared/game/levels';
import type { CallEnded } from '../../shared/wire';
import { FailoverPlayer, type Stage } from '../support/failover';
import { postgresBin, startPostgres, type PostgresCluster } from '../support/postgres';
import { startMain, type MainProcess } from '../support/process';
import { redisInstalled, startRedis, type RedisServer } from '../support/redis';

/**
 * How long a call may take to finish once its players play on. On the bad line a call can
 * rightly take most of it: a handshake given up after four lost tries (20 s), the wait
 * before asking again (15 s), the handshake again, a chat line given up the same way (20 s),
 * and then the quiet after which a player hangs up on the partner still connected (20 s).
 */
const CALL_LIMIT_MS = 120_000;

let redis: RedisServer;
let postgres: PostgresCluster;
let database: string;
let watcher: Redis;
/** The servers, by name; a restarted one replaces its entry. */
const nodes = new Map<string, MainProcess>();
const down = new Set<string>();
const players: FailoverPlayer[] = [];
const up = (): string[] => [...nodes].filter(([id, n]) => !down.has(id) && n.proc.exitCode === null).map(([, n]) => n.url);

async function startNode(id: string): Promise<MainProcess> {
  // Every test client joins from 127.0.0.1: more joins by code a minute than one address may make by default.
  const node = await startMain({ REDIS_URL: redis.url, NODE_ID: id, DATABASE_URL: database, JOINS_PER_MINUTE: '1000' });
  nodes.set(id, node);
  down.delete(id);
  return node;
}

async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) {
      const logs = [...nodes].map(([id, n]) => `${id}:\n${n.lines.filter((l) => /cluster|error|warn/i.test(l)).slice(-10).join('\n')}`);
      throw new Error(`timed out waiting for ${what}\n${logs.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Everything a finished call's players have must agree with its record, replayed. */
function checkReplays(player: FailoverPlayer, end: CallEnded): void {
  const replayed = replay(end.record);
  // The record replays to the very states (and ladder) the player last saw.
  expect(callView(replayed.call), player.name).toEqual(player.view);
  expect(replayed.events, player.name).toEqual(player.events);
}

describe.skipIf(!redisInstalled() || postgresBin() === null)('calls outlive their server', () => {
  beforeAll(async () => {
    redis = await startRedis();
    postgres = await startPostgres();
    database = await postgres.createDatabase('takeover');
    watcher = new Redis(redis.url);
    for (const id of ['n1', 'n2', 'n3']) await startNode(id);
  }, 90_000);
  afterAll(async () => {
    for (const p of players) p.close();
    watcher?.disconnect();
    for (const n of nodes.values()) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
    await redis?.stop();
    postgres?.stop();
  });
  // A call a failed test leaves open would be handed over with the next test's calls: end them.
  afterEach(async () => {
    for (const p of players) p.hangUp();
    await until('every call ended', async () => (await Promise.all(['n1', 'n2', 'n3'].map((id) => watcher.scard(`cyhm:calls:${id}`)))).every((n) => n === 0)).catch(() => undefined);
  });

  it('SIGKILL the server with the most calls: 30 calls between 60 players at every stage, and calls with bots, all finish elsewhere and replay exactly', async () => {
    const urls = (id: string): string => nodes.get(id)!.url;
    // Where each call is made (most on n1), at which stage it waits, and its lesson.
    const plans: { host: string; guest: string; stage: Stage; level: LevelId | null; line: 'perfect' | 'good' | 'bad' }[] = [];
    const stages: Stage[] = ['listen', 'handshake', 'chat', 'goodbye', 'time-wait'];
    const levels: (LevelId | null)[] = [null, null, 'ghost', 'flood', 'bad-line', 'last-word'];
    for (let i = 0; i < 30; i++) {
      const host = i < 18 ? 'n1' : i < 24 ? 'n2' : 'n3';
      const guest = ['n1', 'n2', 'n3'][(i + 1) % 3]!;
      plans.push({ host, guest, stage: stages[i % stages.length]!, level: levels[i % levels.length]!, line: i % 7 === 6 ? 'bad' : 'perfect' });
    }
    const pairs = await Promise.all(
      plans.map(async (plan, i) => {
        const host = await FailoverPlayer.join(urls(plan.host), `Host ${i}`, up, plan.stage);
        const guest = await FailoverPlayer.join(urls(plan.guest), `Guest ${i}`, up, plan.stage);
        players.push(host, guest);
        host.client.send('call:create', { line: plan.line, ...(plan.level === null ? {} : { level: plan.level }) });
        const { code } = await host.client.next('call:created');
        guest.client.send('call:join', { code });
        await until(`call ${i} to start`, () => host.callId !== null && guest.callId === host.callId);
        return { host, guest, plan };
      }),
    );
    // And practice calls with bots (a lesson partner, a free-play bot), on n1.
    const solo = await Promise.all(
      (['goodbye', null, 'both-close'] as (LevelId | null)[]).map(async (level, i) => {
        const p = await FailoverPlayer.join(urls('n1'), `Solo ${i}`, up, 'chat');
        players.push(p);
        p.client.send('call:practice', { line: 'perfect', ...(level === null ? {} : { level }) });
        await until(`practice ${i} to start`, () => p.callId !== null);
        return p;
      }),
    );
    // Every call gets to its stage.
    for (const { host, plan } of pairs) {
      if (plan.stage === 'listen') continue;
      await until(`call of ${host.name} to reach ${plan.stage}`, () => host.view !== null && host.view.a.state !== 'LISTEN' && (plan.stage !== 'time-wait' || host.view.a.state === 'TIME_WAIT' || host.view.a.state === 'CLOSED'));
    }
    // The server that owns the most calls dies.
    const owned = await Promise.all(['n1', 'n2', 'n3'].map(async (id) => [id, await watcher.scard(`cyhm:calls:${id}`)] as const));
    const [victim, count] = [...owned].sort((x, y) => y[1] - x[1])[0]!;
    expect(count).toBeGreaterThanOrEqual(18);
    const seenBefore = new Map(players.map((p) => [p, [...p.events]]));
    const startsBefore = new Map(players.map((p) => [p, p.started.length]));
    const killedAt = Date.now();
    down.add(victim);
    nodes.get(victim)!.proc.kill('SIGKILL');
    // Every player of a call that was there gets the call again, from another server: the same call, the same ladder so far.
    const moved = players.filter((p) => pairs.some(({ host, guest }) => (p === host || p === guest) && host.callId !== null) || solo.includes(p));
    const onVictim = moved.filter((p) => [...pairs.filter(({ plan }) => plan.host === victim).flatMap(({ host, guest }) => [host, guest]), ...solo].includes(p) && p.ended.length === 0);
    expect(onVictim.length).toBeGreaterThanOrEqual(30);
    for (const p of onVictim) {
      await until(`${p.name} to get the call again`, () => p.started.length > startsBefore.get(p)!, 20_000);
      const again = p.started.at(-1)!;
      expect(again.payload.callId).toBe(p.callId);
      expect(again.payload.events.slice(0, seenBefore.get(p)!.length), p.name).toEqual(seenBefore.get(p));
    }
    const resumeMs = onVictim.map((p) => p.started.at(-1)!.at - killedAt);
    expect(Math.max(...resumeMs)).toBeLessThan(15_000);
    // Now everyone plays on to the end.
    for (const p of players) p.release();
    const ends = await Promise.all(players.map((p) => p.finished(CALL_LIMIT_MS)));
    for (const [i, end] of ends.entries()) {
      expect(['polite', 'timeout', 'reset', 'hung-up', 'keepalive'], players[i]!.name).toContain(end.summary.outcome);
      checkReplays(players[i]!, end);
    }
    // Both players of a call agree on how it ended.
    for (const { host, guest } of pairs) expect(host.ended.at(-1)).toEqual(guest.ended.at(-1));
    expect(ends.filter((e) => e.summary.outcome === 'polite').length).toBeGreaterThan(ends.length / 2);
    // The finished calls' journals expire in a few minutes.
    const ttl = await watcher.ttl(`cyhm:moves:${pairs[0]!.host.callId}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    expect(await watcher.scard(`cyhm:calls:${victim}`)).toBe(0);
    // The dead server's replacement starts under the same name and takes players again.
    await startNode(victim);
  }, 240_000);

  it('SIGTERM each server in turn during a workshop round: no call ends because of it, and every result is kept', async () => {
    // Three servers up, whatever the test before left.
    for (const id of ['n1', 'n2', 'n3']) if (down.has(id) || nodes.get(id)?.proc.exitCode !== null) await startNode(id);
    const urls = (id: string): string => nodes.get(id)!.url;
    const host = await FailoverPlayer.join(urls('n1'), 'Teacher', up, 'none');
    players.push(host);
    host.client.send('workshop:create', { title: 'Rolling', line: 'perfect' });
    const created = await host.client.next('workshop:created');
    // 20 participants, over the three servers, hold their calls once connected and chatting.
    const members = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const p = await FailoverPlayer.join(urls(['n1', 'n2', 'n3'][i % 3]!), `Pupil ${i}`, up, 'chat');
        p.client.send('call:join', { code: created.code });
        await p.client.next('workshop:status');
        return p;
      }),
    );
    players.push(...members);
    host.client.send('workshop:round', { code: created.code, hostToken: created.hostToken, action: 'start', level: 'hello' });
    await until('every participant in a call', () => members.every((m) => m.callId !== null));
    const calls = new Set(members.map((m) => m.callId));
    expect(calls.size).toBe(10);
    // Rolling restart: each server in turn is told to stop, hands everything over, exits, and starts again.
    const handedOver: number[] = [];
    for (const id of ['n1', 'n2', 'n3']) {
      const node = nodes.get(id)!;
      down.add(id);
      node.proc.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => node.proc.once('exit', resolve));
      expect(code, `${id} exits cleanly`).toBe(0);
      const handed = node.lines.map((l) => (l.includes('handed everything over') ? (JSON.parse(l) as { calls: number; players: number }) : null)).find((h) => h !== null);
      expect(handed, `${id} hands over`).toBeDefined();
      handedOver.push(handed!.calls);
      await startNode(id);
      // Everyone whose connection was there is back, in the same call.
      await until('everyone back', () => members.every((m) => m.client.socket.connected), 20_000);
    }
    // The round's ten calls were handed over as they went from server to server.
    expect(Math.max(...handedOver)).toBe(10);
    expect(members.some((m) => m.drops > 0)).toBe(true);
    // Still the same ten calls; now they finish.
    expect(new Set(members.map((m) => m.callId))).toEqual(calls);
    for (const m of members) m.release();
    const ends = await Promise.all(members.map((m) => m.finished(CALL_LIMIT_MS)));
    expect(ends.filter((e) => e.summary.outcome === 'server-closing')).toEqual([]);
    for (const [i, end] of ends.entries()) checkReplays(members[i]!, end);
    expect(members.flatMap((m) => m.closingNotices)).toEqual([]);
    // Every participant's result is kept: the host's export, from any server.
    await until('every result written', async () => {
      const res = await fetch(`${up()[0]}/api/workshops/${created.code}/results.json`, { headers: { authorization: `Bearer ${created.hostToken}` } });
      const body = (await res.json()) as { results: { participantId: string; round: number; outcome: string }[] };
      return body.results.filter((r) => r.round === 1).length === 20;
    });
    const res = await fetch(`${up()[1]}/api/workshops/${created.code}/results.json`, { headers: { authorization: `Bearer ${created.hostToken}` } });
    const body = (await res.json()) as { results: { participantId: string; round: number; outcome: string }[] };
    expect(new Set(body.results.map((r) => r.participantId))).toEqual(new Set(members.map((m) => m.welcome.playerId)));
    expect(body.results.map((r) => r.outcome).sort()).toEqual(ends.map((e) => e.summary.outcome).sort());
    // The host, whose connection moved too, still runs the workshop: the dashboard, then the round's end.
    host.client.send('workshop:host', { code: created.code, hostToken: created.hostToken });
    const board = await host.client.next('workshop:dashboard', (d) => d.round === 1);
    expect(board.participants).toHaveLength(20);
    expect(board.roundOpen).toBe(true);
    host.client.send('workshop:round', { code: created.code, hostToken: created.hostToken, action: 'end' });
    await host.client.next('workshop:dashboard', (d) => !d.roundOpen);
  }, 240_000);
});
