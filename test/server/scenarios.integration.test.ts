/**
 * Scenarios through the real server on port 0 with real socket.io clients: a lossy line,
 * wrong answers, both goodbyes at once, hanging up, dropping out and coming back, bad
 * input of every kind, two calls side by side, and the lobby around them. The server runs
 * on a FakeClock: tests move time explicitly and only ever wait for messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CallEvent, Side } from '../../shared/call';
import { parseSegment } from '../../shared/protocol';
import type { Segment } from '../../shared/protocol';
import { CODE_ALPHABET, CODE_LENGTH, ERRORS, LIMITS } from '../../shared/wire';
import type { CallUpdate, ErrorCode, LineName } from '../../shared/wire';
import type { GameServerOptions } from '../../server/app';
import type { GatewayLimits } from '../../server/gateway';
import { SeededRandom, seedLosingTheFirstSyn } from '../support/random';
import { pairUp, roundTrip, startServer, TestClient, updateWith, type Received, type TestServer } from '../support/server';

// ---------------------------------------------------------------- helpers

let srv: TestServer | null = null;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await srv?.close();
  srv = null;
});

async function serve(options: Partial<GameServerOptions> = {}): Promise<TestServer> {
  srv = await startServer(options);
  return srv;
}

/** A connected client, closed after the test. */
async function connect(s: TestServer): Promise<TestClient> {
  const c = await TestClient.connect(s.url);
  clients.push(c);
  return c;
}

/** A connected client that said hello. */
async function hi(s: TestServer, name: string): Promise<TestClient> {
  const c = await connect(s);
  c.send('hello', { name, lang: 'en' });
  await c.next('welcome');
  return c;
}

async function pair(s: TestServer, line: LineName = 'perfect') {
  const p = await pairUp(s, line);
  clients.push(p.alice, p.bob);
  return p;
}

/** Close a client and wait until the server has handled its disconnect. */
async function closeAndWait(s: TestServer, c: TestClient): Promise<void> {
  const serverSide = s.server.io.sockets.sockets.get(c.socket.id ?? '');
  if (serverSide === undefined) throw new Error('no server socket for this client');
  // The gateway's own disconnect handler was added first, so it has run when this one does.
  const gone = new Promise<void>((resolve) => serverSide.once('disconnect', () => resolve()));
  c.close();
  await gone;
}

async function health(s: TestServer) {
  const res = await fetch(`${s.url}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Move the clock to a call time (call time 0 = clock time `t0`). */
function advanceTo(s: TestServer, t0: number, callTime: number): void {
  const ms = t0 + callTime - s.clock.now();
  if (ms < 0) throw new Error(`call time ${callTime} is already past`);
  s.clock.advance(ms);
}

type Sent = Extract<CallEvent, { type: 'segment-sent' }>;
const sentBy =
  (from: Side, test: (s: Segment) => boolean = () => true) =>
  (e: CallEvent): e is Sent =>
    e.type === 'segment-sent' && e.from === from && test(e.segment);
const pendingAt = (side: Side) => (e: CallEvent) => e.type === 'pending' && e.side === side;
const stateOf = (side: Side, to: string) => (e: CallEvent) => e.type === 'endpoint' && e.side === side && e.event.type === 'state' && e.event.to === to;
const closedWith = (side: Side, reason: string) => (e: CallEvent) =>
  e.type === 'endpoint' && e.side === side && e.event.type === 'closed' && e.event.reason === reason;
const isSyn = (s: Segment) => s.syn && !s.ack;
const isSynAck = (s: Segment) => s.syn && s.ack;

/** The first segment-sent event in an update that matches. */
function sentIn(update: CallUpdate, test: (e: CallEvent) => e is Sent): Sent {
  const found = update.events.find(test);
  if (found === undefined) throw new Error('no such segment in this update');
  return found;
}

/** Every event a client has been told about its call: the snapshot, then each update. */
function story(c: TestClient): CallEvent[] {
  return [...(c.all('call:started')[0]?.events ?? []), ...c.all('call:update').flatMap((u) => u.events)];
}

/** The story's handshake by named actions on a perfect line: 1 800 ms of call time. */
async function connectByActions(s: TestServer, a: TestClient, b: TestClient): Promise<void> {
  a.send('call:action', { action: 'ask' });
  await updateWith(a, sentBy('a', isSyn));
  s.clock.advance(600);
  await updateWith(b, pendingAt('b'));
  b.send('call:action', { action: 'answer' });
  await updateWith(b, sentBy('b', isSynAck));
  s.clock.advance(600);
  await updateWith(a, pendingAt('a'));
  a.send('call:action', { action: 'answer' });
  await updateWith(a, stateOf('a', 'ESTABLISHED'));
  s.clock.advance(600);
  await updateWith(b, stateOf('b', 'ESTABLISHED'));
}

// ---------------------------------------------------------------- (b) a lossy line

describe('(b) a handshake on a lossy line', () => {
  it('loses the first SYN, retransmits it after 5 s, and still connects', async () => {
    const seed = seedLosingTheFirstSyn();
    const s = await serve({ random: new SeededRandom('lossy', [seed]) });
    const { alice, bob } = await pair(s, 'bad');
    const t0 = s.clock.now();
    expect(alice.all('call:started')[0]!.line).toBe('bad');

    alice.send('call:action', { action: 'ask' });
    const asked = sentIn(await updateWith(alice, sentBy('a', isSyn)), sentBy('a', isSyn));
    expect(asked.retransmit).toBe(false);
    expect(asked.copies).toEqual([]);
    expect(asked.lost.map((l) => l.reason)).toEqual(['loss']);

    // Nobody clicks: the reply timer fires at 5 s by itself.
    s.clock.advance(5_000);
    const again = sentIn(await updateWith(alice, sentBy('a', isSyn)), sentBy('a', isSyn));
    expect(again.retransmit).toBe(true);
    expect(again.at).toBe(5_000);
    expect(again.segment).toEqual(asked.segment);
    expect(again.copies).toHaveLength(1);

    advanceTo(s, t0, again.copies[0]!.arriveAt);
    await updateWith(bob, pendingAt('b'));
    bob.send('call:action', { action: 'answer' });
    const answer = sentIn(await updateWith(bob, sentBy('b', isSynAck)), sentBy('b', isSynAck));
    expect(answer.segment.ackNo).toBe(asked.segment.seq + 1);

    advanceTo(s, t0, answer.copies[0]!.arriveAt);
    await updateWith(alice, pendingAt('a'));
    alice.send('call:action', { action: 'answer' });
    const done = await updateWith(alice, stateOf('a', 'ESTABLISHED'));
    const ack = sentIn(done, sentBy('a', (x) => x.ack && !x.syn));
    expect(ack.segment.ackNo).toBe(answer.segment.seq + 1);

    advanceTo(s, t0, ack.copies[0]!.arriveAt);
    const connected = await updateWith(bob, stateOf('b', 'ESTABLISHED'));
    expect(connected.view.a.state).toBe('ESTABLISHED');
    expect(connected.view.b.state).toBe('ESTABLISHED');
    // Bob saw the same story, retransmission included.
    expect(story(bob).filter((e) => e.type === 'segment-sent' && e.retransmit)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- (c) (d) (e) calls by hand

describe('calls played by hand on a perfect line', () => {
  it('(c) a wrong ACK in SYN_RCVD gets a RST; the right one then connects', async () => {
    const s = await serve();
    const { alice, bob } = await pair(s, 'perfect');
    alice.send('call:action', { action: 'ask' });
    await updateWith(alice, sentBy('a', isSyn));
    s.clock.advance(600);
    await updateWith(bob, pendingAt('b'));
    bob.send('call:move', { segment: parseSegment('<SEQ=3><ACK=2><CTL=SYN,ACK>') });
    await updateWith(bob, (e) => e.type === 'move-judged' && e.side === 'b' && e.ok);
    s.clock.advance(600);
    await updateWith(alice, pendingAt('a'));

    // "2 + 2 = 3": forgot the + 1.
    alice.send('call:move', { segment: parseSegment('<SEQ=2><ACK=3><CTL=ACK>') });
    const judged = await updateWith(alice, (e) => e.type === 'move-judged' && e.side === 'a');
    const verdict = judged.events.find((e) => e.type === 'move-judged');
    expect(verdict?.type === 'move-judged' && verdict.ok).toBe(false);
    expect(verdict?.type === 'move-judged' ? verdict.mistakes : []).toContainEqual(expect.objectContaining({ code: 'ack/off-by-one', expected: 4, got: 3 }));
    const wrong = sentIn(judged, sentBy('a'));
    expect(wrong.wrong).toBe(true);
    expect(wrong.segment).toEqual(parseSegment('<SEQ=2><ACK=3><CTL=ACK>'));
    expect(judged.view.a.state).toBe('SYN_SENT');
    expect(judged.view.a.pending).toHaveLength(1);

    s.clock.advance(600);
    const reset = await updateWith(bob, sentBy('b', (x) => x.rst));
    expect(sentIn(reset, sentBy('b', (x) => x.rst)).segment).toEqual(parseSegment('<SEQ=3><CTL=RST>'));
    expect(reset.view.b.state).toBe('SYN_RCVD');
    expect(reset.events.some((e) => e.type === 'endpoint' && e.side === 'b' && e.event.type === 'dropped' && e.event.code === 'ack/unacceptable')).toBe(true);

    // The RST reaches Alice, who is still in SYN_SENT with the question pending.
    s.clock.advance(600);
    const arrived = await updateWith(alice, (e) => e.type === 'segment-arrived' && e.to === 'a');
    expect(arrived.view.a.state).toBe('SYN_SENT');
    expect(arrived.view.a.pending).toHaveLength(1);
    alice.send('call:move', { segment: parseSegment('<SEQ=2><ACK=4><CTL=ACK>') });
    await updateWith(alice, stateOf('a', 'ESTABLISHED'));
    s.clock.advance(600);
    const both = await updateWith(bob, stateOf('b', 'ESTABLISHED'));
    expect(both.view.a.state).toBe('ESTABLISHED');
  });

  it('(d) both say goodbye at once: CLOSING, TIME_WAIT, and a polite end', async () => {
    const s = await serve();
    const { alice, bob } = await pair(s, 'perfect');
    await connectByActions(s, alice, bob);
    alice.send('call:action', { action: 'goodbye' });
    bob.send('call:action', { action: 'goodbye' });
    const finA = sentIn(await updateWith(alice, sentBy('a', (x) => x.fin)), sentBy('a', (x) => x.fin));
    const finB = sentIn(await updateWith(bob, sentBy('b', (x) => x.fin)), sentBy('b', (x) => x.fin));
    expect(finA.at).toBe(finB.at);
    expect(finA.segment).toEqual(parseSegment('<SEQ=2><ACK=4><CTL=FIN,ACK>'));
    expect(finB.segment).toEqual(parseSegment('<SEQ=4><ACK=2><CTL=FIN,ACK>'));

    s.clock.advance(600);
    await updateWith(alice, pendingAt('a'));
    await updateWith(bob, pendingAt('b'));
    alice.send('call:action', { action: 'answer' });
    bob.send('call:action', { action: 'answer' });
    await updateWith(alice, stateOf('a', 'CLOSING'));
    await updateWith(bob, stateOf('b', 'CLOSING'));
    s.clock.advance(600);
    const waiting = await updateWith(alice, stateOf('b', 'TIME_WAIT'));
    expect(waiting.view.a.state).toBe('TIME_WAIT');
    expect(waiting.view.b.state).toBe('TIME_WAIT');

    // TIME_WAIT is 2 × MSL = 10 s in a game call.
    s.clock.advance(10_000);
    const ended = await alice.next('call:ended');
    expect(ended.summary.outcome).toBe('polite');
    expect((await bob.next('call:ended')).summary.outcome).toBe('polite');
    const states = (side: Side) => story(alice).flatMap((e) => (e.type === 'endpoint' && e.side === side && e.event.type === 'state' ? [e.event.to] : []));
    expect(states('a')).toEqual(['LISTEN', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED']);
    expect(states('b')).toEqual(['LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED']);
  });

  it('(e) hanging up without a goodbye resets the partner', async () => {
    const s = await serve();
    const { alice, bob } = await pair(s, 'perfect');
    await connectByActions(s, alice, bob);
    alice.send('call:action', { action: 'hang-up' });
    const hung = await updateWith(alice, sentBy('a', (x) => x.rst));
    expect(sentIn(hung, sentBy('a', (x) => x.rst)).segment).toEqual(parseSegment('<SEQ=2><CTL=RST>'));
    expect(hung.events.some(closedWith('a', 'aborted'))).toBe(true);
    s.clock.advance(600);
    const reset = await updateWith(bob, closedWith('b', 'reset'));
    expect(reset.view.b.state).toBe('CLOSED');
    for (const c of [alice, bob]) {
      const ended = await c.next('call:ended');
      expect(ended.summary.outcome).toBe('hung-up');
      expect(ended.summary.by).toBe('a');
    }
  });
});

// ---------------------------------------------------------------- (f) dropping out

describe('(f) a dropped connection', () => {
  it('a player open in two tabs hears everything meant for them in both, and plays from either', async () => {
    const s = await serve();
    const tab1 = await connect(s);
    tab1.send('hello', { name: 'Ann', lang: 'en' });
    const first = await tab1.next('welcome');
    const tab2 = await connect(s);
    tab2.send('hello', { name: 'Ann', lang: 'en', resumeToken: first.resumeToken });
    expect(await tab2.next('welcome')).toMatchObject({ resumed: true, playerId: first.playerId });

    tab1.send('queue:join', { line: 'perfect' });
    expect(await tab1.next('queue:waiting')).toEqual(await tab2.next('queue:waiting'));
    const bea = await hi(s, 'Bea');
    bea.send('queue:join', { line: 'perfect' });
    const [started1, started2] = [await tab1.next('call:started'), await tab2.next('call:started')];
    expect(started2).toEqual(started1);

    // Both tabs are in the call, and what either does, both see (Ann asks from her second tab if she is the caller).
    (started1.you === 'a' ? tab2 : bea).send('call:action', { action: 'ask' });
    const seen1 = await updateWith(tab1, sentBy('a', isSyn));
    const seen2 = await updateWith(tab2, sentBy('a', isSyn));
    expect(seen2).toEqual(seen1);
  });

  it('comes back within the grace window on a new socket and carries on', async () => {
    const s = await serve();
    const { alice, bob, callId } = await pair(s, 'perfect');
    const bobWelcome = bob.all('welcome')[0]!;
    alice.send('call:action', { action: 'ask' });
    await updateWith(alice, sentBy('a', isSyn));
    s.clock.advance(600);
    await updateWith(bob, pendingAt('b'));

    bob.close();
    const gone = await alice.next('call:partner');
    expect(gone).toEqual({ callId, side: 'b', connected: false, graceUntil: 600 + 20_000 });
    s.clock.advance(1_000);

    const bob2 = await connect(s);
    bob2.send('hello', { name: 'Bob', lang: 'en', resumeToken: bobWelcome.resumeToken });
    const welcome = await bob2.next('welcome');
    expect(welcome).toMatchObject({ resumed: true, playerId: bobWelcome.playerId, resumeToken: bobWelcome.resumeToken });
    const started = await bob2.next('call:started');
    // Nothing about the call reaches the new socket before its snapshot.
    expect(bob2.received.map((r) => r.event).slice(0, 2)).toEqual(['welcome', 'call:started']);
    expect(started.callId).toBe(callId);
    expect(started.you).toBe('b');
    expect(started.players.b.connected).toBe(true);
    const back = await alice.next('call:partner');
    expect(back).toEqual({ callId, side: 'b', connected: true, graceUntil: null });
    // Everything so far, exactly as Alice (who never left) was told it.
    expect(started.events).toEqual(story(alice));
    expect(started.events.some(pendingAt('b'))).toBe(true);
    expect(started.view.b.state).toBe('LISTEN');
    expect(started.view.b.pending).toHaveLength(1);

    bob2.send('call:action', { action: 'answer' });
    await updateWith(bob2, sentBy('b', isSynAck));
    s.clock.advance(600);
    await updateWith(alice, pendingAt('a'));
    alice.send('call:action', { action: 'answer' });
    await updateWith(alice, stateOf('a', 'ESTABLISHED'));
    s.clock.advance(600);
    const done = await updateWith(bob2, stateOf('b', 'ESTABLISHED'));
    expect(done.view.a.state).toBe('ESTABLISHED');
    // The grace window passes quietly.
    s.clock.advance(30_000);
    await roundTrip(alice);
    expect(alice.all('call:ended')).toEqual([]);
  });

  it('comes back after the call ended while it was away: told how it ended, then leaves it like its partner', async () => {
    const s = await serve();
    const { alice, bob, callId } = await pair(s, 'perfect');
    const bobWelcome = bob.all('welcome')[0]!;
    await connectByActions(s, alice, bob);
    await closeAndWait(s, bob);
    await alice.next('call:partner');
    // Alice hangs up; her RST reaches Bob's side 600 ms later, and the call is over.
    alice.send('call:action', { action: 'hang-up' });
    s.clock.advance(600);
    const ended = await alice.next('call:ended');
    expect(ended.summary).toMatchObject({ outcome: 'hung-up', by: 'a' });

    s.clock.advance(1_000);
    const bob2 = await connect(s);
    bob2.send('hello', { name: 'Bob', lang: 'en', resumeToken: bobWelcome.resumeToken });
    expect(await bob2.next('welcome')).toMatchObject({ resumed: true, playerId: bobWelcome.playerId });
    // What Alice was told, so Bob's page can show the end of the call it still has.
    expect(await bob2.next('call:ended')).toEqual(ended);
    expect(bob2.received.map((r) => r.event)).toEqual(['welcome', 'call:ended']);
    // Told once only: a second hello on the same connection (a new name) brings no more of it.
    bob2.send('hello', { name: 'Bobby', lang: 'en' });
    await bob2.next('welcome');
    expect(bob2.all('call:ended')).toHaveLength(1);

    // Bob is on the ended call as Alice is: she asks to call again and he hears it; he leaves
    // instead, and she hears that.
    alice.send('call:rematch', {});
    expect(await bob2.next('call:rematch-status')).toEqual({ callId, wants: { a: true, b: false }, left: null });
    bob2.send('call:leave', {});
    expect(await bob2.next('call:left')).toEqual({ from: 'call' });
    await roundTrip(alice);
    expect(alice.all('call:rematch-status').at(-1)).toEqual({ callId, wants: { a: true, b: false }, left: 'b' });
    expect(bob2.all('error')).toEqual([]);
  });

  it('an unknown resume token gets a new seat and says so', async () => {
    const s = await serve();
    const c = await connect(s);
    c.send('hello', { name: 'Rex', lang: 'en', resumeToken: 'x'.repeat(22) });
    const welcome = await c.next('welcome');
    // One answer, which says so: a welcome to a new seat, with a notice.
    expect(welcome.notice).toEqual({ code: 'session/unknown-resume', message: ERRORS['session/unknown-resume'], event: 'hello' });
    expect(welcome.resumed).toBe(false);
    await roundTrip(c);
    expect(c.all('error').filter((e) => e.event === 'hello')).toEqual([]);
    expect(welcome.resumeToken).not.toBe('x'.repeat(22));
    expect(c.all('call:started')).toEqual([]);
  });

  it('without a resume, hangs up at the end of the grace window: the partner is reset', async () => {
    const s = await serve();
    const { alice, bob, callId } = await pair(s, 'perfect');
    await connectByActions(s, alice, bob);
    const t = s.clock.now();
    bob.close();
    expect(await alice.next('call:partner')).toEqual({ callId, side: 'b', connected: false, graceUntil: 1_800 + 20_000 });

    s.clock.advance(20_000 - 1);
    await roundTrip(alice);
    expect(alice.all('call:update').some((u) => u.time > 1_800)).toBe(false);
    s.clock.advance(1);
    const rst = await updateWith(alice, sentBy('b', (x) => x.rst));
    expect(sentIn(rst, sentBy('b', (x) => x.rst)).copies).toHaveLength(1);
    s.clock.advance(600);
    const reset = await updateWith(alice, closedWith('a', 'reset'));
    expect(reset.time).toBe(t + 20_600);
    const ended = await alice.next('call:ended');
    expect(ended.summary.outcome).toBe('hung-up');
    expect(ended.summary.by).toBe('b');
    // Bob's seat is gone for good.
    const h = await health(s);
    expect(h.body).toMatchObject({ players: 1, connected: 1, calls: 0 });
  });
});

// ---------------------------------------------------------------- (g) bad input

interface World {
  readonly srv: TestServer;
  readonly alice: TestClient;
  readonly bob: TestClient;
  readonly carol: TestClient;
  readonly dave: TestClient;
  readonly eve: TestClient;
  readonly call1: string;
  readonly call2: string;
  /** Everyone the row must not disturb, unless it says so. */
  readonly clients: TestClient[];
  readonly marks: Map<TestClient, number>;
  /** A new client (said hello unless told not to), known to the world. */
  add(name: string, hello?: boolean): Promise<TestClient>;
  /** Remember what everyone has received so far: the row's effects are what comes after. */
  mark(): void;
}

const STRICT: GatewayLimits = { eventsPerSecond: 5, eventsBurst: 5, joinsPerMinute: 10 };

/**
 * Alice and Bob connected (ESTABLISHED) in one call, Carol and Dave listening in another,
 * and Eve, who said hello and is in no call. The clock then moves 1 s so that every
 * client's rate bucket is full again.
 */
async function world(limits?: GatewayLimits): Promise<World> {
  const s = await serve(limits === undefined ? {} : { limits });
  const first = await pair(s, 'perfect');
  const second = await pair(s, 'perfect');
  await connectByActions(s, first.alice, first.bob);
  const eve = await hi(s, 'Eve');
  s.clock.advance(1_000);
  const w: World = {
    srv: s,
    alice: first.alice,
    bob: first.bob,
    carol: second.alice,
    dave: second.bob,
    eve,
    call1: first.callId,
    call2: second.callId,
    clients: [first.alice, first.bob, second.alice, second.bob, eve],
    marks: new Map(),
    async add(name, hello = true) {
      const c = hello ? await hi(s, name) : await connect(s);
      w.clients.push(c);
      w.marks.set(c, c.received.length);
      return c;
    },
    mark() {
      for (const c of w.clients) w.marks.set(c, c.received.length);
    },
  };
  w.mark();
  return w;
}

/** What a client received since the last mark, without round-trip echoes. */
function news(w: World, c: TestClient): Received[] {
  return c.received.slice(w.marks.get(c) ?? 0).filter((r) => !(r.event === 'error' && (r.payload as { event?: string }).event === 'no-such-event:sync'));
}

const FIN = { syn: false, ack: true, fin: true, rst: false, seq: 2, ackNo: 4, data: '' };

interface BadInput {
  readonly name: string;
  readonly code: ErrorCode;
  readonly limits?: GatewayLimits;
  /** Send the bad request (after any setup of its own and `w.mark()`); returns who must be refused. */
  readonly send: (w: World) => Promise<TestClient>;
  /** A call partner who may see the refusal in an update whose view is unchanged. */
  readonly partner?: (w: World) => TestClient;
  /** More proof that the refused request did nothing. */
  readonly check?: (w: World, actor: TestClient) => Promise<void>;
}

/** A fresh socket that never said hello still has no session. */
async function stillNoSession(_w: World, actor: TestClient): Promise<void> {
  actor.send('queue:join', {});
  await actor.next('error', (e) => e.code === 'session/no-hello' && e.event === 'queue:join');
  expect(actor.all('welcome')).toEqual([]);
}

const BAD_INPUTS: BadInput[] = [
  {
    name: 'wrong type: action is a number',
    code: 'input/invalid',
    send: async (w) => (w.alice.sendRaw('call:action', { action: 7 }), w.alice),
  },
  {
    name: 'wrong type: seq is a string',
    code: 'input/invalid',
    send: async (w) => (w.alice.sendRaw('call:move', { segment: { ...FIN, seq: '2' } }), w.alice),
  },
  {
    name: 'wrong type: payload is a string',
    code: 'input/invalid',
    send: async (w) => (w.alice.sendRaw('call:chat', 'hello'), w.alice),
  },
  {
    name: 'missing field: a segment without flags',
    code: 'input/invalid',
    send: async (w) => (w.alice.sendRaw('call:move', { segment: { seq: 2, ackNo: 4, data: '' } }), w.alice),
  },
  {
    name: 'missing field: no action',
    code: 'input/invalid',
    send: async (w) => (w.alice.sendRaw('call:action', {}), w.alice),
  },
  {
    name: 'missing field: hello without lang',
    code: 'input/invalid',
    send: async (w) => {
      const m = await w.add('Mallory', false);
      m.sendRaw('hello', { name: 'Mallory' });
      return m;
    },
    check: stillNoSession,
  },
  {
    name: 'extra field: a hang-up with a rider',
    code: 'input/invalid',
    send: async (w) => (w.alice.sendRaw('call:action', { action: 'hang-up', please: true }), w.alice),
  },
  {
    name: 'extra field: a segment with a window',
    code: 'input/invalid',
    send: async (w) => (w.alice.sendRaw('call:move', { segment: { ...FIN, window: 10 } }), w.alice),
  },
  {
    name: 'unknown event',
    code: 'input/unknown-event',
    send: async (w) => (w.alice.sendRaw('call:end-everything', {}), w.alice),
  },
  {
    name: 'payload over 8192 characters',
    code: 'input/too-large',
    send: async (w) => (w.alice.sendRaw('call:action', { action: 'hang-up', pad: 'x'.repeat(LIMITS.payloadChars) }), w.alice),
  },
  {
    name: 'chat over 8192 characters',
    code: 'input/too-large',
    send: async (w) => (w.alice.sendRaw('call:chat', { text: 'y'.repeat(LIMITS.payloadChars + 1) }), w.alice),
  },
  {
    name: 'control character in chat',
    code: 'input/control-characters',
    send: async (w) => (w.alice.sendRaw('call:chat', { text: 'hi\u0007' }), w.alice),
  },
  {
    name: 'bidi override in chat',
    code: 'input/control-characters',
    send: async (w) => (w.alice.sendRaw('call:chat', { text: '\u202eevil' }), w.alice),
  },
  {
    name: 'control character in a name',
    code: 'input/control-characters',
    send: async (w) => {
      const m = await w.add('Mallory', false);
      m.sendRaw('hello', { name: 'Eve\u0000', lang: 'en' });
      return m;
    },
    check: stillNoSession,
  },
  {
    name: 'a move for a call you are not in',
    code: 'call/not-in-call',
    send: async (w) => (w.eve.send('call:move', { segment: parseSegment('<SEQ=4><ACK=2><CTL=RST,ACK>') }), w.eve),
  },
  {
    name: 'a chat before ESTABLISHED',
    code: 'state/not-established',
    send: async (w) => (w.carol.send('call:chat', { text: 'hello?' }), w.carol),
    partner: (w) => w.dave,
    check: async (w) => {
      const updates = w.carol.all('call:update');
      expect(updates.flatMap((u) => u.events).some((e) => e.type === 'segment-sent')).toBe(false);
      expect(updates.every((u) => u.view.a.state === 'LISTEN' && u.view.b.state === 'LISTEN')).toBe(true);
    },
  },
  {
    name: 'a request before hello',
    code: 'session/no-hello',
    send: async (w) => {
      const m = await w.add('Mallory', false);
      m.send('queue:join', { line: 'perfect' });
      return m;
    },
    check: async (w) => {
      expect((await health(w.srv)).body).toMatchObject({ players: 5, waiting: 0, calls: 2 });
    },
  },
  {
    name: 'too many events per second',
    code: 'rate/limited',
    limits: STRICT,
    send: async (w) => {
      // Five requests fill the burst (each refused for its own reason); the sixth is one too many.
      for (let i = 0; i < 5; i++) w.eve.send('queue:leave', {});
      w.eve.send('call:create', {});
      return w.eve;
    },
    check: async (w, eve) => {
      expect(eve.all('error').filter((e) => e.code === 'queue/not-waiting')).toHaveLength(5);
      expect(eve.all('call:created')).toEqual([]);
      // A second later the bucket has refilled and the same request works.
      w.srv.clock.advance(1_000);
      eve.send('call:create', {});
      await eve.next('call:created');
    },
  },
  {
    name: 'too many join-code guesses',
    code: 'join/rate-limited',
    limits: STRICT,
    send: async (w) => {
      const frank = await w.add('Frank');
      frank.send('call:create', { line: 'perfect' });
      const { code } = await frank.next('call:created');
      w.mark();
      // Ten wrong guesses (the event bucket refills in between; the join bucket barely does)…
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 5; i++) w.eve.send('call:join', { code: 'nope-00' });
        for (let i = 0; i < 5; i++) await w.eve.next('error', (e) => e.code === 'call/not-found');
        w.srv.clock.advance(1_000);
      }
      // …and the eleventh, with the right code, is refused all the same.
      w.eve.send('call:join', { code });
      return w.eve;
    },
    check: async (w, eve) => {
      expect(eve.all('call:started')).toEqual([]);
      const frank = w.clients.at(-1)!;
      expect(frank.all('call:started')).toEqual([]);
      // A minute later one more try is allowed, and the call starts.
      w.srv.clock.advance(60_000);
      const code = frank.all('call:created')[0]!.code;
      eve.send('call:join', { code });
      expect((await eve.next('call:started')).you).toBe('b');
      expect((await frank.next('call:started')).you).toBe('a');
    },
  },
  {
    name: 'joining an unknown code',
    code: 'call/not-found',
    send: async (w) => (w.eve.send('call:join', { code: 'nope-00' }), w.eve),
    check: async (_w, eve) => expect(eve.all('call:started')).toEqual([]),
  },
  {
    name: 'joining a full private call',
    code: 'call/full',
    send: async (w) => {
      const host = await w.add('Hana');
      const friend = await w.add('Finn');
      host.send('call:create', { line: 'perfect' });
      const { code } = await host.next('call:created');
      friend.send('call:join', { code });
      await host.next('call:started');
      await friend.next('call:started');
      const late = await w.add('Gina');
      w.mark();
      late.send('call:join', { code });
      return late;
    },
    check: async (_w, late) => expect(late.all('call:started')).toEqual([]),
  },
];

describe('(g) bad input is refused and changes nothing', () => {
  it.each(BAD_INPUTS)('$name → $code', async (row) => {
    const w = await world(row.limits);
    const startedViews = new Map(w.clients.map((c) => [c, c.all('call:update').at(-1)?.view ?? c.all('call:started')[0]?.view]));
    const actor = await row.send(w);
    const error = await actor.next('error', (e) => e.code === row.code);
    expect(error.message).toBe(ERRORS[row.code]);

    // Everyone else: nothing at all (a call partner at most sees the refusal, view unchanged).
    const others = w.clients.filter((c) => c !== actor && c.socket.connected);
    for (const c of others) await roundTrip(c);
    const partner = row.partner?.(w);
    /** The endpoint's refusal, logged in the call: no other event, both sides as they were. */
    const expectOnlyTheRefusal = (c: TestClient, r: Received) => {
      expect(r.event).toBe('call:update');
      const u = r.payload as CallUpdate;
      expect(u.events.length).toBeGreaterThan(0);
      expect(u.events.every((e) => e.type === 'endpoint' && e.event.type === 'refused' && e.event.code === row.code)).toBe(true);
      const before = startedViews.get(c);
      expect({ a: u.view.a, b: u.view.b }).toEqual({ a: before?.a, b: before?.b });
    };
    for (const c of others) {
      const got = news(w, c);
      if (c === partner) for (const r of got) expectOnlyTheRefusal(c, r);
      else expect(got, `${c.all('welcome')[0]?.name ?? 'someone'} heard something`).toEqual([]);
    }
    // The one refused hears only refusals.
    for (const r of news(w, actor)) {
      if (r.event === 'error') continue;
      expect(partner, `the refused player was sent ${r.event}`).toBeDefined();
      expectOnlyTheRefusal(actor, r);
    }
    await row.check?.(w, actor);

    // Both calls carry on from where they were.
    w.srv.clock.advance(1_000);
    w.alice.send('call:chat', { text: 'still there?' });
    await updateWith(w.alice, sentBy('a', (x) => x.data === 'still there?'));
    w.srv.clock.advance(600);
    const heard = await updateWith(w.bob, (e) => e.type === 'endpoint' && e.side === 'b' && e.event.type === 'delivered');
    expect(heard.events).toContainEqual(expect.objectContaining({ type: 'endpoint', side: 'b', event: expect.objectContaining({ data: 'still there?' }) }));
    expect(heard.view.a.state).toBe('ESTABLISHED');
    w.carol.send('call:action', { action: 'ask' });
    const asked = await updateWith(w.carol, sentBy('a', isSyn));
    expect(sentIn(asked, sentBy('a', isSyn)).segment).toEqual(parseSegment('<SEQ=1><CTL=SYN>'));
    for (const [c, callId] of [
      [w.alice, w.call1],
      [w.bob, w.call1],
      [w.carol, w.call2],
      [w.dave, w.call2],
    ] as const) {
      expect(c.all('call:update').every((u) => u.callId === callId)).toBe(true);
    }
  });

  it('a payload past the 64 KiB socket cap closes only that socket', async () => {
    const w = await world();
    const closed = new Promise<string>((resolve) => w.eve.socket.once('disconnect', (reason) => resolve(reason)));
    w.eve.sendRaw('call:chat', { text: 'z'.repeat(LIMITS.socketBufferBytes + 1_000) });
    expect(await closed).toMatch(/transport/);
    // Everyone else carries on.
    for (const c of [w.alice, w.bob, w.carol, w.dave]) await roundTrip(c);
    w.alice.send('call:chat', { text: 'still here' });
    await updateWith(w.alice, sentBy('a', (x) => x.data === 'still here'));
    w.srv.clock.advance(600);
    await updateWith(w.bob, (e) => e.type === 'endpoint' && e.side === 'b' && e.event.type === 'delivered' && e.event.data === 'still here');
    const late = await hi(w.srv, 'Late');
    await roundTrip(late);
    const h = await health(w.srv);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', players: 6, connected: 5, calls: 2 });
  });
});

// ---------------------------------------------------------------- (h) two calls at once

describe('(h) two calls at once', () => {
  it('do not hear each other, and both connect', async () => {
    const s = await serve({ random: new SeededRandom('two calls') });
    const one = await pair(s, 'good');
    const two = await pair(s, 'good');
    expect(one.callId).not.toBe(two.callId);
    const calls = [
      { a: one.alice, b: one.bob, id: one.callId },
      { a: two.alice, b: two.bob, id: two.callId },
    ];
    // Both handshakes side by side on the same clock; 'good' takes 600–700 ms each way.
    for (const c of calls) c.a.send('call:action', { action: 'ask' });
    for (const c of calls) await updateWith(c.a, sentBy('a', isSyn));
    s.clock.advance(700);
    for (const c of calls) await updateWith(c.b, pendingAt('b'));
    for (const c of calls) c.b.send('call:action', { action: 'answer' });
    for (const c of calls) await updateWith(c.b, sentBy('b', isSynAck));
    s.clock.advance(700);
    for (const c of calls) await updateWith(c.a, pendingAt('a'));
    for (const c of calls) c.a.send('call:action', { action: 'answer' });
    for (const c of calls) await updateWith(c.a, stateOf('a', 'ESTABLISHED'));
    s.clock.advance(700);
    for (const c of calls) await updateWith(c.b, stateOf('b', 'ESTABLISHED'));

    const seqs = calls.map((c) => new Set(story(c.a).flatMap((e) => (e.type === 'segment-sent' ? [e.segment.seq] : []))));
    // Different random ISNs, so each call's segments can be told apart.
    expect([...seqs[0]!].some((x) => seqs[1]!.has(x))).toBe(false);
    for (const [i, c] of calls.entries()) {
      for (const player of [c.a, c.b]) {
        await roundTrip(player);
        const about = player.received.filter((r) => r.event.startsWith('call:')).map((r) => (r.payload as { callId: string }).callId);
        expect(new Set(about)).toEqual(new Set([c.id]));
        const sent = story(player).filter((e): e is Sent => e.type === 'segment-sent');
        expect(sent).toHaveLength(3);
        expect(sent.every((e) => seqs[i]!.has(e.segment.seq))).toBe(true);
        expect(story(player)).toEqual(story(c.a));
      }
    }
  });
});

// ---------------------------------------------------------------- the lobby

describe('the lobby', () => {
  it('private call: create, then a friend joins with the code typed in lower case with a dash', async () => {
    const s = await serve();
    const host = await hi(s, 'Hana');
    const friend = await hi(s, 'Finn');
    host.send('call:create', {});
    const created = await host.next('call:created');
    expect(created.code).toHaveLength(CODE_LENGTH);
    expect([...created.code].every((ch) => CODE_ALPHABET.includes(ch))).toBe(true);
    expect(created.link).toBe(`/?join=${created.code}`);

    friend.send('call:join', { code: `${created.code.slice(0, 3).toLowerCase()}-${created.code.slice(3).toLowerCase()}` });
    const a = await host.next('call:started');
    const b = await friend.next('call:started');
    expect(a.callId).toBe(b.callId);
    expect([a.you, b.you]).toEqual(['a', 'b']);
    expect(a.players.b.name).toBe('Finn');
    expect(b.players.a.name).toBe('Hana');
    expect(a.line).toBe('bad');
    // The code is used up: nobody else gets in.
    const third = await hi(s, 'Tom');
    third.send('call:join', { code: created.code });
    expect((await third.next('error')).code).toBe('call/full');
  });

  it('a friend who joins while the host is away is told so, and the seat runs out after the grace window', async () => {
    const s = await serve();
    const host = await hi(s, 'Hana');
    host.send('call:create', { line: 'perfect' });
    const { code } = await host.next('call:created');
    await closeAndWait(s, host);
    s.clock.advance(5_000);
    const friend = await hi(s, 'Finn');
    friend.send('call:join', { code });
    const started = await friend.next('call:started');
    const away = await friend.next('call:partner');
    expect(away).toEqual({ callId: started.callId, side: 'a', connected: false, graceUntil: 20_000 });
    s.clock.advance(20_000);
    const ended = await friend.next('call:ended');
    expect(ended.summary.outcome).toBe('hung-up');
    expect(ended.summary.by).toBe('a');
    expect((await health(s)).body).toMatchObject({ players: 1, calls: 0 });
  });

  it('quick match alone: a bot is offered after botOfferAfterMs, and it answers like a player', async () => {
    const s = await serve();
    const alice = await hi(s, 'Alice');
    alice.send('queue:join', { line: 'perfect' });
    const waiting = await alice.next('queue:waiting');
    expect(waiting).toEqual({ line: 'perfect', botOfferAfterMs: 15_000 });
    s.clock.advance(14_999);
    await roundTrip(alice);
    expect(alice.all('queue:bot-offer')).toEqual([]);
    s.clock.advance(1);
    await alice.next('queue:bot-offer');

    alice.send('queue:accept-bot', {});
    const started = await alice.next('call:started');
    expect(started.you).toBe('a');
    expect(started.players.b.bot).toBe(true);
    expect(started.manual).toEqual({ a: true, b: true });

    alice.send('call:action', { action: 'ask' });
    await updateWith(alice, sentBy('a', isSyn));
    s.clock.advance(600);
    await updateWith(alice, pendingAt('b'));
    // The bot thinks for a moment (0.4 to 0.9 s when prompt), then builds the right answer.
    s.clock.advance(900);
    const answered = await updateWith(alice, sentBy('b', isSynAck));
    expect(answered.events).toContainEqual(expect.objectContaining({ type: 'move-judged', side: 'b', ok: true }));
    expect(sentIn(answered, sentBy('b', isSynAck)).segment).toEqual(parseSegment('<SEQ=3><ACK=2><CTL=SYN,ACK>'));
    expect(answered.view.b.state).toBe('SYN_RCVD');
    s.clock.advance(600);
    await updateWith(alice, pendingAt('a'));
    alice.send('call:action', { action: 'answer' });
    await updateWith(alice, stateOf('a', 'ESTABLISHED'));
    s.clock.advance(600);
    await updateWith(alice, stateOf('b', 'ESTABLISHED'));

    // And the bot talks back, after thinking (at most 0.9 s).
    alice.send('call:chat', { text: 'hello bot' });
    await updateWith(alice, sentBy('a', (x) => x.data === 'hello bot'));
    s.clock.advance(600 + 900 + 600);
    const reply = await updateWith(alice, (e) => e.type === 'endpoint' && e.side === 'a' && e.event.type === 'delivered');
    expect(reply.events).toContainEqual(expect.objectContaining({ side: 'a', event: expect.objectContaining({ type: 'delivered', data: 'I can hear you!' }) }));
  });

  it('queue:leave takes you out of the queue: the next two pair with each other', async () => {
    const s = await serve();
    const ann = await hi(s, 'Ann');
    ann.send('queue:join', { line: 'good' });
    await ann.next('queue:waiting');
    ann.send('queue:leave', {});
    await ann.next('queue:left');
    ann.send('queue:leave', {});
    expect((await ann.next('error')).code).toBe('queue/not-waiting');

    const bea = await hi(s, 'Bea');
    bea.send('queue:join', { line: 'good' });
    await bea.next('queue:waiting');
    const cy = await hi(s, 'Cy');
    cy.send('queue:join', { line: 'good' });
    const b = await bea.next('call:started');
    const c = await cy.next('call:started');
    expect(b.callId).toBe(c.callId);
    expect(b.players.b.name).toBe('Cy');
    await roundTrip(ann);
    expect(ann.all('call:started')).toEqual([]);
  });

  it('closing the tab takes you out of the queue', async () => {
    const s = await serve();
    const ann = await hi(s, 'Ann');
    ann.send('queue:join', { line: 'good' });
    await ann.next('queue:waiting');
    expect((await health(s)).body).toMatchObject({ waiting: 1 });
    await closeAndWait(s, ann);
    expect((await health(s)).body).toMatchObject({ waiting: 0, connected: 0 });

    const bea = await hi(s, 'Bea');
    bea.send('queue:join', { line: 'good' });
    await bea.next('queue:waiting');
    const cy = await hi(s, 'Cy');
    cy.send('queue:join', { line: 'good' });
    const b = await bea.next('call:started');
    expect(b.players.a.name).toBe('Bea');
    expect(b.players.b.name).toBe('Cy');
    expect((await cy.next('call:started')).callId).toBe(b.callId);
    // Nor does the bot offer reach anyone once Ann is gone.
    s.clock.advance(20_000);
    await roundTrip(bea);
    expect(bea.all('queue:bot-offer')).toEqual([]);
  });

  it('GET /healthz answers 200 with counts', async () => {
    const s = await serve();
    let h = await health(s);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', mode: 'single', database: { kind: 'sqlite', reachable: true }, players: 0, connected: 0, waiting: 0, calls: 0, callsStarted: 0 });
    expect((h.body as { nodeId: string }).nodeId).toMatch(/.-\d+$/);
    await pair(s, 'perfect');
    const solo = await hi(s, 'Solo');
    solo.send('queue:join', { line: 'bad' });
    await solo.next('queue:waiting');
    h = await health(s);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', players: 3, connected: 3, waiting: 1, calls: 1, callsStarted: 1 });
    expect(typeof h.body.uptimeS).toBe('number');
  });
});
