/**
 * The bot partner through the real server (port 0, real socket.io clients, FakeClock): it
 * is a player, so everything it does shows in the call's events exactly as a person's
 * would. In free play it asks first after 10 s; each personality answers in its own time
 * (prompt 0.4–0.9 s, slow 2.5–4.5 s, forgetful only after the asker's TCP asked again,
 * terrible-line across the worst line); its segments are judged like anyone's; it takes
 * over a dropped partner's seat and finishes the call; and in a lesson it plays the
 * lesson's part (asking, or saying goodbye, at the very moment the player does).
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { GameServerOptions } from '../../server/app';
import type { CallEvent, CallView, Side } from '../../shared/call';
import type { LevelId } from '../../shared/game/levels';
import { LINE_PRESETS } from '../../shared/net';
import { createRng, nextFloat } from '../../shared/random';
import type { CallStarted, CallUpdate, LineName, Personality } from '../../shared/wire';
import { SeededRandom } from '../support/random';
import { pairUp, roundTrip, startServer, TestClient, type TestServer } from '../support/server';

// ---------------------------------------------------------------- helpers

const servers: TestServer[] = [];
const clients: TestClient[] = [];
/** The servers' debug logs, where a bot's refused request would show ('bot request refused'). */
const logs: { msg?: string; event?: string; code?: string }[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
  // The bot makes its requests through the same schema and lobby as a browser: none refused.
  const refused = logs.splice(0).filter((line) => line.msg === 'bot request refused');
  expect(refused).toEqual([]);
});

async function serve(options: Partial<GameServerOptions> = {}): Promise<TestServer> {
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) });
  const srv = await startServer({ log, ...options });
  servers.push(srv);
  return srv;
}

/** One hop on the perfect line. */
const HOP = 600;
/** The story's 5-second rule: a segment not answered by then is sent again. */
const REPLY_TIMEOUT = 5_000;
/** How long each personality thinks before it answers (server/bot.ts, docs/protocol.md). */
const THINKS: Record<Personality, readonly [number, number]> = {
  prompt: [400, 900],
  slow: [2_500, 4_500],
  forgetful: [500, 1_200],
  'terrible-line': [400, 900],
};
/** A forgetful bot that lost its train of thought answers only after this long. */
const FORGOTTEN: readonly [number, number] = [6_000, 9_000];

type Sent = Extract<CallEvent, { type: 'segment-sent' }>;
type Judged = Extract<CallEvent, { type: 'move-judged' }>;
type Pending = Extract<CallEvent, { type: 'pending' }>;

/**
 * A person at a socket, in one call as side `a`: they see the call's events and view as
 * the server sends them, and play as a careful pupil when told to (answer what waits for
 * them with the segment TCP would send).
 */
class Person {
  private answered = -1;

  constructor(
    readonly srv: TestServer,
    readonly client: TestClient,
  ) {}

  static async hello(srv: TestServer, name = 'Pupil'): Promise<Person> {
    const client = await TestClient.connect(srv.url);
    clients.push(client);
    client.send('hello', { name, lang: 'en' });
    await client.next('welcome');
    return new Person(srv, client);
  }

  /** Practice with a bot: the call as it started. */
  async practice(payload: { line?: LineName; level?: LevelId; personality?: Personality }): Promise<CallStarted> {
    this.client.send('call:practice', payload);
    const started = await this.client.next('call:started');
    expect(started.you).toBe('a');
    expect(started.players.b.bot).toBe(true);
    return started;
  }

  /** Every event of the call received so far, oldest first. */
  events(): CallEvent[] {
    const started = this.client.all('call:started').at(-1);
    const updates = this.client.all('call:update') as CallUpdate[];
    return [...(started?.events ?? []), ...updates.flatMap((u) => u.events)];
  }

  view(): CallView {
    const last = this.client.received.filter((r) => r.event === 'call:started' || r.event === 'call:update').at(-1);
    if (last === undefined) throw new Error('not in a call');
    return (last.payload as CallUpdate).view;
  }

  /** Call time of the latest message. */
  time(): number {
    const last = this.client.received.filter((r) => r.event === 'call:update').at(-1);
    return last === undefined ? 0 : (last.payload as CallUpdate).time;
  }

  sent(from: Side): Sent[] {
    return this.events().filter((e): e is Sent => e.type === 'segment-sent' && e.from === from);
  }

  judged(side: Side): Judged[] {
    return this.events().filter((e): e is Judged => e.type === 'move-judged' && e.side === side);
  }

  pendings(side: Side): Pending[] {
    return this.events().filter((e): e is Pending => e.type === 'pending' && e.side === side);
  }

  statesOf(side: Side): string[] {
    return this.events().flatMap((e) => (e.type === 'endpoint' && e.side === side && e.event.type === 'state' ? [e.event.to] : []));
  }

  /** Send a request and wait until the server has handled it (and we have what it sent). */
  async do(send: (client: TestClient) => void): Promise<void> {
    send(this.client);
    await roundTrip(this.client);
  }

  /** Let `ms` pass on the server's clock (running every timer due, the bot's too); then catch up. */
  async advance(ms: number): Promise<void> {
    this.srv.clock.advance(ms);
    await roundTrip(this.client);
  }

  /** Answer the oldest segment waiting for us, once, with the segment TCP would send. */
  async answerPending(): Promise<boolean> {
    const me = this.view().a;
    const head = me.pending[0];
    if (head === undefined || head.id === this.answered || me.hint === null) return false;
    this.answered = head.id;
    await this.do((c) => c.send('call:move', { segment: me.hint! }));
    return true;
  }

  /**
   * Play as a careful pupil in steps of `stepMs` until `done` holds (checked after every
   * step), answering whatever waits for us. Fails after `limitMs` of call time.
   */
  async playUntil(what: string, done: () => boolean, limitMs = 60_000, stepMs = 100): Promise<void> {
    for (let waited = 0; waited <= limitMs; waited += stepMs) {
      if (done()) return;
      await this.answerPending();
      if (done()) return;
      await this.advance(stepMs);
    }
    throw new Error(`no ${what} within ${limitMs} ms; states a: ${this.statesOf('a').join(' → ')}; b: ${this.statesOf('b').join(' → ')}`);
  }

  bothEstablished(): boolean {
    const v = this.view();
    return v.a.state === 'ESTABLISHED' && v.b.state === 'ESTABLISHED';
  }

  ended(): boolean {
    return this.client.all('call:ended').length > 0;
  }
}

/**
 * A bot seed whose first answer is forgotten: the bot draws its think time, then whether
 * it forgets (under 0.5 it does), in that order (server/bot.ts answerPending).
 */
function seedThatForgets(): number {
  for (let seed = 1; seed < 1_000; seed++) {
    const [, afterThink] = nextFloat(createRng(seed));
    const [forgets] = nextFloat(afterThink);
    if (forgets < 0.5) return seed;
  }
  throw new Error('no seed found');
}

// ---------------------------------------------------------------- tests

describe('the bot in free play', () => {
  it('asks first when the player has not asked after 10 s: a SYN arrives for the player', async () => {
    const srv = await serve({ random: new SeededRandom('bot asks') });
    const pupil = await Person.hello(srv);
    const started = await pupil.practice({ line: 'perfect' });
    expect(started).toMatchObject({ personality: 'prompt', level: null, view: { a: { state: 'LISTEN' }, b: { state: 'LISTEN' } } });

    // The player does nothing. Nothing happens for 10 s…
    await pupil.advance(9_999);
    expect(pupil.sent('b')).toEqual([]);
    expect(pupil.view().a.pending).toEqual([]);

    // …then the bot asks "3 + 1 = ?" (the story's numbers on the perfect line).
    await pupil.advance(1);
    const [ask] = pupil.sent('b');
    expect(ask).toMatchObject({ at: 10_000, segment: { syn: true, ack: false, seq: 3 }, retransmit: false, wrong: false });
    expect(pupil.view().b.state).toBe('SYN_SENT');
    // An asking action is not a built segment: nothing to judge.
    expect(pupil.judged('b')).toEqual([]);

    // One hop later it waits for the player.
    await pupil.advance(HOP);
    expect(pupil.pendings('a')).toEqual([expect.objectContaining({ at: 10_000 + HOP, segment: expect.objectContaining({ syn: true, seq: 3 }) })]);
    expect(pupil.view().a.pending).toHaveLength(1);

    // The player answers; the bot answers the SYN+ACK in its own time, and both are connected.
    await pupil.playUntil('both ESTABLISHED', () => pupil.bothEstablished(), 5_000);
    const [answer] = pupil.judged('b');
    expect(answer).toMatchObject({ ok: true, mistakes: [] });
  });

  it('does not ask when the player already did', async () => {
    const srv = await serve({ random: new SeededRandom('player asks') });
    const pupil = await Person.hello(srv);
    await pupil.practice({ line: 'perfect' });
    await pupil.do((c) => c.send('call:action', { action: 'ask' }));
    await pupil.playUntil('both ESTABLISHED', () => pupil.bothEstablished(), 5_000);
    await pupil.advance(15_000);
    expect(pupil.sent('b').filter((e) => e.segment.syn && !e.segment.ack)).toEqual([]);
    expect(pupil.view()).toMatchObject({ a: { state: 'ESTABLISHED' }, b: { state: 'ESTABLISHED' } });
  });
});

describe('personalities', () => {
  /** The player asks at call time 0 on the perfect line; the SYN waits for the bot from 600. */
  async function askBot(srv: TestServer, personality: Personality, line: LineName = 'perfect'): Promise<Person> {
    const pupil = await Person.hello(srv);
    const started = await pupil.practice({ line, personality });
    expect(started.personality).toBe(personality);
    await pupil.do((c) => c.send('call:action', { action: 'ask' }));
    expect(pupil.sent('a')[0]).toMatchObject({ at: 0, segment: { syn: true } });
    return pupil;
  }

  it.each([1, 2, 3, 4, 5])('prompt (call %i): answers a waiting SYN 0.4–0.9 s after it arrives, with a move judged right', async (n) => {
    const srv = await serve({ random: new SeededRandom(`prompt ${n}`) });
    const pupil = await askBot(srv, 'prompt');
    await pupil.advance(HOP);
    const [arrived] = pupil.pendings('b');
    expect(arrived?.at).toBe(HOP);
    await pupil.advance(THINKS.prompt[0] - 1);
    expect(pupil.judged('b')).toEqual([]);
    await pupil.advance(THINKS.prompt[1] - THINKS.prompt[0] + 1);
    const [answer] = pupil.judged('b');
    expect(answer).toMatchObject({ ok: true, mistakes: [] });
    expect(answer!.at - arrived!.at).toBeGreaterThanOrEqual(THINKS.prompt[0]);
    expect(answer!.at - arrived!.at).toBeLessThanOrEqual(THINKS.prompt[1]);
    // Judged, then sent: the story's SYN+ACK, not a wrong one, at the moment of the move.
    expect(pupil.sent('b')).toEqual([expect.objectContaining({ at: answer!.at, wrong: false, retransmit: false, segment: expect.objectContaining({ syn: true, ack: true, seq: 3, ackNo: 2 }) })]);
  });

  it.each([1, 2, 3, 4, 5])('slow (call %i): answers a waiting SYN 2.5–4.5 s after it arrives', async (n) => {
    const srv = await serve({ random: new SeededRandom(`slow ${n}`) });
    const pupil = await askBot(srv, 'slow');
    await pupil.advance(HOP);
    const [arrived] = pupil.pendings('b');
    expect(arrived?.at).toBe(HOP);
    await pupil.advance(THINKS.slow[0] - 1);
    expect(pupil.judged('b')).toEqual([]);
    await pupil.advance(THINKS.slow[1] - THINKS.slow[0] + 1);
    const [answer] = pupil.judged('b');
    expect(answer).toMatchObject({ ok: true, mistakes: [] });
    expect(answer!.at - arrived!.at).toBeGreaterThanOrEqual(THINKS.slow[0]);
    expect(answer!.at - arrived!.at).toBeLessThanOrEqual(THINKS.slow[1]);
    // Close to the asker's 5-second rule, but the call still connects.
    await pupil.playUntil('both ESTABLISHED', () => pupil.bothEstablished(), 10_000);
    expect(pupil.judged('b').every((j) => j.ok)).toBe(true);
  });

  it('forgetful: the asker’s SYN is sent again at 5 s before the bot answers, and the call still connects', async () => {
    const botSeed = seedThatForgets();
    // The lobby's first seed draw is the bot's own seed (it is made before the call).
    const srv = await serve({ random: new SeededRandom('forgetful', [botSeed]) });
    const pupil = await askBot(srv, 'forgetful');
    await pupil.advance(HOP);
    const [arrived] = pupil.pendings('b');
    expect(arrived?.at).toBe(HOP);

    // Well past a forgetful bot's usual think time: no answer yet.
    await pupil.advance(REPLY_TIMEOUT - HOP);
    expect(pupil.judged('b')).toEqual([]);
    expect(pupil.view().b.state).toBe('LISTEN');
    // The player's TCP asks again by itself at 5 s.
    const again = pupil.sent('a').filter((e) => e.retransmit);
    expect(again).toEqual([expect.objectContaining({ at: REPLY_TIMEOUT, segment: expect.objectContaining({ syn: true, seq: 1 }) })]);

    // The bot remembers only 6–9 s after the SYN arrived, and answers it right.
    await pupil.playUntil('the bot’s answer', () => pupil.judged('b').length > 0, FORGOTTEN[1] + 1_000);
    const [answer] = pupil.judged('b');
    expect(answer).toMatchObject({ ok: true, mistakes: [] });
    expect(answer!.at).toBeGreaterThan(again[0]!.at);
    expect(answer!.at - arrived!.at).toBeGreaterThanOrEqual(FORGOTTEN[0]);
    expect(answer!.at - arrived!.at).toBeLessThanOrEqual(FORGOTTEN[1]);

    await pupil.playUntil('both ESTABLISHED', () => pupil.bothEstablished(), 20_000);
    expect(pupil.statesOf('a')).toContain('ESTABLISHED');
    expect(pupil.statesOf('b')).toContain('ESTABLISHED');
    expect(pupil.judged('b').every((j) => j.ok)).toBe(true);
  });

  it('terrible-line: what the bot sends crosses the terrible line; what the player sends, the chosen one', async () => {
    const srv = await serve();
    const pupil = await Person.hello(srv);
    const started = await pupil.practice({ line: 'good', personality: 'terrible-line' });
    expect(started).toMatchObject({ line: 'good', personality: 'terrible-line' });
    expect(started.conditions.bToA).toEqual(LINE_PRESETS.terrible.bToA);
    expect(started.conditions.aToB).toEqual(LINE_PRESETS.good.aToB);
    expect(started.conditions.bToA).not.toEqual(LINE_PRESETS.good.bToA);

    // Any other personality leaves the chosen line alone.
    const other = await Person.hello(srv, 'Other');
    const plain = await other.practice({ line: 'good', personality: 'prompt' });
    expect(plain.conditions).toEqual(LINE_PRESETS.good);
  });
});

describe('the bot takes over a dropped partner’s seat', () => {
  it('two people connect, one drops, the other calls in a bot, which answers the goodbye and says its own', async () => {
    const srv = await serve({ random: new SeededRandom('takeover') });
    const { alice, bob } = await pairUp(srv, 'perfect');
    clients.push(alice, bob);
    const a = new Person(srv, alice);

    // The story's handshake, both by hand.
    await a.do((c) => c.send('call:action', { action: 'ask' }));
    await a.advance(HOP);
    const bobView = (await bob.next('call:update', (u) => u.view.b.pending.length === 1)).view;
    bob.send('call:move', { segment: bobView.b.hint! });
    await roundTrip(bob);
    await a.advance(HOP);
    await a.answerPending();
    await a.advance(HOP);
    expect(a.bothEstablished()).toBe(true);

    const byBob = a.judged('b').length;
    expect(byBob).toBe(1);

    // While Bob is here, no bot can take his seat.
    alice.send('call:takeover', {});
    await alice.next('error', (e) => e.code === 'call/partner-here' && e.event === 'call:takeover');

    // Bob's connection drops: Alice is told, and may call in a bot.
    bob.close();
    const away = await alice.next('call:partner', (p) => !p.connected);
    expect(away).toMatchObject({ side: 'b', connected: false });
    alice.send('call:takeover', {});
    const back = await alice.next('call:partner', (p) => p.connected);
    expect(back).toMatchObject({ side: 'b', connected: true, bot: true });

    // Alice says goodbye; the bot acknowledges it (a judged move) and says goodbye too.
    await a.do((c) => c.send('call:action', { action: 'goodbye' }));
    await a.playUntil('the end of the call', () => a.ended(), 30_000);
    const ended = alice.all('call:ended')[0]!;
    expect(ended.summary.outcome).toBe('polite');
    const botMoves = a.judged('b').slice(byBob);
    expect(botMoves).toEqual([expect.objectContaining({ ok: true, mistakes: [] })]);
    const botFin = a.sent('b').find((e) => e.segment.fin);
    expect(botFin).toMatchObject({ from: 'b', wrong: false, segment: { fin: true, ack: true } });
    expect(botFin!.at).toBeGreaterThan(botMoves[0]!.at);
    expect(a.statesOf('b')).toEqual(expect.arrayContaining(['CLOSE_WAIT', 'LAST_ACK', 'CLOSED']));
    expect(a.statesOf('a')).toEqual(expect.arrayContaining(['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']));
  });

  it('refuses a takeover when there is no call', async () => {
    const srv = await serve();
    const pupil = await Person.hello(srv);
    pupil.client.send('call:takeover', {});
    await pupil.client.next('error', (e) => e.code === 'call/not-in-call' && e.event === 'call:takeover');
  });
});

describe('the bot plays the lesson’s part', () => {
  it('both-open: the bot asks at the very call time the player does', async () => {
    const srv = await serve({ random: new SeededRandom('both-open') });
    const pupil = await Person.hello(srv);
    await pupil.practice({ level: 'both-open' });
    await pupil.advance(1_234);
    await pupil.do((c) => c.send('call:action', { action: 'ask' }));
    await pupil.advance(0);
    const syns = [...pupil.sent('a'), ...pupil.sent('b')].filter((e) => e.segment.syn && !e.segment.ack);
    expect(syns.map((e) => [e.from, e.at])).toEqual([
      ['a', 1_234],
      ['b', 1_234],
    ]);
    // The SYNs cross; each side answers the other's, and both connect through SYN_RCVD.
    await pupil.playUntil('both ESTABLISHED', () => pupil.bothEstablished(), 10_000);
    expect(pupil.statesOf('a')).toEqual(['LISTEN', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED']);
    expect(pupil.statesOf('b')).toEqual(['LISTEN', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED']);
    expect(pupil.judged('b').every((j) => j.ok)).toBe(true);
  });

  it('both-close: the bot says goodbye at the very call time the player does', async () => {
    const srv = await serve({ random: new SeededRandom('both-close') });
    const pupil = await Person.hello(srv);
    await pupil.practice({ level: 'both-close' });
    await pupil.do((c) => c.send('call:action', { action: 'ask' }));
    await pupil.playUntil('both ESTABLISHED', () => pupil.bothEstablished(), 10_000);
    await pupil.advance(1_000);
    const at = pupil.srv.clock.now();
    await pupil.do((c) => c.send('call:action', { action: 'goodbye' }));
    await pupil.advance(0);
    const fins = [...pupil.sent('a'), ...pupil.sent('b')].filter((e) => e.segment.fin);
    expect(fins).toHaveLength(2);
    expect(fins.map((e) => e.from)).toEqual(['a', 'b']);
    expect(fins[0]!.at).toBe(fins[1]!.at);
    expect(fins[0]!.at).toBeGreaterThan(0);
    expect(pupil.srv.clock.now()).toBe(at);

    // The FINs cross: the player, answering at once, sees the bot's FIN before its own is
    // acknowledged (CLOSING). The bot holds the player's FIN while it thinks, so it may get
    // the ACK of its own first (FIN_WAIT_2); either way both wait in TIME_WAIT, and the call
    // ends politely with the goal met.
    await pupil.playUntil('the end of the call', () => pupil.ended(), 30_000);
    const ended = pupil.client.all('call:ended')[0]!;
    expect(ended.summary.outcome).toBe('polite');
    expect(ended.goal?.met).toBe(true);
    expect(pupil.statesOf('a')).toEqual(['LISTEN', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED']);
    expect(pupil.statesOf('b')).toEqual(expect.arrayContaining(['FIN_WAIT_1', 'TIME_WAIT', 'CLOSED']));
    expect(pupil.judged('b').every((j) => j.ok)).toBe(true);
  });

  it('goodbye: after the player’s goodbye the bot still has last words, then says its own', async () => {
    const srv = await serve({ random: new SeededRandom('goodbye') });
    const pupil = await Person.hello(srv);
    await pupil.practice({ level: 'goodbye' });
    await pupil.do((c) => c.send('call:action', { action: 'ask' }));
    await pupil.playUntil('both ESTABLISHED', () => pupil.bothEstablished(), 10_000);
    await pupil.do((c) => c.send('call:action', { action: 'goodbye' }));
    await pupil.playUntil('the end of the call', () => pupil.ended(), 30_000);
    const finA = pupil.sent('a').find((e) => e.segment.fin)!;
    const words = pupil.sent('b').find((e) => e.segment.data !== '')!;
    const finB = pupil.sent('b').find((e) => e.segment.fin)!;
    expect(words.segment.data).toBe('Wait! Before you go: my new number is 555-0199.');
    expect(finA.at).toBeLessThan(words.at);
    expect(words.at).toBeLessThan(finB.at);
    const ended = pupil.client.all('call:ended')[0]!;
    expect(ended.summary.outcome).toBe('polite');
    expect(ended.goal?.met).toBe(true);
  });

  it('flood: the bot asks first, 2 s into the call', async () => {
    const srv = await serve({ random: new SeededRandom('flood') });
    const pupil = await Person.hello(srv);
    await pupil.practice({ level: 'flood' });
    await pupil.advance(1_999);
    expect(pupil.sent('b')).toEqual([]);
    await pupil.advance(1);
    expect(pupil.sent('b')).toEqual([expect.objectContaining({ at: 2_000, segment: expect.objectContaining({ syn: true, ack: false }) })]);
  });
});
