/**
 * CallRunner on its own: a FakeClock and an Outbox that only records. No sockets; time
 * moves only when a test advances the clock, and the runner's own wake-up timer does the rest.
 */
import { describe, expect, it, vi } from 'vitest';
import { callStep, createCall, nextCallDeadline } from '../../shared/call';
import type { Call, CallEvent, Side } from '../../shared/call';
import { LINE_PRESETS } from '../../shared/net';
import { parseSegment } from '../../shared/protocol';
import type { CallEnded, CallStarted, CallUpdate, PartnerStatus, ServerPayload, ServerToClientEvents } from '../../shared/wire';
import { CALL_CONFIG, CallRunner, type Outbox, type RunnerOptions } from '../../server/runner';
import { FakeClock } from '../support/clock';

type EventName = keyof ServerToClientEvents;
interface Sent {
  readonly to: string;
  readonly event: EventName;
  readonly payload: unknown;
}

/** Records everything the runner sends, by player and by call. */
class RecordingOutbox implements Outbox {
  readonly toPlayers: Sent[] = [];
  readonly toCalls: Sent[] = [];
  toPlayer<E extends EventName>(playerId: string, event: E, payload: ServerPayload<E>): void {
    this.toPlayers.push({ to: playerId, event, payload });
  }
  toCall<E extends EventName>(callId: string, event: E, payload: ServerPayload<E>): void {
    this.toCalls.push({ to: callId, event, payload });
  }

  updates(): CallUpdate[] {
    return this.toCalls.filter((s) => s.event === 'call:update').map((s) => s.payload as CallUpdate);
  }
  events(): CallEvent[] {
    return this.updates().flatMap((u) => u.events);
  }
  partner(): PartnerStatus[] {
    return this.toCalls.filter((s) => s.event === 'call:partner').map((s) => s.payload as PartnerStatus);
  }
  ended(): CallEnded[] {
    return this.toCalls.filter((s) => s.event === 'call:ended').map((s) => s.payload as CallEnded);
  }
  started(): { to: string; payload: CallStarted }[] {
    return this.toPlayers.filter((s) => s.event === 'call:started').map((s) => ({ to: s.to, payload: s.payload as CallStarted }));
  }
}

const human = (playerId: string, name: string) => ({ playerId, name, bot: false });
const bot = (playerId: string) => ({ playerId, name: 'Bot', bot: true });

function makeRunner(overrides: Partial<RunnerOptions> = {}, clockStart = 0) {
  const clock = new FakeClock();
  clock.advance(clockStart);
  const outbox = new RecordingOutbox();
  const onEnd = vi.fn();
  const runner = new CallRunner({
    id: 'call-1',
    players: { a: human('pa', 'Alice'), b: human('pb', 'Bob') },
    line: 'perfect',
    seed: 7,
    iss: { a: 1, b: 3 },
    clock,
    outbox,
    onEnd,
    ...overrides,
  });
  return { clock, outbox, runner, onEnd };
}

const segmentSent = (events: readonly CallEvent[], from: Side) =>
  events.filter((e): e is Extract<CallEvent, { type: 'segment-sent' }> => e.type === 'segment-sent' && e.from === from);
const endpointEvents = (events: readonly CallEvent[], side: Side, type: string) =>
  events.filter((e): e is Extract<CallEvent, { type: 'endpoint' }> => e.type === 'endpoint' && e.side === side && e.event.type === type);

/** The story's handshake by named actions on a perfect line (600 ms each way): ends at 1 800 ms. */
function handshake(clock: FakeClock, runner: CallRunner): void {
  expect(runner.act('a', 'ask')).toMatchObject({ ok: true, update: { callId: 'call-1' } });
  clock.advance(600);
  expect(runner.state.pending.b).toHaveLength(1);
  expect(runner.act('b', 'answer')).toMatchObject({ ok: true, update: { callId: 'call-1' } });
  clock.advance(600);
  expect(runner.state.pending.a).toHaveLength(1);
  expect(runner.act('a', 'answer')).toMatchObject({ ok: true, update: { callId: 'call-1' } });
  clock.advance(600);
  expect(runner.state.endpoints.a.state).toBe('ESTABLISHED');
  expect(runner.state.endpoints.b.state).toBe('ESTABLISHED');
}

describe('CallRunner.start', () => {
  it('tells both seats (a bot hears its seat like a person), and leaves both sides listening', () => {
    const { runner, outbox } = makeRunner({ players: { a: human('pa', 'Alice'), b: bot('bot-1') } });
    runner.start();
    const started = outbox.started();
    expect(started.map((s) => [s.to, s.payload.you])).toEqual([
      ['pa', 'a'],
      ['bot-1', 'b'],
    ]);
    expect(started[0]!.payload.players.b).toEqual({ name: 'Bot', bot: true, connected: true });
    // Both sides are played by hand: the bot answers with the same moves a person makes.
    expect(started[0]!.payload.manual).toEqual({ a: true, b: true });
    expect(started[0]!.payload.view.a.state).toBe('LISTEN');
    expect(started[0]!.payload.view.b.state).toBe('LISTEN');
    expect(runner.state.endpoints.a.state).toBe('LISTEN');
    expect(runner.state.endpoints.b.state).toBe('LISTEN');
    // The opening is part of the snapshot, not a separate update.
    expect(outbox.updates()).toHaveLength(0);
  });

  it('tells each of two humans which side they play', () => {
    const { runner, outbox } = makeRunner();
    runner.start();
    expect(outbox.started().map((s) => [s.to, s.payload.you])).toEqual([
      ['pa', 'a'],
      ['pb', 'b'],
    ]);
  });
});

describe('timers run by themselves', () => {
  it('retransmits an unanswered SYN at 5, 10 and 15 s and gives up at 20 s', () => {
    const { runner, outbox, clock } = makeRunner();
    runner.start();
    expect(runner.act('a', 'ask')).toMatchObject({ ok: true, update: { callId: 'call-1' } });
    const synTimes = () => segmentSent(outbox.events(), 'a').filter((e) => e.segment.syn).map((e) => [e.at, e.retransmit]);
    expect(synTimes()).toEqual([[0, false]]);

    // Bob never answers: from here on only the clock moves.
    clock.advance(4_999);
    expect(synTimes()).toHaveLength(1);
    clock.advance(1);
    expect(synTimes()).toEqual([
      [0, false],
      [5_000, true],
    ]);
    clock.advance(5_000);
    clock.advance(5_000);
    expect(synTimes()).toEqual([
      [0, false],
      [5_000, true],
      [10_000, true],
      [15_000, true],
    ]);
    const attempts = endpointEvents(outbox.events(), 'a', 'retransmit').map((e) => (e.event.type === 'retransmit' ? e.event.attempt : 0));
    expect(attempts).toEqual([1, 2, 3]);
    expect(endpointEvents(outbox.events(), 'a', 'gave-up')).toHaveLength(0);

    clock.advance(4_999);
    expect(runner.state.endpoints.a.state).toBe('SYN_SENT');
    clock.advance(1);
    const gaveUp = endpointEvents(outbox.events(), 'a', 'gave-up');
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]!.at).toBe(20_000);
    expect(runner.state.endpoints.a.state).toBe('CLOSED');
    expect(runner.state.endpoints.a.closeReason).toBe('timeout');
    // Each wake-up is its own update, stamped with its time.
    expect(outbox.updates().map((u) => u.time)).toEqual(expect.arrayContaining([5_000, 10_000, 15_000, 20_000]));
    // The copies reached Bob, but his pending question is not queued twice.
    expect(runner.state.pending.b).toHaveLength(1);
    // A failed handshake does not end the call by itself.
    expect(runner.ended).toBe(false);
    expect(outbox.ended()).toHaveLength(0);
  });

  it('wakes up at exactly the next deadline of the call', () => {
    // The call starts at clock time 1 234: call time and clock time differ.
    const { runner, outbox, clock } = makeRunner({}, 1_234);
    runner.start();
    runner.act('a', 'ask');
    const deadline = nextCallDeadline(runner.state);
    expect(deadline).toBe(600);
    expect(clock.next()).toBe(1_234 + 600);
    const before = outbox.updates().length;
    clock.advance(599);
    expect(outbox.updates()).toHaveLength(before);
    expect(runner.state.now).toBe(0);
    clock.advance(1);
    const woke = outbox.updates().slice(before);
    expect(woke).toHaveLength(1);
    // Lateness 0: the update is stamped with the deadline and so is the arrival.
    expect(woke[0]!.time).toBe(600);
    expect(woke[0]!.events.find((e) => e.type === 'segment-arrived')?.at).toBe(600);
    expect(woke[0]!.events.some((e) => e.type === 'pending' && e.side === 'b')).toBe(true);
    expect(runner.time).toBe(600);
    expect(runner.state.now).toBe(600);
  });

  it('ends a call that goes on too long as expired, and leaves no timer behind', () => {
    const { runner, outbox, clock, onEnd } = makeRunner({ maxCallMs: 60_000 });
    runner.start();
    handshake(clock, runner);
    clock.advance(60_000 - 1_800 - 1);
    expect(runner.ended).toBe(false);
    clock.advance(1);
    expect(runner.ended).toBe(true);
    const ended = outbox.ended();
    expect(ended).toHaveLength(1);
    expect(ended[0]!.summary.outcome).toBe('expired');
    expect(ended[0]!.summary.by).toBeNull();
    expect(ended[0]!.summary.callMs).toBe(60_000);
    expect(onEnd).toHaveBeenCalledOnce();
    expect(clock.pending).toBe(0);
    expect(runner.chat('a', 'too late')).toEqual({ ok: false, code: 'call/ended' });
    expect(runner.act('a', 'goodbye')).toEqual({ ok: false, code: 'call/ended' });
  });
});

describe('requests', () => {
  it('refuses to chat before ESTABLISHED and changes no endpoint', () => {
    const { runner, clock } = makeRunner();
    runner.start();
    runner.act('a', 'ask');
    clock.advance(600);
    const before = runner.state;
    expect(runner.chat('a', 'hello?')).toEqual({ ok: false, code: 'state/not-established' });
    expect(runner.chat('b', 'hello?')).toEqual({ ok: false, code: 'state/not-established' });
    expect(runner.state.endpoints).toEqual(before.endpoints);
    expect(runner.state.inFlight).toEqual(before.inFlight);
    expect(runner.state.pending).toEqual(before.pending);
    expect(runner.state.nextId).toBe(before.nextId);
  });

  it('refuses an answer when nothing is pending, and changes nothing', () => {
    const { runner, outbox } = makeRunner({ players: { a: human('pa', 'Alice'), b: bot('bot-1') } });
    runner.start();
    expect(runner.act('a', 'answer')).toEqual({ ok: false, code: 'move/nothing-pending' });
    expect(runner.state.endpoints.a.state).toBe('LISTEN');
    expect(outbox.updates()).toHaveLength(0);
  });

  it('answers every accepted request with the very update both players were sent', () => {
    const { runner, outbox, clock } = makeRunner();
    runner.start();
    const asked = runner.act('a', 'ask');
    expect(asked.ok && asked.update).toBe(outbox.updates().at(-1));
    clock.advance(600);
    const answered = runner.act('b', 'answer');
    expect(answered.ok && answered.update).toBe(outbox.updates().at(-1));
    expect(outbox.toCalls.filter((s) => s.event === 'call:update').every((s) => s.to === 'call-1')).toBe(true);
  });

  it('refuses to listen again while already listening, with a code, and sends nothing', () => {
    const { runner, outbox } = makeRunner();
    runner.start();
    expect(runner.act('b', 'listen')).toEqual({ ok: false, code: 'state/already-listening' });
    expect(outbox.updates()).toHaveLength(0);
    expect(runner.state.endpoints.b.state).toBe('LISTEN');
  });

  it('answers a hang-up with nothing left to abort by an update all the same, before the call ends', () => {
    const { runner, outbox } = makeRunner();
    runner.start();
    // LISTEN has told nobody anything: no RST to send, and the hang-up ends the call at once.
    const result = runner.act('a', 'hang-up');
    expect(result.ok).toBe(true);
    const kinds = outbox.toCalls.map((s) => s.event);
    expect(kinds).toEqual(['call:update', 'call:ended']);
    expect(result.ok && result.update).toBe(outbox.updates()[0]);
    expect(outbox.ended()[0]!.summary).toMatchObject({ outcome: 'hung-up', by: 'a' });
  });

  it('hang-up ends the call as hung-up by that side once the RST has landed', () => {
    const { runner, outbox, clock, onEnd } = makeRunner();
    runner.start();
    handshake(clock, runner);
    expect(runner.act('a', 'hang-up')).toMatchObject({ ok: true, update: { callId: 'call-1' } });
    const rst = segmentSent(outbox.events(), 'a').at(-1);
    expect(rst?.segment).toEqual(parseSegment('<SEQ=2><CTL=RST>'));
    expect(runner.ended).toBe(false);
    clock.advance(600);
    expect(runner.state.endpoints.b.state).toBe('CLOSED');
    expect(runner.state.endpoints.b.closeReason).toBe('reset');
    const ended = outbox.ended();
    expect(ended).toHaveLength(1);
    expect(ended[0]!.summary.outcome).toBe('hung-up');
    expect(ended[0]!.summary.by).toBe('a');
    expect(onEnd).toHaveBeenCalledWith(runner, ended[0]!.summary);
    expect(clock.pending).toBe(0);
  });
});

describe('a dropped player', () => {
  it('freezes the line, and after the grace window hangs up: the partner is reset', () => {
    const { runner, outbox, clock } = makeRunner();
    runner.start();
    handshake(clock, runner);
    runner.playerDropped('b', 8_000);
    expect(outbox.partner()).toEqual([{ callId: 'call-1', side: 'b', connected: false, graceUntil: 1_800 + 8_000 }]);
    expect(runner.snapshotFor('a').players.b.connected).toBe(false);

    // Alice talks into a frozen line: the segment is lost to the freeze.
    expect(runner.chat('a', 'are you there?')).toMatchObject({ ok: true, update: { callId: 'call-1' } });
    const talk = segmentSent(outbox.events(), 'a').at(-1)!;
    expect(talk.segment.data).toBe('are you there?');
    expect(talk.copies).toEqual([]);
    expect(talk.lost).toEqual([{ lostAt: 1_800, reason: 'freeze', duplicate: false }]);
    // Its retransmission 5 s later is lost the same way.
    clock.advance(5_000);
    const again = segmentSent(outbox.events(), 'a').at(-1)!;
    expect(again.retransmit).toBe(true);
    expect(again.lost.map((l) => l.reason)).toEqual(['freeze']);

    clock.advance(3_000 - 1);
    expect(runner.state.endpoints.b.state).toBe('ESTABLISHED');
    clock.advance(1);
    // Bob's side hangs up: a RST, and it reaches Alice ("connection reset by peer").
    const rst = segmentSent(outbox.events(), 'b').at(-1)!;
    expect(rst.segment.rst).toBe(true);
    expect(rst.at).toBe(9_800);
    expect(rst.copies).toHaveLength(1);
    expect(runner.state.endpoints.b.closeReason).toBe('aborted');
    expect(runner.snapshotFor('a').players.b.connected).toBe(false);
    clock.advance(600);
    expect(runner.state.endpoints.a.state).toBe('CLOSED');
    expect(runner.state.endpoints.a.closeReason).toBe('reset');
    const ended = outbox.ended();
    expect(ended).toHaveLength(1);
    expect(ended[0]!.summary.outcome).toBe('hung-up');
    expect(ended[0]!.summary.by).toBe('b');
  });

  it('who comes back within the window keeps the seat and gets every event so far', () => {
    const { runner, outbox, clock } = makeRunner();
    runner.start();
    const opening = outbox.started().find((s) => s.to === 'pb')!.payload.events;
    handshake(clock, runner);
    runner.playerDropped('b', 8_000);
    runner.chat('a', 'are you there?');
    clock.advance(3_000);

    const snapshot = runner.playerResumed('b');
    expect(snapshot.you).toBe('b');
    expect(snapshot.players.b.connected).toBe(true);
    expect(snapshot.events).toEqual([...opening, ...outbox.events()]);
    expect(snapshot.events.some((e) => e.type === 'segment-sent' && e.segment.data === 'are you there?')).toBe(true);
    expect(snapshot.view.b.state).toBe('ESTABLISHED');
    expect(outbox.partner().at(-1)).toEqual({ callId: 'call-1', side: 'b', connected: true, graceUntil: null });

    // The line thawed: Alice's retransmission at 5 s after her message gets through.
    clock.advance(2_000 + 600);
    const delivered = endpointEvents(outbox.events(), 'b', 'delivered');
    expect(delivered.map((e) => (e.event.type === 'delivered' ? e.event.data : ''))).toEqual(['are you there?']);
    // The grace window passes without a hang-up.
    clock.advance(10_000);
    expect(runner.ended).toBe(false);
    expect(runner.state.endpoints.a.state).toBe('ESTABLISHED');
    expect(runner.state.endpoints.b.state).toBe('ESTABLISHED');
    expect(segmentSent(outbox.events(), 'b').some((e) => e.segment.rst)).toBe(false);
  });
});

describe('replay', () => {
  it('replaying runner.moves from the same setup gives the same call and the same events', () => {
    const seed = 2024;
    const iss = { a: 4_000_000_000, b: 777 };
    const { runner, clock } = makeRunner({ line: 'bad', seed, iss });
    runner.start();
    // Play by the hints on a lossy line: ask, answer whatever is pending, talk, drop out
    // and come back, make a wrong move, then say goodbye on both sides.
    runner.act('a', 'ask');
    let saidGoodbye = false;
    for (let t = 250; t <= 120_000 && !runner.ended; t += 250) {
      clock.advance(250);
      for (const side of ['a', 'b'] as const) if (runner.state.pending[side].length > 0) runner.act(side, 'answer');
      if (t === 8_000) runner.chat('a', 'hello 你好');
      if (t === 9_000) runner.playerDropped('b', 20_000);
      if (t === 11_000) runner.playerResumed('b');
      if (t === 12_000) runner.move('a', parseSegment('<SEQ=5><CTL=SYN>'));
      if (t === 20_000) runner.act('a', 'goodbye');
      if (runner.state.endpoints.b.state === 'CLOSE_WAIT' && !saidGoodbye) saidGoodbye = runner.act('b', 'goodbye').ok;
    }
    expect(runner.result?.outcome).toBe('polite');
    const log = runner.snapshotFor('a').events;
    expect(log.filter((e) => e.type === 'endpoint' && e.event.type === 'state' && e.event.to === 'ESTABLISHED')).toHaveLength(2);
    expect(log.some((e) => e.type === 'move-judged' && !e.ok)).toBe(true);
    const moves = runner.record().moves;
    expect(moves.length).toBeGreaterThan(5);
    expect(runner.moveCount).toBe(moves.length);

    let call: Call = createCall({
      conditions: LINE_PRESETS.bad,
      seed,
      iss,
      config: { ...CALL_CONFIG },
      manual: { a: true, b: true },
    });
    const events: CallEvent[] = [];
    for (const { at, input } of moves) {
      const r = callStep(call, input, at);
      call = r.call;
      events.push(...r.events);
    }
    expect(call).toEqual(runner.state);
    expect(events).toEqual(log);
    // The line mattered: something was lost or retransmitted on the way.
    expect(events.some((e) => e.type === 'segment-sent' && (e.retransmit || e.lost.length > 0))).toBe(true);
  });
});
