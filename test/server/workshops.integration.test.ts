/**
 * Workshops through the real server (port 0, real socket.io clients, a fake clock): a host
 * creates a workshop, a class joins by code, rounds of calls are played by scripted pupils,
 * and the host's dashboard, export and controls are checked against what really happened.
 * Also: what a wrong host key can do (nothing), and what participants never see (the host's
 * key, other pairs' chat, the dashboard).
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Random } from '../../server/random';
import { Store, type StoreConfig, type WorkshopRow } from '../../server/store';
import type { CallView, Side } from '../../shared/call';
import type { LevelId } from '../../shared/game/levels';
import { CODE_ALPHABET, CODE_LENGTH } from '../../shared/wire';
import type { CallEnded, CallStarted, CallUpdate, ClientToServerEvents, Dashboard, Reply, ServerToClientEvents, Welcome, WorkshopCreated, WorkshopStatus } from '../../shared/wire';
import { postgresBin, startPostgres, type PostgresCluster } from '../support/postgres';
import { roundTrip, startServer, TestClient, waitForMessage as waitFor, type Received, type TestServer } from '../support/server';

// ---------------------------------------------------------------- helpers

type ServerEvent = keyof ServerToClientEvents;
type Payload<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

const STEP_MS = 100;
/** How long a round may take on the fake clock before the test gives up. */
const ROUND_LIMIT_MS = 90_000;

/** Predictable codes, tokens and seeds: the same run every time. */
function seededRandom(seed: string): Random {
  let n = 0;
  const bytes = (): Buffer => createHash('sha256').update(`${seed}:${n++}`).digest();
  return {
    int: (maxExclusive) => bytes().readUInt32BE(0) % maxExclusive,
    token: () => bytes().subarray(0, 16).toString('base64url'),
    code: () => {
      const b = bytes();
      return Array.from({ length: CODE_LENGTH }, (_, i) => CODE_ALPHABET.charAt((b[i] ?? 0) % CODE_ALPHABET.length)).join('');
    },
  };
}

/**
 * Every client has had everything sent to it so far, and the server handled all they sent,
 * including the workshop work it does in the background (results written, dashboards sent).
 */
async function settle(clients: readonly TestClient[]): Promise<void> {
  await Promise.all(clients.map((c) => roundTrip(c)));
  await srv.server.idle();
  await Promise.all(clients.map((c) => roundTrip(c)));
}

const isSync = (r: Received): boolean => r.event === 'error' && (r.payload as { code: string }).code === 'input/unknown-event';

/** Send one request and return what came back for it (everything before the round trip). */
async function request<E extends keyof ClientToServerEvents>(client: TestClient, event: E, ...args: Parameters<ClientToServerEvents[E]>): Promise<Received[]> {
  const from = client.received.length;
  client.send(event, ...args);
  await roundTrip(client);
  return client.received.slice(from).filter((r) => !isSync(r));
}

function errorsIn(messages: readonly Received[]): string[] {
  return messages.filter((r) => r.event === 'error').map((r) => (r.payload as { code: string }).code);
}

function lastOf<E extends ServerEvent>(client: TestClient, event: E): Payload<E> {
  const all = client.all(event);
  const last = all[all.length - 1];
  if (last === undefined) throw new Error(`no ${event} received`);
  return last;
}

const dashboardOf = (host: TestClient): Dashboard => lastOf(host, 'workshop:dashboard');
const statusOf = (client: TestClient): WorkshopStatus => lastOf(client, 'workshop:status');
/** Messages a client received, not counting round-trip markers. */
const realMessages = (client: TestClient): Received[] => client.received.filter((r) => !isSync(r));

function median(values: readonly number[]): number | null {
  const sorted = [...values].sort((x, y) => x - y);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

const pairKey = (x: string, y: string): string => (x < y ? `${x}|${y}` : `${y}|${x}`);

// ---------------------------------------------------------------- a scripted pupil

interface CallPlay {
  readonly callId: string;
  readonly side: Side;
  readonly started: CallStarted;
  view: CallView;
  asked: boolean;
  answered: number | null;
  readonly firstSeen: Map<number, number>;
  connectedAt: number | null;
  chatted: boolean;
  saidGoodbye: boolean;
  wrongDone: boolean;
  ended: CallEnded | null;
}

interface Habits {
  /** Answers the partner's "2. And 2 + 2 = ?" once with the ACK number off by one first. */
  readonly wrongConfirm?: boolean;
  /** Waits this long (fake clock) before answering a partner's SYN, so the partner's TCP asks again. */
  readonly slowAnswerMs?: number;
}

/**
 * A careful pupil: asks only as side a, answers every waiting segment with the view's hint
 * for its side, says one (secret) sentence once connected, says goodbye a while after both
 * are connected if it is side a, and says its own goodbye after answering the partner's.
 */
class Pupil {
  readonly calls: CallPlay[] = [];
  readonly secrets: { readonly text: string; readonly callId: string }[] = [];
  wrongMoves = 0;
  private cursor = 0;

  constructor(
    readonly name: string,
    readonly client: TestClient,
    readonly welcome: Welcome,
    readonly habits: Habits = {},
  ) {}

  get id(): string {
    return this.welcome.playerId;
  }

  get current(): CallPlay | null {
    return this.calls[this.calls.length - 1] ?? null;
  }

  get busy(): boolean {
    const c = this.current;
    return c !== null && c.ended === null;
  }

  absorb(): void {
    const received = this.client.received;
    for (; this.cursor < received.length; this.cursor++) {
      const r = received[this.cursor]!;
      if (r.event === 'call:started') {
        const s = r.payload as CallStarted;
        const known = this.calls.find((c) => c.callId === s.callId);
        if (known !== undefined) known.view = s.view;
        else
          this.calls.push({
            callId: s.callId,
            side: s.you,
            started: s,
            view: s.view,
            asked: false,
            answered: null,
            firstSeen: new Map(),
            connectedAt: null,
            chatted: false,
            saidGoodbye: false,
            wrongDone: false,
            ended: null,
          });
      } else if (r.event === 'call:update') {
        const u = r.payload as CallUpdate;
        const c = this.calls.find((x) => x.callId === u.callId);
        if (c !== undefined) c.view = u.view;
      } else if (r.event === 'call:ended') {
        const e = r.payload as CallEnded;
        const c = this.calls.find((x) => x.callId === e.callId);
        if (c !== undefined) c.ended = e;
      }
    }
  }

  /** One step at fake time `now`; true if anything was sent. */
  act(now: number): boolean {
    const c = this.current;
    if (c === null || c.ended !== null) return false;
    let sent = false;
    const send = <E extends keyof ClientToServerEvents>(event: E, ...args: Parameters<ClientToServerEvents[E]>): void => {
      this.client.send(event, ...args);
      sent = true;
    };
    const me = c.side;
    const mine = c.view[me];
    if (me === 'a' && !c.asked && mine.state === 'LISTEN') {
      c.asked = true;
      send('call:action', { action: 'ask' });
    }
    const head = mine.pending[0];
    const hint = mine.hint;
    if (head !== undefined && head.id !== c.answered && hint !== null) {
      if (!c.firstSeen.has(head.id)) c.firstSeen.set(head.id, now);
      const wait = head.segment.syn && !head.segment.ack ? (this.habits.slowAnswerMs ?? 0) : 0;
      if (now - (c.firstSeen.get(head.id) ?? now) >= wait) {
        c.answered = head.id;
        if (this.habits.wrongConfirm === true && !c.wrongDone && head.segment.syn && head.segment.ack) {
          // "3"? The ACK number off by one: judged wrong, still sent as built.
          c.wrongDone = true;
          this.wrongMoves++;
          send('call:move', { segment: { ...hint, ackNo: (hint.ackNo - 1) >>> 0 } });
        }
        send('call:move', { segment: hint });
      }
    }
    if (c.connectedAt === null && c.view.a.state === 'ESTABLISHED' && c.view.b.state === 'ESTABLISHED') c.connectedAt = now;
    if (c.connectedAt !== null && !c.chatted && mine.state === 'ESTABLISHED') {
      c.chatted = true;
      const text = `[psst:${this.name}:${this.calls.length}]`;
      this.secrets.push({ text, callId: c.callId });
      send('call:chat', { text });
    }
    if (!c.saidGoodbye && me === 'a' && c.connectedAt !== null && now - c.connectedAt >= 3_000 && mine.state === 'ESTABLISHED') {
      c.saidGoodbye = true;
      send('call:action', { action: 'goodbye' });
    }
    if (!c.saidGoodbye && me === 'b' && mine.state === 'CLOSE_WAIT' && mine.pending.length === 0) {
      c.saidGoodbye = true;
      send('call:action', { action: 'goodbye' });
    }
    return sent;
  }

  /** The pupil's own figures in every call it finished. */
  finished(): { callId: string; side: Side; summary: CallEnded['summary'] }[] {
    return this.calls.flatMap((c) => (c.ended === null ? [] : [{ callId: c.callId, side: c.side, summary: c.ended.summary }]));
  }
}

/** Play until every pupil's current call has ended, moving the fake clock in steps. */
async function play(srv: TestServer, pupils: readonly Pupil[], limitMs = ROUND_LIMIT_MS): Promise<void> {
  const clients = pupils.map((p) => p.client);
  for (let t = 0; ; t += STEP_MS) {
    await settle(clients);
    for (const p of pupils) p.absorb();
    const busy = pupils.filter((p) => p.busy);
    if (busy.length === 0) return;
    if (t >= limitMs) throw new Error(`calls still on after ${limitMs} ms: ${busy.map((p) => `${p.name} ${JSON.stringify(p.current?.view.a.state)}/${JSON.stringify(p.current?.view.b.state)}`).join('; ')}`);
    const acted = pupils.filter((p) => p.act(srv.clock.now()));
    await settle(acted.map((p) => p.client));
    srv.clock.advance(STEP_MS);
  }
}

interface Workshop {
  readonly host: TestClient;
  readonly code: string;
  readonly hostToken: string;
  readonly created: WorkshopCreated;
}

/** Every client a test opens, to close them all afterwards. */
const opened: TestClient[] = [];
async function open(srv: TestServer): Promise<TestClient> {
  const client = await TestClient.connect(srv.url);
  opened.push(client);
  return client;
}

async function hello(srv: TestServer, name: string): Promise<{ client: TestClient; welcome: Welcome }> {
  const client = await open(srv);
  client.send('hello', { name, lang: 'en' });
  const welcome = await waitFor(client, 'welcome');
  return { client, welcome };
}

async function createWorkshop(srv: TestServer, title = 'Class 5B'): Promise<Workshop> {
  const { client: host } = await hello(srv, 'Teacher');
  host.send('workshop:create', { title, line: 'perfect' });
  const created = await waitFor(host, 'workshop:created');
  await waitFor(host, 'workshop:dashboard', (d) => d.code === created.code);
  return { host, code: created.code, hostToken: created.hostToken, created };
}

async function joinAll(srv: TestServer, code: string, names: readonly string[], habits: (i: number) => Habits = () => ({})): Promise<Pupil[]> {
  const pupils: Pupil[] = [];
  for (const [i, name] of names.entries()) {
    const { client, welcome } = await hello(srv, name);
    client.send('call:join', { code });
    const status = await waitFor(client, 'workshop:status');
    expect(status.code).toBe(code);
    expect(status.participantId).toBe(welcome.playerId);
    expect(status.name).toBe(name);
    pupils.push(new Pupil(name, client, welcome, habits(i)));
  }
  return pupils;
}

/** The host starts a round; waits until every pupil has its call. Returns the dashboard right after. */
async function startRound(w: Workshop, pupils: readonly Pupil[], level: LevelId | null, rotate: boolean): Promise<Dashboard> {
  const marks = pupils.map((p) => p.client.received.length);
  const answer = await request(w.host, 'workshop:round', { code: w.code, hostToken: w.hostToken, action: 'start', level, rotate });
  expect(errorsIn(answer)).toEqual([]);
  await Promise.all(pupils.map((p, i) => waitFor(p.client, 'call:started', () => true, marks[i])));
  for (const p of pupils) p.absorb();
  return dashboardOf(w.host);
}

async function endRound(w: Workshop): Promise<Dashboard> {
  const answer = await request(w.host, 'workshop:round', { code: w.code, hostToken: w.hostToken, action: 'end' });
  expect(errorsIn(answer)).toEqual([]);
  const board = dashboardOf(w.host);
  expect(board.roundOpen).toBe(false);
  return board;
}

const names = (n: number, prefix = 'P'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}`);

// ---------------------------------------------------------------- the tests

/**
 * A real store whose workshop lookups can be held at a starting line: the next `n` wait
 * until all `n` have come, then go on together, so two requests race from the same point.
 */
class StartingLineStore extends Store {
  private line: { readonly n: number; readonly waiting: (() => void)[]; readonly allThere: () => void } | null = null;

  /** Hold the next `n` lookups; resolves once they are all released. */
  holdLookups(n: number): Promise<void> {
    return new Promise((allThere) => {
      this.line = { n, waiting: [], allThere };
    });
  }

  override async workshopByCode(code: string): Promise<WorkshopRow | null> {
    const line = this.line;
    if (line !== null) {
      await new Promise<void>((go) => {
        line.waiting.push(go);
        if (line.waiting.length < line.n) return;
        this.line = null;
        for (const release of line.waiting) release();
        line.allThere();
      });
    }
    return super.workshopByCode(code);
  }
}

let srv: TestServer;
let cluster: PostgresCluster | null = null;
let databases = 0;
afterAll(() => cluster?.stop());

/**
 * Every workshop test, run once with each store: the server's default (SQLite, in memory)
 * and a PostgreSQL database of its own on a cluster this file starts (test/support/postgres.ts).
 */
function workshopTests(kind: 'sqlite' | 'postgres'): void {
  beforeEach(async () => {
    let store: Store | undefined;
    if (kind === 'postgres') {
      cluster ??= await startPostgres();
      store = new Store({ kind: 'postgres', url: await cluster.createDatabase(`workshops_${++databases}`) });
    }
    srv = await startServer({ random: seededRandom(expect.getState().currentTestName ?? 'workshops'), ...(store === undefined ? {} : { store }) });
  }, 60_000);
  afterEach(async () => {
    for (const c of opened.splice(0)) c.close();
    await srv.close();
  });

  describe('a workshop of 21, two rounds, through the real server', () => {
    it('pairs, rotates, plays every call to the end, and the host’s figures, ranking and export match what happened', async () => {
      const w = await createWorkshop(srv);
      expect(w.created.joinLink).toBe(`/?join=${w.code}`);
      expect(w.created.hostLink).toContain(w.code);
      expect(w.hostToken).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
      const first = dashboardOf(w.host);
      expect(first).toMatchObject({ code: w.code, title: 'Class 5B', round: 0, roundOpen: false, participants: [], pairs: [] });

      // A few pupils get the confirmation wrong once; two answer a SYN too slowly (their partner's TCP asks again).
      const pupils = await joinAll(srv, w.code, names(21), (i) => ({ ...(i % 4 === 1 ? { wrongConfirm: true } : {}), ...(i === 2 || i === 9 ? { slowAnswerMs: 5_500 } : {}) }));
      await settle([w.host]);
      expect(dashboardOf(w.host).participants.map((p) => p.name)).toEqual(names(21));

      // Round 1: 10 human pairs and one pupil with a bot.
      const r1 = await startRound(w, pupils, 'hello', true);
      expect(r1.round).toBe(1);
      expect(r1.roundOpen).toBe(true);
      expect(r1.pairs).toHaveLength(11);
      expect(r1.pairs.filter((p) => p.b.participantId === null)).toHaveLength(1);
      expect(r1.pairs.filter((p) => p.a.participantId === null)).toHaveLength(0);
      const seated1 = r1.pairs.flatMap((p) => [p.a.participantId, p.b.participantId]).filter((id): id is string => id !== null);
      expect(new Set(seated1)).toEqual(new Set(pupils.map((p) => p.id)));
      for (const pair of r1.pairs) expect(pair.line).toBe('perfect');
      // Every pupil's call is the one the dashboard shows, with the partner it shows.
      for (const p of pupils) {
        const call = p.current!;
        expect(call.started.level).toBe('hello');
        const pair = r1.pairs.find((x) => x.callId === call.callId)!;
        expect(pair[call.side].participantId).toBe(p.id);
        const other = call.side === 'a' ? 'b' : 'a';
        expect(call.started.players[other].name).toBe(pair[other].name);
        expect(call.started.players[other].bot).toBe(pair[other].participantId === null);
      }
      await play(srv, pupils);
      for (const p of pupils) expect(p.current?.ended?.summary.outcome).toBe('polite');
      await settle([w.host]);
      const after1 = dashboardOf(w.host);
      expect(after1.pairs).toHaveLength(11);
      expect(after1.pairs.every((p) => p.outcome === 'polite')).toBe(true);
      await endRound(w);

      // Round 2, rotating: nobody meets their round-1 partner again.
      const r2 = await startRound(w, pupils, 'hello', true);
      expect(r2.round).toBe(2);
      expect(r2.pairs).toHaveLength(11);
      expect(r2.pairs.filter((p) => p.b.participantId === null)).toHaveLength(1);
      const met1 = new Set(r1.pairs.flatMap((p) => (p.b.participantId === null || p.a.participantId === null ? [] : [pairKey(p.a.participantId, p.b.participantId)])));
      for (const p of r2.pairs) if (p.a.participantId !== null && p.b.participantId !== null) expect(met1.has(pairKey(p.a.participantId, p.b.participantId))).toBe(false);
      // The same, as the pupils see it: a new partner's name.
      for (const p of pupils) {
        const [c1, c2] = p.calls;
        const partner = (c: CallPlay) => c.started.players[c.side === 'a' ? 'b' : 'a'];
        if (!partner(c1!).bot && !partner(c2!).bot) expect(partner(c2!).name).not.toBe(partner(c1!).name);
      }
      await play(srv, pupils);
      for (const p of pupils) expect(p.current?.ended?.summary.outcome).toBe('polite');
      const board = await endRound(w);

      // ---- the host's figures against the calls' own summaries
      const played = pupils.flatMap((p) => p.finished());
      const calls = new Map(played.map((x) => [x.callId, x.summary]));
      expect(calls.size).toBe(22);
      expect(board.figures.calls).toBe(calls.size);
      const handshakes = [...calls.values()].map((s) => s.handshakeMs).filter((ms): ms is number => ms !== null);
      expect(board.figures.connected).toBe(handshakes.length);
      expect(board.figures.medianHandshakeMs).toBe(median(handshakes));
      // Bots' own figures are not a participant's: sums are over the human sides.
      const retransmissions = played.reduce((n, x) => n + x.summary.sides[x.side].retransmissions, 0);
      const wrongMoves = played.reduce((n, x) => n + x.summary.sides[x.side].wrongMoves, 0);
      const deliberate = pupils.reduce((n, p) => n + p.wrongMoves, 0);
      expect(deliberate).toBeGreaterThan(0);
      expect(retransmissions).toBeGreaterThan(0);
      expect(board.figures.retransmissions).toBe(retransmissions);
      expect(wrongMoves).toBe(deliberate);
      expect(board.figures.wrongMoves).toBe(wrongMoves);
      expect(board.figures.mistakesByStep.confirm).toBe(deliberate);
      expect(Object.values(board.figures.mistakesByStep).reduce((n, x) => n + x, 0)).toBe(deliberate);
      for (const p of pupils) {
        const score = p.finished().reduce((n, x) => n + x.summary.sides[x.side].score, 0);
        expect(score).toBeGreaterThan(0);
        expect(board.ranking.find((r) => r.participantId === p.id)?.score, p.name).toBe(score);
        expect(board.participants.find((r) => r.id === p.id)?.score, p.name).toBe(score);
      }
      expect(board.ranking).toHaveLength(21);
      // The misconception report: each pupil's wrong ACK numbers, counted at the confirm step.
      expect(board.reports.map((r) => r.participantId)).toEqual(board.participants.filter((p) => !p.removed).map((p) => p.id));
      for (const p of pupils) {
        const report = board.reports.find((r) => r.participantId === p.id)!;
        expect(report, p.name).toMatchObject({ name: p.name, calls: p.finished().length, wrongMoves: p.wrongMoves });
        expect(report.steps, p.name).toEqual(p.wrongMoves === 0 ? [] : [{ step: 'confirm', count: p.wrongMoves }]);
      }
      const scores = board.ranking.map((r) => r.score);
      expect(scores).toEqual([...scores].sort((x, y) => y - x));

      // ---- export: one row per human per call
      const url = (code: string, format: string) => `${srv.url}/api/workshops/${code}/results.${format}`;
      const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
      const csv = await fetch(url(w.code, 'csv'), auth(w.hostToken));
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      const lines = (await csv.text()).split('\r\n').filter((l) => l !== '');
      const header = lines[0]!.split(',');
      expect(header).toEqual(['round', 'name', 'partner', 'level', 'outcome', 'goalMet', 'score', 'handshakeMs', 'callMs', 'retransmissions', 'correctMoves', 'wrongMoves', 'callId']);
      expect(lines).toHaveLength(1 + played.length);
      expect(played).toHaveLength(42);
      for (const line of lines.slice(1)) {
        const cells = line.split(',');
        // Call ids (base64url, may start with "-") come out exactly as they are; only typed text
        // (names) is defused against spreadsheet formulas.
        const row = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
        const pupil = pupils.find((p) => p.name === row.name)!;
        const mine = pupil.finished().find((x) => x.callId === row.callId);
        if (mine === undefined) throw new Error(`no call ${row.callId} for ${row.name}: ${line}`);
        expect(Number(row.score)).toBe(mine.summary.sides[mine.side].score);
        expect(row.outcome).toBe('polite');
      }
      const json = await fetch(url(w.code, 'json'), auth(w.hostToken));
      expect(json.status).toBe(200);
      const body = (await json.json()) as { workshop: { code: string; rounds: number }; results: { participantId: string; callId: string; score: number }[] };
      expect(body.workshop).toMatchObject({ code: w.code, rounds: 2 });
      expect(body.results).toHaveLength(played.length);
      expect(new Set(body.results.map((r) => `${r.callId}/${r.participantId}`)).size).toBe(played.length);
      // The report, with a line of advice per step, in the language asked for.
      type Advised = { participantId: string; name: string; steps: { step: string; count: number; advice: string }[] };
      const reportOf = async (query: string) => ((await (await fetch(`${srv.url}/api/workshops/${w.code}/report.json${query}`, auth(w.hostToken))).json()) as { reports: Advised[] }).reports;
      const careless = pupils.find((p) => p.wrongMoves > 0)!;
      const en = (await reportOf('')).find((r) => r.participantId === careless.id)!;
      expect(en.steps).toEqual([{ step: 'confirm', count: careless.wrongMoves, advice: expect.stringContaining('ACK') }]);
      const zh = (await reportOf('?lang=zh')).find((r) => r.participantId === careless.id)!;
      expect(zh.steps[0]?.advice).toMatch(/[\u4e00-\u9fff]/);
      expect((body as unknown as { reports: Advised[] }).reports.find((r) => r.participantId === careless.id)?.steps).toEqual(en.steps);
      const reportCsv = await fetch(`${srv.url}/api/workshops/${w.code}/report.csv`, auth(w.hostToken));
      expect(reportCsv.status).toBe(200);
      const reportLines = (await reportCsv.text()).split('\r\n').filter((l) => l !== '');
      expect(reportLines[0]).toBe('name,calls,wrongMoves,step,count,advice');
      // One row per pupil here: nobody got more than one step wrong.
      expect(reportLines).toHaveLength(1 + pupils.length);
      expect(reportLines.some((l) => l.startsWith(`${careless.name},2,${careless.wrongMoves},confirm,${careless.wrongMoves},`))).toBe(true);
      expect((await fetch(`${srv.url}/api/workshops/${w.code}/report.csv`, auth('x'.repeat(22)))).status).toBe(403);
      expect((await fetch(`${srv.url}/api/workshops/${w.code}/secrets.csv`, auth(w.hostToken))).status).toBe(404);
      expect((await fetch(url(w.code, 'csv'), auth('x'.repeat(22)))).status).toBe(403);
      expect((await fetch(url(w.code, 'json'), auth(`${w.hostToken}x`))).status).toBe(403);
      expect((await fetch(url(w.code, 'json'))).status).toBe(403);
      expect((await fetch(url('ZZZZZZ', 'csv'), auth(w.hostToken))).status).toBe(403);
      expect((await fetch(url('ZZZZZZ', 'json'), auth(w.hostToken))).status).toBe(403);

      // ---- what participants never see
      for (const p of pupils) {
        const everything = JSON.stringify(p.client.received);
        expect(everything.includes(w.hostToken), `${p.name} saw the host's key`).toBe(false);
        expect(p.client.all('workshop:dashboard'), p.name).toHaveLength(0);
        expect(p.client.all('workshop:created'), p.name).toHaveLength(0);
      }
      const secrets = pupils.flatMap((p) => p.secrets);
      expect(secrets.length).toBeGreaterThanOrEqual(42);
      for (const s of secrets) {
        const pair = [r1, r2].flatMap((r) => r.pairs).find((x) => x.callId === s.callId)!;
        const humans = [pair.a.participantId, pair.b.participantId].filter((id): id is string => id !== null).sort();
        const saw = pupils.filter((p) => JSON.stringify(p.client.received).includes(s.text)).map((p) => p.id).sort();
        expect(saw, s.text).toEqual(humans);
        expect(JSON.stringify(w.host.received).includes(s.text)).toBe(false);
      }
    }, 180_000);
  });

  describe('a wrong host key, or a code that does not exist', () => {
    it('is refused for every host request, and nothing changes', async () => {
      const w = await createWorkshop(srv);
      const pupils = await joinAll(srv, w.code, names(3));
      const r1 = await startRound(w, pupils, 'hello', false);
      const liveCall = r1.pairs[0]!.callId;
      const target = pupils[0]!.id;
      // Another workshop's real key is still the wrong key here.
      const other = await createWorkshop(srv, 'Another class');
      const { client: intruder } = await hello(srv, 'Intruder');

      await settle([w.host, ...pupils.map((p) => p.client)]);
      const before = dashboardOf(w.host);
      const seen = pupils.map((p) => realMessages(p.client).length);
      const hostBoards = w.host.all('workshop:dashboard').length;

      const requests = (code: string, hostToken: string) =>
        [
          ['workshop:host', { code, hostToken }],
          ['workshop:round', { code, hostToken, action: 'end' }],
          ['workshop:round', { code, hostToken, action: 'start', level: 'random', rotate: true }],
          ['workshop:weather', { code, hostToken, line: 'terrible' }],
          ['workshop:weather', { code, hostToken, line: 'terrible', callId: liveCall }],
          ['workshop:participant', { code, hostToken, participantId: target, action: 'rename', name: 'Hacked' }],
          ['workshop:participant', { code, hostToken, participantId: target, action: 'remove' }],
          ['workshop:settings', { code, hostToken, leaderboard: true, teaching: true, prompts: ['Pwned?'] }],
        ] as const;
      const wrongTokens = [other.hostToken, 'A'.repeat(22), `${w.hostToken.slice(0, -1)}${w.hostToken.endsWith('A') ? 'B' : 'A'}`];
      for (const client of [intruder, other.host, w.host]) {
        for (const token of wrongTokens) {
          for (const [event, payload] of requests(w.code, token)) {
            const answer = await request(client, event, payload as never);
            expect(errorsIn(answer), `${event} with a wrong key`).toEqual(['workshop/bad-token']);
            expect(answer.filter((r) => r.event === 'error').map((r) => (r.payload as { event?: string }).event)).toEqual([event]);
            expect(answer.filter((r) => r.event !== 'error'), `${event} with a wrong key`).toEqual([]);
          }
        }
        for (const [event, payload] of requests('ZZZZZZ', w.hostToken)) {
          const answer = await request(client, event, payload as never);
          expect(errorsIn(answer), `${event} for an unknown code`).toEqual(['workshop/not-found']);
          expect(answer.filter((r) => r.event !== 'error')).toEqual([]);
        }
      }
      // Nobody was told anything, and the intruder never saw a dashboard.
      await settle([w.host, ...pupils.map((p) => p.client)]);
      expect(intruder.all('workshop:dashboard')).toHaveLength(0);
      expect(pupils.map((p) => realMessages(p.client).length)).toEqual(seen);
      expect(w.host.all('workshop:dashboard')).toHaveLength(hostBoards);
      // The workshop is as it was: same round, same names, same line, same settings.
      const again = await request(w.host, 'workshop:host', { code: w.code, hostToken: w.hostToken });
      expect(errorsIn(again)).toEqual([]);
      const after = dashboardOf(w.host);
      expect(after).toEqual(before);
      expect(after.round).toBe(1);
      expect(after.roundOpen).toBe(true);
      expect(after.participants.find((p) => p.id === target)).toMatchObject({ name: 'P01', removed: false });
      expect(after.pairs.every((p) => p.line === 'perfect')).toBe(true);
      expect(after.leaderboard).toBe(false);
      expect(after.teaching).toBe(false);
      expect(after.prompts).not.toContain('Pwned?');

      // With its own right key, the other host still cannot reach into this workshop.
      const cross1 = await request(other.host, 'workshop:weather', { code: other.code, hostToken: other.hostToken, line: 'terrible', callId: liveCall });
      expect(errorsIn(cross1)).toEqual(['workshop/call-not-found']);
      const cross2 = await request(other.host, 'workshop:participant', { code: other.code, hostToken: other.hostToken, participantId: target, action: 'remove' });
      expect(errorsIn(cross2)).toEqual(['workshop/no-participant']);
      await settle([w.host]);
      expect(dashboardOf(w.host)).toEqual(before);
    }, 60_000);
  });

  describe('the host’s controls', () => {
    it('renames, removes, shows the leaderboard, saves prompts and changes one pair’s weather', async () => {
      const w = await createWorkshop(srv);
      const pupils = await joinAll(srv, w.code, names(5));
      const [p1, p2, p3] = pupils as [Pupil, Pupil, Pupil, ...Pupil[]];
      // A second host tab (another connection, another player) proves itself with the key.
      const { client: tab } = await hello(srv, 'Teacher, second tab');
      expect(errorsIn(await request(tab, 'workshop:host', { code: w.code, hostToken: w.hostToken }))).toEqual([]);
      const everyone = () => [w.host, tab, ...pupils.map((p) => p.client)];

      // Rename: the pupil's status and the roster follow.
      let answer = await request(w.host, 'workshop:participant', { code: w.code, hostToken: w.hostToken, participantId: p1.id, action: 'rename', name: 'Ada' });
      expect(errorsIn(answer)).toEqual([]);
      await settle(everyone());
      expect(statusOf(p1.client).name).toBe('Ada');
      expect(dashboardOf(w.host).participants.find((p) => p.id === p1.id)?.name).toBe('Ada');
      expect(dashboardOf(tab).participants.find((p) => p.id === p1.id)?.name).toBe('Ada');
      expect(dashboardOf(w.host).ranking.find((p) => p.participantId === p1.id)?.name).toBe('Ada');

      // Leaderboard on: every participant's status carries a ranking; off: null.
      answer = await request(w.host, 'workshop:settings', { code: w.code, hostToken: w.hostToken, leaderboard: true });
      expect(errorsIn(answer)).toEqual([]);
      await settle(everyone());
      expect(dashboardOf(w.host).leaderboard).toBe(true);
      for (const p of pupils) {
        const ranking = statusOf(p.client).ranking;
        expect(Array.isArray(ranking), p.name).toBe(true);
        expect(ranking?.map((r) => r.name).sort()).toEqual(['Ada', 'P02', 'P03', 'P04', 'P05']);
      }
      answer = await request(w.host, 'workshop:settings', { code: w.code, hostToken: w.hostToken, leaderboard: false });
      expect(errorsIn(answer)).toEqual([]);
      await settle(everyone());
      for (const p of pupils) expect(statusOf(p.client).ranking, p.name).toBeNull();

      // Prompts: saved, and every participant's status carries them.
      const prompts = ['What did you have for breakfast?', 'Cats or dogs?'];
      answer = await request(w.host, 'workshop:settings', { code: w.code, hostToken: w.hostToken, prompts });
      expect(errorsIn(answer)).toEqual([]);
      await settle(everyone());
      expect(dashboardOf(w.host).prompts).toEqual(prompts);
      for (const p of pupils) expect(statusOf(p.client).prompts, p.name).toEqual(prompts);

      // A round: the weather of one pair changes that call's line, and only that one.
      const r1 = await startRound(w, pupils, 'hello', false);
      expect(r1.pairs).toHaveLength(3);
      for (const p of pupils) expect(statusOf(p.client)).toMatchObject({ round: 1, roundOpen: true, prompts });
      const stormy = r1.pairs.find((x) => x.a.participantId === p3.id || x.b.participantId === p3.id)!;
      answer = await request(w.host, 'workshop:weather', { code: w.code, hostToken: w.hostToken, line: 'terrible', callId: stormy.callId });
      expect(errorsIn(answer)).toEqual([]);
      const weathered = dashboardOf(w.host);
      expect(weathered.line).toBe('perfect');
      for (const pair of weathered.pairs) expect(pair.line, pair.callId).toBe(pair.callId === stormy.callId ? 'terrible' : 'perfect');
      answer = await request(w.host, 'workshop:weather', { code: w.code, hostToken: w.hostToken, line: 'terrible', callId: 'no-such-call' });
      expect(errorsIn(answer)).toEqual(['workshop/call-not-found']);

      // Remove a participant in the middle of a call: told so, out of the call, and cannot come back.
      const p2Pair = r1.pairs.find((x) => x.a.participantId === p2.id || x.b.participantId === p2.id)!;
      const partnerId = p2Pair.a.participantId === p2.id ? p2Pair.b.participantId : p2Pair.a.participantId;
      answer = await request(w.host, 'workshop:participant', { code: w.code, hostToken: w.hostToken, participantId: p2.id, action: 'remove' });
      expect(errorsIn(answer)).toEqual([]);
      const removed = await waitFor(p2.client, 'workshop:removed');
      expect(removed.code).toBe(w.code);
      // The partner hears the hang-up once it lands.
      srv.clock.advance(1_000);
      if (partnerId !== null) {
        const partner = pupils.find((p) => p.id === partnerId)!;
        const ended = await waitFor(partner.client, 'call:ended', (e) => e.callId === p2Pair.callId);
        expect(ended.summary.outcome).toBe('hung-up');
      }
      await settle([w.host]);
      let board = dashboardOf(w.host);
      expect(board.participants.find((p) => p.id === p2.id)).toMatchObject({ removed: true, callId: null });
      expect(board.ranking.some((r) => r.participantId === p2.id)).toBe(false);
      const rejoin = await request(p2.client, 'call:join', { code: w.code });
      expect(errorsIn(rejoin)).toEqual(['workshop/removed']);
      expect(rejoin.filter((r) => r.event === 'workshop:status' || r.event === 'call:started')).toEqual([]);
      // Later news reaches the others, not the removed one.
      const p2Statuses = p2.client.all('workshop:status').length;
      answer = await request(w.host, 'workshop:settings', { code: w.code, hostToken: w.hostToken, leaderboard: true });
      await settle(everyone());
      expect(p2.client.all('workshop:status')).toHaveLength(p2Statuses);
      expect(statusOf(p1.client).ranking?.some((r) => r.name === 'P02')).toBe(false);
      // Removing someone twice, or someone who never joined, is refused.
      answer = await request(w.host, 'workshop:participant', { code: w.code, hostToken: w.hostToken, participantId: 'nobody-here', action: 'remove' });
      expect(errorsIn(answer)).toEqual(['workshop/no-participant']);

      board = await endRound(w);
      expect(board.pairs.every((p) => p.outcome !== null)).toBe(true);
      // The next round goes on without the removed participant.
      const r2 = await startRound(w, pupils.filter((p) => p !== p2), 'hello', true);
      const seated = r2.pairs.flatMap((p) => [p.a.participantId, p.b.participantId]);
      expect(seated).not.toContain(p2.id);
      expect(seated.filter((id) => id !== null)).toHaveLength(4);
      await endRound(w);
      for (const p of pupils) {
        expect(JSON.stringify(p.client.received).includes(w.hostToken)).toBe(false);
        expect(p.client.all('workshop:dashboard')).toHaveLength(0);
      }
      await settle([tab]);
      expect(dashboardOf(tab)).toEqual(dashboardOf(w.host));
    }, 60_000);

    it('lets the host watch one pair read-only, tells that pair, and lets nobody else watch', async () => {
      const w = await createWorkshop(srv);
      const pupils = await joinAll(srv, w.code, names(4));
      const r1 = await startRound(w, pupils, 'hello', false);
      const [first, second] = r1.pairs as [Dashboard['pairs'][number], Dashboard['pairs'][number]];
      const inPair = (pair: Dashboard['pairs'][number]) => pupils.filter((p) => p.id === pair.a.participantId || p.id === pair.b.participantId);
      const everyone = () => [w.host, ...pupils.map((p) => p.client)];
      const shownTo = (p: Pupil) => p.client.all('call:shown');

      // A participant has no key: refused, and nobody is told anything.
      const outsider = inPair(second)[0]!;
      let answer = await request(outsider.client, 'workshop:spectate', { code: w.code, hostToken: 'x'.repeat(22), callId: first.callId });
      expect(errorsIn(answer)).toEqual(['workshop/bad-token']);
      answer = await request(outsider.client, 'workshop:spectate', { code: w.code, callId: first.callId } as never);
      expect(errorsIn(answer)).toEqual(['input/invalid']);
      await settle(everyone());
      for (const p of pupils) expect(shownTo(p), p.name).toEqual([]);
      expect(dashboardOf(w.host).pairs.every((p) => !p.shown)).toBe(true);

      // The host watches the first pair: a snapshot now, that pair told, the dashboard marks it.
      answer = await request(w.host, 'workshop:spectate', { code: w.code, hostToken: w.hostToken, callId: first.callId });
      expect(errorsIn(answer)).toEqual([]);
      const spectating = lastOf(w.host, 'workshop:spectating');
      expect(spectating.callId).toBe(first.callId);
      expect(spectating.call).toMatchObject({ callId: first.callId, shown: true, level: 'hello' });
      await settle(everyone());
      for (const p of pupils) expect(shownTo(p), p.name).toEqual(inPair(first).includes(p) ? [{ callId: first.callId, on: true }] : []);
      expect(dashboardOf(w.host).pairs.map((p) => p.shown)).toEqual(r1.pairs.map((p) => p.callId === first.callId));
      expect(errorsIn(await request(w.host, 'workshop:spectate', { code: w.code, hostToken: w.hostToken, callId: 'no-such-call' }))).toEqual(['workshop/call-not-found']);

      // Everything the watched pair sees, the host sees, and nothing of the other pair.
      await play(srv, pupils);
      const watched = inPair(first)[0]!;
      const seen = (c: TestClient, callId: string) => c.all('call:update').filter((u) => u.callId === callId).map((u) => u.time);
      expect(seen(w.host, first.callId).length).toBeGreaterThan(3);
      expect(seen(w.host, first.callId)).toEqual(seen(watched.client, first.callId));
      expect(seen(w.host, second.callId)).toEqual([]);
      const ended = w.host.all('call:ended').find((e) => e.callId === first.callId);
      expect(ended?.record.moves.length).toBeGreaterThan(0);
      expect(w.host.all('call:started')).toEqual([]);

      // Watching the other pair: the first is told it is off the big screen.
      await endRound(w);
      const r2 = await startRound(w, pupils, 'hello', false);
      const next = r2.pairs[0]!;
      answer = await request(w.host, 'workshop:spectate', { code: w.code, hostToken: w.hostToken, callId: next.callId });
      expect(errorsIn(answer)).toEqual([]);
      await settle(everyone());
      for (const p of inPair(first)) expect(shownTo(p), p.name).toContainEqual({ callId: first.callId, on: false });
      for (const p of inPair(next)) expect(shownTo(p).at(-1), p.name).toEqual({ callId: next.callId, on: true });
      // And stopping.
      answer = await request(w.host, 'workshop:spectate', { code: w.code, hostToken: w.hostToken, callId: null });
      expect(errorsIn(answer)).toEqual([]);
      expect(lastOf(w.host, 'workshop:spectating')).toEqual({ callId: null, call: null });
      await settle(everyone());
      for (const p of inPair(next)) expect(shownTo(p).at(-1), p.name).toEqual({ callId: next.callId, on: false });
      expect(dashboardOf(w.host).pairs.every((p) => !p.shown)).toBe(true);
    }, 60_000);

    it('gives a late joiner a call with a bot at once, and counts it', async () => {
      const w = await createWorkshop(srv);
      const pupils = await joinAll(srv, w.code, names(2));
      const r1 = await startRound(w, pupils, 'hello', false);
      expect(r1.pairs).toHaveLength(1);
      const [late] = await joinAll(srv, w.code, ['Late']);
      const started = await waitFor(late!.client, 'call:started');
      expect(started.you).toBe('a');
      expect(started.players.b.bot).toBe(true);
      expect(started.level).toBe('hello');
      expect(statusOf(late!.client)).toMatchObject({ round: 1, roundOpen: true });
      await settle([w.host]);
      const board = dashboardOf(w.host);
      expect(board.pairs).toHaveLength(2);
      expect(board.pairs.find((p) => p.callId === started.callId)).toMatchObject({ a: { participantId: late!.welcome.playerId, name: 'Late' }, b: { participantId: null } });

      const all = [...pupils, late!];
      await play(srv, all);
      for (const p of all) expect(p.current?.ended?.summary.outcome).toBe('polite');
      await settle([w.host]);
      const after = dashboardOf(w.host);
      expect(after.figures.calls).toBe(2);
      expect(after.figures.connected).toBe(2);
      const lateScore = late!.finished().reduce((n, x) => n + x.summary.sides[x.side].score, 0);
      expect(after.ranking.find((r) => r.participantId === late!.id)?.score).toBe(lateScore);
      // Between rounds, a newcomer just waits.
      await endRound(w);
      const [between] = await joinAll(srv, w.code, ['Between']);
      await settle([between!.client]);
      expect(between!.client.all('call:started')).toHaveLength(0);
      expect(statusOf(between!.client).roundOpen).toBe(false);
    }, 60_000);
  });

  describe('rotation and seats (known problems)', () => {
    it('never repeats a partner when a pairing without repeats exists', async () => {
      const problems: string[] = [];
      for (let k = 0; k < 12; k++) {
        const w = await createWorkshop(srv, `Rotation ${k}`);
        const pupils = await joinAll(srv, w.code, names(6, `R${k}-`));
        const met = new Set<string>();
        for (let round = 1; round <= 3; round++) {
          const board = await startRound(w, pupils, 'hello', true);
          const pairs = board.pairs.map((p) => [p.a.participantId, p.b.participantId] as const);
          const repeats = pairs.filter(([a, b]) => a !== null && b !== null && met.has(pairKey(a, b)));
          if (repeats.length > 0 && freshMatchingExists(pupils.map((p) => p.id), met)) problems.push(`workshop ${k} round ${round}: ${repeats.length} repeated pair(s)`);
          for (const [a, b] of pairs) if (a !== null && b !== null) met.add(pairKey(a, b));
          await endRound(w);
        }
        w.host.close();
        for (const p of pupils) p.client.close();
      }
      expect(problems).toEqual([]);
    }, 120_000);

    it('takes a participant out of quick match when their workshop call starts', async () => {
      const w = await createWorkshop(srv);
      const { client: pia, welcome } = await hello(srv, 'Pia');
      let answer = await request(pia, 'queue:join', { line: 'perfect' });
      expect(answer.map((r) => r.event)).toEqual(['queue:waiting']);
      answer = await request(pia, 'call:join', { code: w.code });
      expect(errorsIn(answer)).toEqual([]);
      const board = await startRound(w, [new Pupil('Pia', pia, welcome)], 'hello', false);
      expect(board.pairs).toHaveLength(1);
      const { client: stranger } = await hello(srv, 'Stranger');
      const answered = await request(stranger, 'queue:join', { line: 'perfect' });
      await settle([pia]);
      // Pia is in her workshop call: the stranger waits, and Pia gets no second call.
      expect(answered.map((r) => r.event)).toEqual(['queue:waiting']);
      expect(pia.all('call:started')).toHaveLength(1);
    }, 30_000);

    it('keeps the host’s rename when a participant reconnects', async () => {
      const w = await createWorkshop(srv);
      const pupils = await joinAll(srv, w.code, ['Rude Name', 'Bea']);
      const [rude, bea] = pupils as [Pupil, Pupil];
      const answer = await request(w.host, 'workshop:participant', { code: w.code, hostToken: w.hostToken, participantId: rude.id, action: 'rename', name: 'Ada' });
      expect(errorsIn(answer)).toEqual([]);
      await settle([rude.client]);
      expect(statusOf(rude.client).name).toBe('Ada');
      // The connection drops and comes back, saying hello as the browser does: its saved name and token.
      rude.client.close();
      const { client: back } = await (async () => {
        const client = await open(srv);
        client.send('hello', { name: 'Rude Name', lang: 'en', resumeToken: rude.welcome.resumeToken });
        return { client, welcome: await waitFor(client, 'welcome') };
      })();
      const welcome = lastOf(back, 'welcome');
      expect(welcome.resumed).toBe(true);
      await settle([w.host]);
      const round = await startRound(w, [new Pupil('Ada', back, welcome), bea], 'hello', false);
      const roster = round.participants.find((p) => p.id === rude.id)?.name;
      const seenByPartner = lastOf(bea.client, 'call:started').players[lastOf(bea.client, 'call:started').you === 'a' ? 'b' : 'a'].name;
      expect({ roster, welcome: welcome.name, seenByPartner }).toEqual({ roster: 'Ada', welcome: 'Ada', seenByPartner: 'Ada' });
    }, 30_000);
  });

  describe('one workshop’s work in turn (what an asynchronous store could get wrong)', () => {
    /** Send a request with an acknowledgement; resolves with its one answer. */
    const ask = <E extends keyof ClientToServerEvents>(client: TestClient, event: E, payload: Parameters<ClientToServerEvents[E]>[0]): Promise<Reply<E>> =>
      new Promise((resolve) => client.sendRaw(event, payload, resolve));

    /** A server on a real store of this kind whose workshop lookups can be held at a starting line. */
    async function startGated(): Promise<{ srv: TestServer; store: StartingLineStore }> {
      const config: StoreConfig = kind === 'sqlite' ? { kind: 'sqlite', path: ':memory:' } : { kind: 'postgres', url: await cluster!.createDatabase(`workshops_${++databases}`) };
      const store = new StartingLineStore(config);
      return { srv: await startServer({ random: seededRandom(expect.getState().currentTestName ?? 'gated'), store }), store };
    }

    it('seats a participant who joins from two tabs at once only once, and answers both', async () => {
      const gated = await startGated();
      const previous = srv;
      srv = gated.srv;
      try {
        const w = await createWorkshop(srv);
        const { client: tab1, welcome } = await hello(srv, 'Tess');
        const tab2 = await open(srv);
        tab2.send('hello', { lang: 'en', resumeToken: welcome.resumeToken });
        expect(await waitFor(tab2, 'welcome')).toMatchObject({ playerId: welcome.playerId, resumed: true });
        // Both requests find the workshop, then set off together.
        const released = gated.store.holdLookups(2);
        const replies = Promise.all([ask(tab1, 'call:join', { code: w.code }), ask(tab2, 'call:join', { code: w.code })]);
        await released;
        for (const reply of await replies) expect(reply).toMatchObject({ ok: true, event: 'workshop:status', payload: { code: w.code, participantId: welcome.playerId, name: 'Tess' } });
        await settle([w.host, tab1, tab2]);
        expect(dashboardOf(w.host).participants.map((p) => [p.id, p.name])).toEqual([[welcome.playerId, 'Tess']]);
      } finally {
        srv = previous;
        await gated.srv.close();
      }
    }, 30_000);

    it('answers a connection’s requests in the order they came, when the first waits for the store and the next does not', async () => {
      const gated = await startGated();
      const previous = srv;
      srv = gated.srv;
      try {
        const w = await createWorkshop(srv);
        const { client: pia } = await hello(srv, 'Pia');
        const { client: olga } = await hello(srv, 'Olga');
        // Pia's join waits at the starting line; her next request needs no store at all.
        const released = gated.store.holdLookups(2);
        const arrived = new Promise<void>((resolve) => {
          srv.server.io.sockets.sockets.get(pia.socket.id!)!.prependAny((event: string) => {
            if (event === 'queue:leave') resolve();
          });
        });
        const from = pia.received.length;
        pia.send('call:join', { code: w.code });
        pia.send('queue:leave', {});
        await arrived;
        olga.send('call:join', { code: w.code });
        await released;
        await waitFor(pia, 'error', (e) => e.event === 'queue:leave', from);
        const answers = pia.received.slice(from).filter((r) => r.event === 'workshop:status' || r.event === 'error');
        expect(answers.map((r) => (r.event === 'error' ? (r.payload as { code: string }).code : r.event))).toEqual(['workshop:status', 'queue/not-waiting']);
      } finally {
        srv = previous;
        await gated.srv.close();
      }
    }, 30_000);

    it('ends a round (writing its calls’ results) before starting the next, asked from two host tabs at once', async () => {
      const gated = await startGated();
      const previous = srv;
      srv = gated.srv;
      try {
        const w = await createWorkshop(srv);
        const { client: tab } = await hello(srv, 'Teacher, second tab');
        const pupils = await joinAll(srv, w.code, names(2));
        await startRound(w, pupils, 'hello', false);
        // Both requests find the workshop, then set off together: one ends the round with its call on, one starts the next.
        const released = gated.store.holdLookups(2);
        const asked = Promise.all([
          ask(w.host, 'workshop:round', { code: w.code, hostToken: w.hostToken, action: 'end' }),
          ask(tab, 'workshop:round', { code: w.code, hostToken: w.hostToken, action: 'start', level: 'hello', rotate: false }),
        ]);
        await released;
        const [ended, next] = await asked;
        if (!ended.ok || ended.event !== 'workshop:dashboard' || !next.ok || next.event !== 'workshop:dashboard') throw new Error(`refused: ${JSON.stringify([ended, next])}`);
        await settle(pupils.map((p) => p.client));
        for (const p of pupils) p.absorb();
        const first = pupils.map((p) => p.calls[0]!);
        for (const call of first) expect(call.ended?.summary.outcome).toBe('ended-by-host');
        expect(ended.payload).toMatchObject({ round: 1, roundOpen: false, figures: { calls: 1 } });
        expect(ended.payload.pairs.map((p) => p.outcome)).toEqual(['ended-by-host']);
        expect(next.payload).toMatchObject({ round: 2, roundOpen: true, figures: { calls: 2 } });
        expect(next.payload.pairs.map((p) => p.outcome)).toEqual([null]);
        // The round-1 results were written once, before round 2 began.
        const exported = (await (await fetch(`${srv.url}/api/workshops/${w.code}/results.json`, { headers: { authorization: `Bearer ${w.hostToken}` } })).json()) as { results: { round: number }[] };
        expect(exported.results.map((r) => r.round)).toEqual([1, 1]);
      } finally {
        srv = previous;
        await gated.srv.close();
      }
    }, 60_000);
  });
}

describe('workshops kept in SQLite', () => workshopTests('sqlite'));
describe.skipIf(postgresBin() === null)('workshops kept in PostgreSQL', () => workshopTests('postgres'));

/** Is there a perfect matching of `ids` (one may sit out with a bot) that uses no pair in `met`? */
function freshMatchingExists(ids: readonly string[], met: ReadonlySet<string>): boolean {
  const go = (left: readonly string[], botUsed: boolean): boolean => {
    if (left.length === 0) return true;
    const [a, ...rest] = left as [string, ...string[]];
    if (!botUsed && left.length % 2 === 1 && go(rest, true)) return true;
    return rest.some((b, i) => !met.has(pairKey(a, b)) && go([...rest.slice(0, i), ...rest.slice(i + 1)], botUsed));
  };
  return go(ids, false);
}

describe('results CSV', () => {
  it('defuses typed text that a spreadsheet would run, and quotes commas and quotes', async () => {
    const { resultsCsv } = await import('../../server/export');
    const base = {
      workshopId: 'w', round: 1, callId: '-abc', participantId: 'p', partnerId: null, level: null, outcome: 'polite', goalMet: null, score: 10,
      handshakeMs: 1_800, callMs: 9_000, retransmissions: 0, correctMoves: 2, wrongMoves: 0, mistakes: {}, finishedAt: 0,
    } as const;
    const csv = resultsCsv([{ ...base, name: '=HYPERLINK("x")', partner: 'Bo, "the" bot' }]);
    const [, row] = csv.split('\r\n');
    expect(row).toBe(`1,"'=HYPERLINK(""x"")","Bo, ""the"" bot",,polite,,10,1800,9000,0,2,0,-abc`);
  });
});

describe('pairing without repeats', () => {
  it('finds a pairing with no repeat whenever one exists, the odd one out with the bot', async () => {
    const { pairWithoutRepeats } = await import('../../server/workshops');
    const key = (x: string, y: string) => (x < y ? `${x}|${y}` : `${y}|${x}`);
    // Six people after two rounds of a circle: a pairing with no repeat exists.
    const met = new Set([key('1', '2'), key('3', '4'), key('5', '6'), key('1', '3'), key('2', '5'), key('4', '6')]);
    const pairs = pairWithoutRepeats(['1', '2', '3', '4', '5', '6'], met)!;
    expect(pairs).toHaveLength(3);
    for (const [a, b] of pairs) expect(met.has(key(a, b!))).toBe(false);
    expect(pairWithoutRepeats(['1', '2'], new Set([key('1', '2')]))).toBeNull();
    expect(pairWithoutRepeats(['1', '2', '3'], new Set())).toEqual([['1', '2'], ['3', null]]);
  });
});
