/**
 * A server handing everyone over to another (it is stopping while others run), as the
 * lobby sees it: two lobbies on one fake clock, what one hands over the other takes in. A
 * player waiting for a quick match waits on (and is paired there), a private call's host
 * keeps the code (a friend joins it there), and a call moves whole, rebuilt from its
 * journal. No sockets: an outbox that records.
 */
import { describe, expect, it } from 'vitest';
import { callView } from '../../shared/call';
import type { ServerPayload, ServerToClientEvents } from '../../shared/wire';
import type { CallBook, CallMeta } from '../../server/journal';
import { Lobby, type LobbyOutbox } from '../../server/lobby';
import { silentLogger } from '../../server/log';
import type { JournalEntry } from '../../server/runner';
import { FakeClock } from '../support/clock';
import { SeededRandom } from '../support/random';

class Recorder implements LobbyOutbox {
  readonly sent: { to: string; event: keyof ServerToClientEvents; payload: unknown }[] = [];
  toRoom<E extends keyof ServerToClientEvents>(room: string, event: E, payload: ServerPayload<E>): void {
    this.sent.push({ to: room, event, payload });
  }
  toPlayer<E extends keyof ServerToClientEvents>(playerId: string, event: E, payload: ServerPayload<E>): void {
    this.sent.push({ to: playerId, event, payload });
  }
  toCall<E extends keyof ServerToClientEvents>(callId: string, event: E, payload: ServerPayload<E>): void {
    this.sent.push({ to: callId, event, payload });
  }
}

/** A call book in memory: what Redis would hold. */
class MemoryBook implements CallBook {
  readonly calls = new Map<string, { meta: CallMeta; entries: JournalEntry[] }>();
  begin(meta: CallMeta): (entry: JournalEntry) => void {
    const call = this.calls.get(meta.id) ?? { meta, entries: [] };
    this.calls.set(meta.id, call);
    return (entry) => call.entries.push(entry);
  }
  ended(): void {}
  forget(): void {}
  later(fn: () => void): void {
    fn();
  }
}

function lobby(clock: FakeClock, seed: number, book: MemoryBook): { lobby: Lobby; out: Recorder } {
  const out = new Recorder();
  return { lobby: new Lobby({ clock, random: new SeededRandom(seed), outbox: out, rooms: { join: () => {}, leave: () => {} }, log: silentLogger, book, wallClock: () => clock.now() }), out };
}

async function hello(l: Lobby, name: string): Promise<string> {
  const result = await l.hello({ name, lang: 'en' });
  if (!result.ok) throw new Error(result.error.code);
  return result.player;
}

/** Ada and Bo in a quick-match call on the perfect line; Ada asked 700 ms ago, so her SYN has reached Bo. */
async function askedCall(l: Lobby, clock: FakeClock): Promise<{ ada: string; bo: string; callId: string }> {
  const ada = await hello(l, 'Ada');
  const bo = await hello(l, 'Bo');
  l.handle(ada, { event: 'queue:join', payload: { line: 'perfect' } });
  const started = l.handle(bo, { event: 'queue:join', payload: { line: 'perfect' } }) as { answer: { payload: { callId: string } } };
  l.handle(ada, { event: 'call:action', payload: { action: 'ask' } });
  clock.advance(700);
  return { ada, bo, callId: started.answer.payload.callId };
}

describe('handing players over to another server', () => {
  it('a player waiting for a quick match waits on there, and is paired there', async () => {
    const clock = new FakeClock();
    const book = new MemoryBook();
    const one = lobby(clock, 1, book);
    const two = lobby(clock, 2, book);
    const ada = await hello(one.lobby, 'Ada');
    one.lobby.handle(ada, { event: 'queue:join', payload: { line: 'good' } });
    const record = one.lobby.handOverPlayer(ada);
    expect(record).toMatchObject({ id: ada, name: 'Ada', waiting: { line: 'good', teaching: false, level: null } });
    expect(one.lobby.has(ada)).toBe(false);
    two.lobby.importPlayer(record!);
    expect(two.lobby.isWaiting(ada)).toBe(true);
    // A bot is still offered after the wait, from the new server.
    clock.advance(15_000);
    expect(two.out.sent.some((s) => s.to === ada && s.event === 'queue:bot-offer')).toBe(true);
    const bo = await hello(two.lobby, 'Bo');
    const joined = two.lobby.handle(bo, { event: 'queue:join', payload: { line: 'good' } });
    expect(joined).toMatchObject({ ok: true, answer: { event: 'call:started' } });
    expect(two.lobby.isInCall(ada)).toBe(true);
  });

  it("a private call's host keeps the code there, and a friend joins it there", async () => {
    const clock = new FakeClock();
    const book = new MemoryBook();
    const one = lobby(clock, 3, book);
    const two = lobby(clock, 4, book);
    const ada = await hello(one.lobby, 'Ada');
    const created = one.lobby.handle(ada, { event: 'call:create', payload: { line: 'perfect' } });
    const code = (created as { answer: { payload: { code: string } } }).answer.payload.code;
    const record = one.lobby.handOverPlayer(ada);
    expect(record?.hosting).toEqual({ code, plan: { line: 'perfect', teaching: false, level: null, personality: 'prompt' } });
    two.lobby.importPlayer(record!);
    const bo = await hello(two.lobby, 'Bo');
    const joined = await two.lobby.handle(bo, { event: 'call:join', payload: { code } });
    expect(joined).toMatchObject({ ok: true, answer: { event: 'call:started', payload: { callId: code } } });
    // Gone from the first server: a friend there would not find it.
    const carl = await hello(one.lobby, 'Carl');
    expect(await one.lobby.handle(carl, { event: 'call:join', payload: { code } })).toMatchObject({ ok: false, error: { code: 'call/not-found' } });
  });

  it('a call moves whole: released on one server without a word, rebuilt on the other from its journal, and played on', async () => {
    const clock = new FakeClock();
    const book = new MemoryBook();
    const one = lobby(clock, 5, book);
    const two = lobby(clock, 6, book);
    const { ada, bo, callId } = await askedCall(one.lobby, clock);
    const sentBefore = one.out.sent.length;
    one.lobby.releaseCall(callId);
    expect(one.lobby.has(ada)).toBe(false);
    clock.advance(10_000);
    expect(one.out.sent.length).toBe(sentBefore);
    const { meta, entries } = book.calls.get(callId)!;
    const runner = two.lobby.adoptCall(meta, entries, () => true);
    clock.advance(0);
    // The 5-second reply timeout fell due while nobody held the call: it fired on arrival.
    expect(runner.state.now).toBeGreaterThanOrEqual(10_700);
    expect(runner.events().some((e) => e.type === 'segment-sent' && e.retransmit)).toBe(true);
    for (const player of [ada, bo]) expect(two.out.sent.filter((s) => s.to === player && s.event === 'call:started')).toHaveLength(1);
    // Bo answers there, as TCP would: the handshake completes on the new server.
    expect(runner.state.pending.b.length).toBeGreaterThan(0);
    expect(two.lobby.handle(bo, { event: 'call:action', payload: { action: 'answer' } })).toMatchObject({ ok: true });
    clock.advance(700);
    two.lobby.handle(ada, { event: 'call:action', payload: { action: 'answer' } });
    clock.advance(700);
    expect(callView(runner.state).a.state).toBe('ESTABLISHED');
    expect(callView(runner.state).b.state).toBe('ESTABLISHED');
  });

  it('a call this server already runs is not taken again: the same runner plays on, and nobody is told twice', async () => {
    const clock = new FakeClock();
    const book = new MemoryBook();
    const one = lobby(clock, 7, book);
    const { callId } = await askedCall(one.lobby, clock);
    const { meta, entries } = book.calls.get(callId)!;
    const before = one.out.sent.length;
    const first = one.lobby.adoptCall(meta, [...entries], () => true);
    const again = one.lobby.adoptCall(meta, [...entries], () => true);
    expect(again).toBe(first);
    expect(first.moveCount).toBeGreaterThan(0);
    expect(one.out.sent.length).toBe(before);
    // One runner, one set of timers: when the 5-second reply timeout falls due, the SYN is sent again once.
    clock.advance(4_300);
    const resent = one.out.sent.filter(
      (s) => s.to === callId && s.event === 'call:update' && (s.payload as ServerPayload<'call:update'>).events.some((e) => e.type === 'segment-sent' && e.retransmit && e.segment.syn),
    );
    expect(resent).toHaveLength(1);
    expect(first.events().filter((e) => e.type === 'segment-sent' && e.from === 'a' && e.segment.syn)).toHaveLength(2);
  });
});
