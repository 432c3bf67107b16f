/**
 * Several servers, one game: three real server processes (server/main.ts, as `npm start`
 * runs it) on one real Redis, each its own port, real socket.io clients spread over them.
 * Players on different servers meet by quick match and by private code and play whole calls
 * to a polite goodbye; nobody is paired twice; a player who drops from one server comes
 * back on another with the same token, mid-call, and finishes the call; a server dies and
 * its calls go on elsewhere, even when some of them cannot be rebuilt, or on itself when it
 * comes back under its name before its lease runs out. Real time (the
 * processes run on their own clocks): one call takes about 13 s, TIME_WAIT included.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallView, Side } from '../../shared/call';
import type { CallEnded, CallStarted, CallUpdate, Reply, Welcome } from '../../shared/wire';
import { postgresBin, startPostgres, type PostgresCluster } from '../support/postgres';
import { startMain, type MainProcess } from '../support/process';
import { redisInstalled, startRedis, type RedisServer } from '../support/redis';
import { TestClient, waitForMessage } from '../support/server';

const CALL_LIMIT_MS = 40_000;

let redis: RedisServer;
let postgres: PostgresCluster;
const nodes: MainProcess[] = [];
const clients: TestClient[] = [];

/**
 * A player that plays its calls through by itself: side a asks, every segment waiting is
 * answered with TCP's own answer (the view's hint), side a says goodbye once both are
 * connected, side b says its own goodbye after answering. Acts on every update it gets.
 */
class AutoPlayer {
  call: { id: string; side: Side; view: CallView } | null = null;
  readonly started: CallStarted[] = [];
  readonly ended: CallEnded[] = [];
  private asked = false;
  private answered = -1;
  private bye = false;

  constructor(
    readonly name: string,
    public client: TestClient,
    /** Says goodbye by itself (as side a once connected); otherwise the test does. */
    private readonly sayGoodbye = true,
  ) {
    this.listen(client);
  }

  /** Play through another connection from now on (after a reconnect). */
  reattach(client: TestClient): void {
    this.client = client;
    this.listen(client);
  }

  private listen(client: TestClient): void {
    client.socket.on('call:started', (s: CallStarted) => {
      this.started.push(s);
      if (this.call?.id !== s.callId) {
        this.asked = false;
        this.answered = -1;
        this.bye = false;
      }
      this.call = { id: s.callId, side: s.you, view: s.view };
      this.act();
    });
    client.socket.on('call:update', (u: CallUpdate) => {
      if (this.call === null || u.callId !== this.call.id) return;
      this.call.view = u.view;
      this.act();
    });
    client.socket.on('call:ended', (e: CallEnded) => {
      if (this.call?.id === e.callId) this.ended.push(e);
    });
  }

  private act(): void {
    const c = this.call;
    if (c === null) return;
    const mine = c.view[c.side];
    if (c.side === 'a' && !this.asked && mine.state === 'LISTEN') {
      this.asked = true;
      this.client.send('call:action', { action: 'ask' });
      return;
    }
    const head = mine.pending[0];
    if (head !== undefined && head.id !== this.answered && mine.hint !== null) {
      this.answered = head.id;
      this.client.send('call:move', { segment: mine.hint });
      return;
    }
    if (this.sayGoodbye && !this.bye && c.side === 'a' && mine.state === 'ESTABLISHED' && c.view.b.state === 'ESTABLISHED') {
      this.bye = true;
      this.client.send('call:action', { action: 'goodbye' });
      return;
    }
    if (!this.bye && c.side === 'b' && mine.state === 'CLOSE_WAIT' && mine.pending.length === 0) {
      this.bye = true;
      this.client.send('call:action', { action: 'goodbye' });
    }
  }

  /** The current call's end (waits for it). */
  async finished(): Promise<CallEnded> {
    const id = this.call?.id;
    if (id === undefined) throw new Error(`${this.name} has no call`);
    return waitForMessage(this.client, 'call:ended', (e) => e.callId === id, 0, CALL_LIMIT_MS);
  }
}

async function connect(node: MainProcess, name: string, resumeToken?: string): Promise<{ client: TestClient; welcome: Welcome }> {
  const client = await TestClient.connect(node.url);
  clients.push(client);
  client.send('hello', { name, lang: 'en', ...(resumeToken === undefined ? {} : { resumeToken }) });
  const welcome = await waitForMessage(client, 'welcome');
  return { client, welcome };
}

/** A private call hosted on `host`'s server, its guest joining by code through server 2. */
async function privateCall(server: MainProcess, host: string, guest: string): Promise<{ host: TestClient; hostWelcome: Welcome; guest: TestClient; guestWelcome: Welcome; started: CallStarted }> {
  const { client: hostClient, welcome: hostWelcome } = await connect(server, host);
  hostClient.send('call:create', { line: 'perfect' });
  const { code } = await waitForMessage(hostClient, 'call:created');
  const { client: guestClient, welcome: guestWelcome } = await connect(nodes[1]!, guest);
  guestClient.send('call:join', { code });
  const started = await waitForMessage(guestClient, 'call:started');
  return { host: hostClient, hostWelcome, guest: guestClient, guestWelcome, started };
}

describe.skipIf(!redisInstalled() || postgresBin() === null)('three servers on one Redis, workshops in PostgreSQL', () => {
  beforeAll(async () => {
    redis = await startRedis();
    postgres = await startPostgres();
    const database = await postgres.createDatabase('cluster');
    for (const id of ['n1', 'n2', 'n3']) nodes.push(await startMain({ REDIS_URL: redis.url, NODE_ID: id, DATABASE_URL: database }));
  }, 90_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
    await redis?.stop();
    postgres?.stop();
  });

  it('each says who it is and that it is one of a cluster', async () => {
    const health = await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/healthz`)).json() as Promise<Record<string, unknown>>));
    expect(health.map((h) => h.nodeId)).toEqual(['n1', 'n2', 'n3']);
    for (const h of health) expect(h).toMatchObject({ status: 'ok', mode: 'cluster', redis: { reachable: true }, database: { kind: 'postgres', reachable: true } });
  });

  it('40 players over three servers meet by quick match, private code and practice, and every call ends politely', async () => {
    const players: AutoPlayer[] = [];
    const join = async (i: number, name: string): Promise<AutoPlayer> => {
      const { client } = await connect(nodes[i % 3]!, name);
      const p = new AutoPlayer(name, client);
      players.push(p);
      return p;
    };
    // 24 by quick match, spread over the servers in turn.
    const quick: AutoPlayer[] = [];
    for (let i = 0; i < 24; i++) quick.push(await join(i, `Quick ${i}`));
    for (const p of quick) p.client.send('queue:join', { line: 'perfect' });
    // 6 hosts of private calls, each joined by a friend on the next server.
    const hosts: AutoPlayer[] = [];
    const friends: AutoPlayer[] = [];
    for (let i = 0; i < 6; i++) {
      const host = await join(i, `Host ${i}`);
      hosts.push(host);
      host.client.send('call:create', { line: 'perfect' });
      const { code } = await waitForMessage(host.client, 'call:created');
      const friend = await join(i + 1, `Friend ${i}`);
      friends.push(friend);
      friend.client.send('call:join', { code });
    }
    // 4 practise with the bot.
    const solo: AutoPlayer[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await join(i, `Solo ${i}`);
      solo.push(p);
      p.client.send('call:practice', { line: 'perfect' });
    }
    expect(players).toHaveLength(40);

    for (const p of players) await waitForMessage(p.client, 'call:started', () => true, 0, 10_000);
    const ends = await Promise.all(players.map((p) => p.finished()));
    for (const [i, e] of ends.entries()) expect(e.summary.outcome, players[i]!.name).toBe('polite');

    // Nobody was paired twice, and every human pair is two different people, one on each side.
    for (const p of players) expect(p.started.map((s) => s.callId), p.name).toHaveLength(1);
    const byCall = new Map<string, AutoPlayer[]>();
    for (const p of [...quick, ...hosts, ...friends]) byCall.set(p.call!.id, [...(byCall.get(p.call!.id) ?? []), p]);
    expect(byCall.size).toBe(18);
    for (const [callId, pair] of byCall) {
      expect(pair, callId).toHaveLength(2);
      expect(pair.map((p) => p.call!.side).sort(), callId).toEqual(['a', 'b']);
    }
    // A code made on one server was joined from the next one.
    for (const [i, host] of hosts.entries()) expect(friends[i]!.call!.id).toBe(host.call!.id);
    for (const p of solo) expect(p.started[0]!.players.b.bot).toBe(true);
    // Both players of a call saw the same call: same events, same end.
    for (const [, [x, y]] of byCall) expect(x!.ended[0]!.record).toEqual(y!.ended[0]!.record);
  }, 90_000);

  it('a player who drops from server 1 comes back on server 3 with the same token, mid-call, and finishes the call', async () => {
    const { client: aClient, welcome: aWelcome } = await connect(nodes[0]!, 'Ana');
    const ana = new AutoPlayer('Ana', aClient, false);
    const { client: bClient } = await connect(nodes[1]!, 'Ben');
    const ben = new AutoPlayer('Ben', bClient);
    ana.client.send('call:create', { line: 'perfect' });
    const { code } = await waitForMessage(ana.client, 'call:created');
    ben.client.send('call:join', { code });
    await waitForMessage(ben.client, 'call:started');
    // Both connected: Ana's connection drops.
    await waitForMessage(ben.client, 'call:update', (u) => u.view.a.state === 'ESTABLISHED' && u.view.b.state === 'ESTABLISHED', 0, 10_000);
    const callId = ana.call!.id;
    ana.client.close();
    await waitForMessage(ben.client, 'call:partner', (p) => !p.connected, 0, 10_000);
    // Back, on another server, with her token: the same seat, the same call, where it was.
    const back = await connect(nodes[2]!, 'Ana', aWelcome.resumeToken);
    expect(back.welcome).toMatchObject({ playerId: aWelcome.playerId, resumed: true });
    const resumed = await waitForMessage(back.client, 'call:started', (s) => s.callId === callId);
    expect(resumed.you).toBe(ana.call!.side);
    expect(resumed.view.a.state).toBe('ESTABLISHED');
    await waitForMessage(ben.client, 'call:partner', (p) => p.connected, 0, 10_000);
    ana.reattach(back.client);
    ana.call = { id: callId, side: resumed.you, view: resumed.view };
    // Ana (side a) says goodbye from server 3; the call ends politely for both.
    back.client.send('call:action', { action: 'goodbye' });
    const [endA, endB] = await Promise.all([ana.finished(), ben.finished()]);
    expect(endA.summary.outcome).toBe('polite');
    expect(endB.summary.outcome).toBe('polite');
  }, 60_000);

  it('a workshop hosted on server 1 with 20 participants on servers 2 and 3 plays two rounds with new partners; the export says what happened', async () => {
    const { client: host } = await connect(nodes[0]!, 'Teacher');
    host.send('workshop:create', { title: 'Across servers', line: 'perfect' });
    const created = await waitForMessage(host, 'workshop:created');
    const auth = { code: created.code, hostToken: created.hostToken };
    const pupils: AutoPlayer[] = [];
    for (let i = 0; i < 20; i++) {
      const { client } = await connect(nodes[1 + (i % 2)]!, `Pupil ${i}`);
      client.send('call:join', { code: created.code });
      await waitForMessage(client, 'workshop:status', (st) => st.code === created.code);
      pupils.push(new AutoPlayer(`Pupil ${i}`, client));
    }
    const dashboard = () => waitForMessage(host, 'workshop:dashboard', (d) => d.participants.filter((p) => p.connected).length === 20, 0, 10_000);
    expect((await dashboard()).participants).toHaveLength(20);

    const partners = new Map<string, Set<string>>();
    for (const round of [1, 2]) {
      const marks = pupils.map((p) => p.client.received.length);
      host.send('workshop:round', { ...auth, action: 'start', level: 'hello', rotate: true });
      await Promise.all(pupils.map((p, i) => waitForMessage(p.client, 'call:started', () => true, marks[i], 10_000)));
      const ends = await Promise.all(pupils.map((p) => p.finished()));
      for (const e of ends) expect(e.summary.outcome).toBe('polite');
      const byCall = new Map<string, string[]>();
      for (const p of pupils) byCall.set(p.call!.id, [...(byCall.get(p.call!.id) ?? []), p.name]);
      expect(byCall.size, `round ${round}`).toBe(10);
      for (const [, [x, y]] of byCall) {
        expect(partners.get(x!)?.has(y!) ?? false, `${x} met ${y} twice`).toBe(false);
        partners.set(x!, new Set([...(partners.get(x!) ?? []), y!]));
        partners.set(y!, new Set([...(partners.get(y!) ?? []), x!]));
      }
      host.send('workshop:round', { ...auth, action: 'end' });
      await waitForMessage(host, 'workshop:dashboard', (d) => d.round === round && !d.roundOpen && d.figures.calls === 10 * round, 0, 10_000);
    }
    // The export, asked of server 3, has every call of both rounds as the players saw them.
    const exported = (await (await fetch(`${nodes[2]!.url}/api/workshops/${created.code}/results.json`, { headers: { authorization: `Bearer ${created.hostToken}` } })).json()) as {
      results: { round: number; name: string; partner: string; callId: string; score: number; outcome: string }[];
    };
    expect(exported.results).toHaveLength(40);
    for (const p of pupils) {
      const mine = exported.results.filter((r) => r.name === p.name);
      expect(mine.map((r) => r.round).sort(), p.name).toEqual([1, 2]);
      expect(new Set(mine.map((r) => r.callId)), p.name).toEqual(new Set(p.started.map((s) => s.callId)));
      for (const r of mine) expect(r.outcome).toBe('polite');
    }
  }, 120_000);

  it('Redis restarted (empty) mid-call: the call goes on and ends politely, the gap shows in /healthz, new calls wait for Redis, and nobody is paired twice after', async () => {
    const { client: aClient } = await connect(nodes[0]!, 'Cleo');
    const cleo = new AutoPlayer('Cleo', aClient, false);
    const { client: bClient } = await connect(nodes[1]!, 'Dev');
    const dev = new AutoPlayer('Dev', bClient);
    cleo.client.send('call:create', { line: 'perfect' });
    const { code } = await waitForMessage(cleo.client, 'call:created');
    dev.client.send('call:join', { code });
    await waitForMessage(dev.client, 'call:update', (u) => u.view.a.state === 'ESTABLISHED' && u.view.b.state === 'ESTABLISHED', 0, 10_000);

    await redis.stop();
    const health = async () => Promise.all(nodes.map(async (n) => (await (await fetch(`${n.url}/healthz`)).json()) as { status: string; redis: { reachable: boolean } }));
    for (const h of await health()) expect(h).toMatchObject({ status: 'ok', redis: { reachable: false } });
    // Nobody new meets while Redis is away: a clear refusal, at once.
    const { client: late } = await TestClient.connect(nodes[2]!.url).then(async (c) => {
      clients.push(c);
      c.send('hello', { name: 'Late', lang: 'en' });
      return { client: c };
    });
    const refused = await waitForMessage(late, 'error', (e) => e.event === 'hello');
    expect(refused.code).toBe('server/unavailable');
    // The call goes on on its home server: Cleo says goodbye during the gap, and is answered
    // at once (through the acknowledgement; room messages wait for Redis, and come late).
    const reply = await new Promise<Reply>((resolve) => cleo.client.sendRaw('call:action', { action: 'goodbye' }, resolve));
    expect(reply).toMatchObject({ ok: true, event: 'call:update', payload: { view: { a: { state: 'FIN_WAIT_1' } } } });

    await redis.restart();
    for (let tries = 0; ; tries++) {
      if ((await health()).every((h) => h.redis.reachable)) break;
      if (tries > 100) throw new Error('the servers did not see Redis come back');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Dev, on another server, hears the goodbye (late), answers, and the call ends politely for both.
    const [endC, endD] = await Promise.all([cleo.finished(), dev.finished()]);
    expect(endC.summary.outcome).toBe('polite');
    expect(endD.summary.outcome).toBe('polite');
    expect(endC.record).toEqual(endD.record);

    // After the gap, quick match across servers works, and pairs each player once.
    const after: AutoPlayer[] = [];
    for (let i = 0; i < 6; i++) {
      const { client } = await connect(nodes[i % 3]!, `After ${i}`);
      after.push(new AutoPlayer(`After ${i}`, client));
    }
    for (const p of after) p.client.send('queue:join', { line: 'perfect' });
    for (const p of after) await waitForMessage(p.client, 'call:started', () => true, 0, 10_000);
    const byCall = new Map<string, number>();
    for (const p of after) byCall.set(p.call!.id, (byCall.get(p.call!.id) ?? 0) + 1);
    expect([...byCall.values()]).toEqual([2, 2, 2]);
    for (const p of after) expect(p.started, p.name).toHaveLength(1);
    await Promise.all(after.map((p) => p.finished()));
  }, 90_000);

  it('a server dies: its call is carried on by another (the players resume with their tokens); a seat in no call is lost, and its player says hello again', async () => {
    const n4 = await startMain({ REDIS_URL: redis.url, NODE_ID: 'n4', DATABASE_URL: await postgres.createDatabase('n4') });
    // Hana connects to server 2 and joins Gus's code: her seat moves to server 4.
    const { hostWelcome: gus, guest: hana, started } = await privateCall(n4, 'Gus', 'Hana');
    // Lee, also through server 2, plays a call on server 4 and leaves it: his seat stays there, in no call.
    const { guest: lee, guestWelcome: leeWelcome } = await privateCall(n4, 'Max', 'Lee');
    lee.send('call:leave', {});
    await waitForMessage(lee, 'call:left');
    n4.proc.kill('SIGKILL');
    // Hana's next request waits for another server to take the call over, and is answered from there.
    const asked = await new Promise<Reply>((resolve) => hana.sendRaw('call:action', { action: 'ask' }, resolve));
    expect(asked).toMatchObject({ ok: true, event: 'call:update', payload: { callId: started.callId } });
    // Gus's connection died with server 4: he comes back through server 1 with his token, to the same call.
    const { client: gusAgain, welcome: back } = await connect(nodes[0]!, 'Gus', gus.resumeToken);
    expect(back).toMatchObject({ playerId: gus.playerId, resumed: true });
    const resumed = await waitForMessage(gusAgain, 'call:started');
    expect(resumed.callId).toBe(started.callId);
    // Hana (side b) asked on the server that carried the call on: Gus sees it.
    expect(resumed.view.b.state).not.toBe('LISTEN');
    // Lee's seat was in no call: his next request says it is lost, and changes nothing else.
    const lost = await new Promise<Reply>((resolve) => lee.sendRaw('call:action', { action: 'ask' }, resolve));
    expect(lost).toMatchObject({ ok: false, error: { code: 'session/lost', event: 'call:action' } });
    // A new hello on the same connection: a new seat, here, that plays.
    lee.send('hello', { name: 'Lee', lang: 'en' });
    const again = await waitForMessage(lee, 'welcome', (w) => w.playerId !== leeWelcome.playerId);
    expect(again).toMatchObject({ name: 'Lee', resumed: false });
    const practice = await new Promise<Reply>((resolve) => lee.sendRaw('call:practice', { line: 'perfect' }, resolve));
    expect(practice).toMatchObject({ ok: true, event: 'call:started' });
  }, 60_000);

  it('a server dies with calls whose journals cannot be read back: those are let go, its other call is carried on, and its estate is taken over whole', async () => {
    const n5 = await startMain({ REDIS_URL: redis.url, NODE_ID: 'n5', DATABASE_URL: await postgres.createDatabase('n5') });
    const callOnN5 = async (host: string, guest: string): Promise<{ client: TestClient; callId: string }> => {
      const call = await privateCall(n5, host, guest);
      return { client: call.guest, callId: call.started.callId };
    };
    const good = await callOnN5('Ivy', 'Jon');
    const unreadable = await callOnN5('Kim', 'Liv');
    const meaningless = await callOnN5('Moe', 'Nia');
    const redisClient = new Redis(redis.url);
    try {
      // What no server can rebuild a call from, as if kept by a server that does not agree on what a journal holds:
      // an entry that is not JSON, and a start that says nothing.
      await redisClient.rpush(`cyhm:moves:${unreadable.callId}`, '{not json');
      await redisClient.hset(`cyhm:call:${meaningless.callId}`, 'meta', '{}');
      n5.proc.kill('SIGKILL');
      // Jon's call is carried on elsewhere, whichever of the three calls was taken first.
      const asked = await new Promise<Reply>((resolve) => good.client.sendRaw('call:action', { action: 'ask' }, resolve));
      expect(asked).toMatchObject({ ok: true, event: 'call:update', payload: { callId: good.callId } });
      // Liv's and Nia's calls are gone: their seats are lost, as a seat in no call is.
      for (const bad of [unreadable, meaningless]) {
        const lost = await new Promise<Reply>((resolve) => bad.client.sendRaw('call:action', { action: 'ask' }, resolve));
        expect(lost).toMatchObject({ ok: false, error: { code: 'session/lost', event: 'call:action' } });
      }
      // The estate of server 5 is taken over to the end: nothing of it left, and it is no longer one of the servers.
      expect(await redisClient.get('cyhm:estate:n5')).toMatch(/^done:n[123]$/);
      expect(await redisClient.smembers('cyhm:nodes')).not.toContain('n5');
      expect(await redisClient.scard('cyhm:calls:n5')).toBe(0);
      // Each call let go is said in the log of the server that let it go, and its keys expire.
      for (const bad of [unreadable, meaningless]) {
        await expect.poll(() => nodes.some((n) => n.lines.some((l) => l.includes(bad.callId) && l.includes('could not be rebuilt')))).toBe(true);
        await expect.poll(() => redisClient.ttl(`cyhm:call:${bad.callId}`)).toBeGreaterThan(0);
      }
    } finally {
      redisClient.disconnect();
    }
  }, 60_000);

  it('a server started again under the same name before its lease ran out carries on the calls of its earlier life', async () => {
    const env = { REDIS_URL: redis.url, NODE_ID: 'n6', DATABASE_URL: await postgres.createDatabase('n6') };
    const n6 = await startMain(env);
    const { hostWelcome: oliWelcome, guest: pam, started } = await privateCall(n6, 'Oli', 'Pam');
    const redisClient = new Redis(redis.url);
    let again: MainProcess | null = null;
    try {
      // Server 6 stops, and is started again under its name before its lease runs out: the
      // lease is kept up by hand until the new one is up, as a quick restart would find it.
      n6.proc.kill('SIGSTOP');
      const lease = setInterval(() => void redisClient.set('cyhm:node:n6', String(Date.now()), 'PX', 3_000), 200);
      try {
        again = await startMain(env);
      } finally {
        clearInterval(lease);
      }
      n6.proc.kill('SIGKILL');
      // Nobody else took the call over (server 6 never looked dead): the new server 6 carries it on.
      const asked = await new Promise<Reply>((resolve) => pam.sendRaw('call:action', { action: 'ask' }, resolve));
      expect(asked).toMatchObject({ ok: true, event: 'call:update', payload: { callId: started.callId } });
      expect(await redisClient.hget(`cyhm:call:${started.callId}`, 'owner')).toBe('n6');
      // Oli's connection went with the old process: he comes back to the new one with his token, to the same call.
      const { client: oliAgain, welcome: back } = await connect(again, 'Oli', oliWelcome.resumeToken);
      expect(back).toMatchObject({ playerId: oliWelcome.playerId, resumed: true });
      const resumed = await waitForMessage(oliAgain, 'call:started');
      expect(resumed.callId).toBe(started.callId);
      expect(resumed.view.b.state).not.toBe('LISTEN');
    } finally {
      if (n6.proc.exitCode === null) n6.proc.kill('SIGKILL');
      again?.proc.kill('SIGKILL');
      redisClient.disconnect();
    }
  }, 60_000);

  it('refuses bad input the same way on every server', async () => {
    for (const n of nodes) {
      const { client } = await connect(n, 'Mallory');
      client.sendRaw('call:move', { segment: 'not a segment' });
      client.sendRaw('no-such-request', {});
      client.sendRaw('call:join', { code: 42 });
      const codes = [
        (await waitForMessage(client, 'error', (e) => e.event === 'call:move')).code,
        (await waitForMessage(client, 'error', (e) => e.event === 'no-such-request')).code,
        (await waitForMessage(client, 'error', (e) => e.event === 'call:join')).code,
      ];
      expect(codes).toEqual(['input/invalid', 'input/unknown-event', 'input/invalid']);
      // And the same rate limit: a burst of 60 requests, 30 answered and the rest refused.
      const before = client.all('error').length;
      for (let i = 0; i < 60; i++) client.sendRaw('queue:leave', {});
      await waitForMessage(client, 'error', () => client.all('error').length - before >= 60, 0, 5_000);
      const burst = client.all('error').slice(before).map((e) => e.code);
      expect(burst.filter((c) => c === 'rate/limited').length, n.url).toBeGreaterThanOrEqual(25);
      expect(burst.filter((c) => c === 'queue/not-waiting').length, n.url).toBeGreaterThanOrEqual(25);
    }
  });
});
