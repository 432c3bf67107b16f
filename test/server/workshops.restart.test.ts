/**
 * A workshop outlives its server: the real entry point (server/main.ts) on an SQLite file in
 * a fresh folder (or, the second time, on a PostgreSQL database of a cluster this file
 * starts), killed with SIGKILL in the middle of a round and started again on the same
 * store. The roster, the finished results, the round number and the host's key come back;
 * participants get their seats back with their resume tokens and play the next round.
 * Real processes and real time (600 ms a hop on the perfect line), so every wait is bounded.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CallView, Side } from '../../shared/call';
import type { CallEnded, ClientToServerEvents, ServerToClientEvents, Welcome } from '../../shared/wire';
import { postgresBin, startPostgres, type PostgresCluster } from '../support/postgres';
import { startMain } from '../support/process';
import { TestClient, waitForMessage as waitFor, type Received } from '../support/server';

type ServerEvent = keyof ServerToClientEvents;
type Payload<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

const children: ChildProcess[] = [];
const clients: TestClient[] = [];
let dir: string | null = null;

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

let cluster: PostgresCluster | null = null;
afterAll(() => cluster?.stop());

/** Where the server keeps workshops, as its environment says: DB_PATH, or DATABASE_URL. */
type StoreEnv = { DB_PATH: string; DATABASE_URL: '' } | { DATABASE_URL: string };

/** server/main.ts as `npm start` runs it (without the build), on port 0 and the given store. */
async function start(store: StoreEnv): Promise<{ proc: ChildProcess; url: string; lines: string[] }> {
  const main = await startMain(store);
  children.push(main.proc);
  return main;
}

async function connect(url: string): Promise<TestClient> {
  const client = await TestClient.connect(url);
  clients.push(client);
  return client;
}

/** Send one request; return the messages it brought until `until` matches one (or an error comes). */
async function ask<E extends keyof ClientToServerEvents, R extends ServerEvent>(
  client: TestClient,
  event: E,
  payload: Parameters<ClientToServerEvents[E]>[0],
  reply: R,
  where: (p: Payload<R>) => boolean = () => true,
): Promise<{ reply: Payload<R> | null; error: string | null; messages: Received[] }> {
  const from = client.received.length;
  (client.send as (e: E, p: typeof payload) => void)(event, payload);
  const deadline = Date.now() + 5_000;
  for (;;) {
    const messages = client.received.slice(from);
    const error = messages.find((r) => r.event === 'error');
    if (error !== undefined) return { reply: null, error: (error.payload as { code: string }).code, messages };
    const hit = messages.find((r) => r.event === reply && where(r.payload as Payload<R>));
    if (hit !== undefined) return { reply: hit.payload as Payload<R>, error: null, messages };
    if (Date.now() > deadline) throw new Error(`no ${reply} or error after ${event}; got ${messages.map((r) => r.event).join(', ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Plays this client's calls by named actions as messages arrive: asks as side a, lets TCP
 * answer whatever waits, and (if `polite`) says goodbye as soon as both are connected (side
 * a) or after answering the partner's goodbye (side b).
 */
function autoplay(client: TestClient, polite: () => boolean): void {
  let call: { id: string; side: Side; asked: boolean; answered: number; bye: boolean } | null = null;
  const onView = (view: CallView): void => {
    if (call === null) return;
    const mine = view[call.side];
    if (call.side === 'a' && !call.asked && mine.state === 'LISTEN') {
      call.asked = true;
      client.send('call:action', { action: 'ask' });
    }
    const head = mine.pending[0];
    if (head !== undefined && head.id !== call.answered) {
      call.answered = head.id;
      client.send('call:action', { action: 'answer' });
    }
    if (!polite() || call.bye) return;
    if ((call.side === 'a' && view.a.state === 'ESTABLISHED' && view.b.state === 'ESTABLISHED') || (call.side === 'b' && mine.state === 'CLOSE_WAIT' && mine.pending.length === 0)) {
      call.bye = true;
      client.send('call:action', { action: 'goodbye' });
    }
  };
  client.socket.on('call:started', (s) => {
    if (call?.id !== s.callId) call = { id: s.callId, side: s.you, asked: false, answered: -1, bye: false };
    onView(s.view);
  });
  client.socket.on('call:update', (u) => {
    if (u.callId === call?.id) onView(u.view);
  });
}

interface Seat {
  readonly name: string;
  readonly client: TestClient;
  readonly welcome: Welcome;
}

/** A fresh store of each kind: an SQLite file in a folder that does not exist yet (the store makes it), or a new PostgreSQL database. */
const stores: [string, () => Promise<StoreEnv>][] = [
  [
    'an SQLite file',
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'cyhm-workshop-'));
      return { DB_PATH: join(dir, 'data', 'workshops.sqlite'), DATABASE_URL: '' };
    },
  ],
];
if (postgresBin() !== null) {
  stores.push([
    'PostgreSQL',
    async () => {
      cluster ??= await startPostgres();
      return { DATABASE_URL: await cluster.createDatabase('restart') };
    },
  ]);
}

describe.each(stores)('a workshop across a server crash (SIGKILL) and restart, kept in %s', (_kind, fresh) => {
  it('keeps roster, results, round and host key; participants resume and play the next round', async () => {
    const store = await fresh();
    const first = await start(store);

    // The host creates a workshop; four participants join by code.
    const host = await connect(first.url);
    host.send('hello', { name: 'Teacher', lang: 'en' });
    await waitFor(host, 'welcome');
    const created = (await ask(host, 'workshop:create', { title: 'Restart class', line: 'perfect' }, 'workshop:created')).reply!;
    const { code, hostToken } = created;
    await waitFor(host, 'workshop:dashboard', (d) => d.code === code);
    const names = ['Ann', 'Ben', 'Cat', 'Dan'];
    const seats: Seat[] = [];
    for (const name of names) {
      const client = await connect(first.url);
      client.send('hello', { name, lang: 'en' });
      const welcome = await waitFor(client, 'welcome');
      const status = (await ask(client, 'call:join', { code }, 'workshop:status')).reply!;
      expect(status).toMatchObject({ code, participantId: welcome.playerId, name });
      seats.push({ name, client, welcome });
    }

    // Round 1: Ann's pair plays to a polite goodbye; the other pair connects and stays on.
    const politeIds = new Set<string>();
    for (const s of seats) autoplay(s.client, () => politeIds.has(s.welcome.playerId));
    const round1 = (await ask(host, 'workshop:round', { code, hostToken, action: 'start', level: 'hello', rotate: true }, 'workshop:dashboard', (d) => d.round === 1)).reply!;
    expect(round1.pairs).toHaveLength(2);
    expect(round1.pairs.every((p) => p.a.participantId !== null && p.b.participantId !== null)).toBe(true);
    const ann = seats[0]!.welcome.playerId;
    const finishing = round1.pairs.find((p) => p.a.participantId === ann || p.b.participantId === ann)!;
    const staying = round1.pairs.find((p) => p !== finishing)!;
    for (const id of [finishing.a.participantId, finishing.b.participantId]) politeIds.add(id!);
    const seatOf = (id: string | null): Seat => seats.find((s) => s.welcome.playerId === id)!;
    // Everyone hears about their call before anyone has asked: the autoplay sees every update.
    await Promise.all(seats.map((s) => waitFor(s.client, 'call:started')));

    const endings = await Promise.all([finishing.a, finishing.b].map((end) => waitFor(seatOf(end.participantId).client, 'call:ended', (e) => e.callId === finishing.callId, 0, 30_000)));
    for (const e of endings) expect(e.summary.outcome).toBe('polite');
    const summary: CallEnded['summary'] = endings[0]!.summary;
    const expectedScore = new Map([
      [finishing.a.participantId!, summary.sides.a.score],
      [finishing.b.participantId!, summary.sides.b.score],
    ]);
    // The result is stored (the dashboard shows it), and the other pair is mid-call.
    await waitFor(host, 'workshop:dashboard', (d) => d.pairs.some((p) => p.callId === finishing.callId && p.outcome === 'polite'), 0, 5_000);
    await waitFor(seatOf(staying.a.participantId).client, 'call:update', (u) => u.callId === staying.callId && u.view.a.state === 'ESTABLISHED' && u.view.b.state === 'ESTABLISHED', 0, 10_000);
    expect(seatOf(staying.a.participantId).client.all('call:ended')).toHaveLength(0);

    // Crash.
    first.proc.kill('SIGKILL');
    await once(first.proc, 'exit');
    for (const c of clients.splice(0)) c.close();

    // Start again on the same file.
    const second = await start(store);
    expect(second.lines.join('\n')).not.toMatch(/"level":(50|60)/);
    const host2 = await connect(second.url);
    host2.send('hello', { name: 'Teacher', lang: 'en' });
    await waitFor(host2, 'welcome');
    const wrong = await ask(host2, 'workshop:host', { code, hostToken: `${hostToken.slice(0, -2)}zz` }, 'workshop:dashboard');
    expect(wrong.error).toBe('workshop/bad-token');
    expect(host2.all('workshop:dashboard')).toHaveLength(0);
    const board = (await ask(host2, 'workshop:host', { code, hostToken }, 'workshop:dashboard')).reply!;
    expect(board.code).toBe(code);
    expect(board.title).toBe('Restart class');
    expect(board.round).toBe(1);
    expect(board.participants.map((p) => p.name).sort()).toEqual([...names].sort());
    expect(board.participants.every((p) => !p.connected && !p.removed)).toBe(true);
    expect(board.figures.calls).toBeGreaterThanOrEqual(1);
    expect(board.figures.connected).toBeGreaterThanOrEqual(1);
    expect(board.figures.medianHandshakeMs).toBe(summary.handshakeMs);
    for (const [id, score] of expectedScore) {
      expect(score).toBeGreaterThan(0);
      expect(board.ranking.find((r) => r.participantId === id)?.score).toBe(score);
    }
    for (const id of [staying.a.participantId!, staying.b.participantId!]) expect(board.ranking.find((r) => r.participantId === id)?.score).toBe(0);
    expect(board.pairs.find((p) => p.callId === finishing.callId)?.outcome).toBe('polite');
    // The export still answers to the same key.
    const res = await fetch(`${second.url}/api/workshops/${code}/results.json`, { headers: { authorization: `Bearer ${hostToken}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: unknown[] }).results).toHaveLength(2);

    // Participants come back with their resume tokens: same seat, same workshop.
    const back: Seat[] = [];
    for (const s of seats) {
      const client = await connect(second.url);
      client.send('hello', { lang: 'en', resumeToken: s.welcome.resumeToken });
      const welcome = await waitFor(client, 'welcome');
      expect(welcome).toMatchObject({ resumed: true, playerId: s.welcome.playerId, name: s.name, resumeToken: s.welcome.resumeToken });
      const status = await waitFor(client, 'workshop:status');
      expect(status).toMatchObject({ code, participantId: s.welcome.playerId, name: s.name, round: 1, roundOpen: false });
      expect(client.all('error')).toEqual([]);
      back.push({ name: s.name, client, welcome });
    }
    const connected = await waitFor(host2, 'workshop:dashboard', (d) => d.participants.every((p) => p.connected), 0, 5_000);
    expect(connected.participants).toHaveLength(4);

    // The round the crash cut short is over (its calls did not survive): the host starts the
    // next one at once, and rotation remembers round 1.
    const next = await ask(host2, 'workshop:round', { code, hostToken, action: 'start', level: 'hello', rotate: true }, 'workshop:dashboard', (d) => d.round === 2);
    expect(next.error).toBeNull();
    const round2 = next.reply!;
    expect(round2.round).toBe(2);
    expect(round2.roundOpen).toBe(true);
    expect(round2.pairs).toHaveLength(2);
    const met = new Set(round1.pairs.map((p) => [p.a.participantId, p.b.participantId].sort().join('|')));
    for (const p of round2.pairs) {
      expect(p.b.participantId).not.toBeNull();
      expect(met.has([p.a.participantId, p.b.participantId].sort().join('|'))).toBe(false);
    }
    const started = await Promise.all(back.map((s) => waitFor(s.client, 'call:started', () => true, 0, 5_000)));
    for (const [i, s] of started.entries()) {
      const pair = round2.pairs.find((p) => p.callId === s.callId)!;
      expect(pair[s.you].participantId).toBe(back[i]!.welcome.playerId);
      expect(s.players[s.you === 'a' ? 'b' : 'a'].bot).toBe(false);
    }
    // The host's key never reached a participant, before or after the restart.
    for (const s of [...seats, ...back]) expect(JSON.stringify(s.client.received).includes(hostToken)).toBe(false);
  }, 90_000);
});
