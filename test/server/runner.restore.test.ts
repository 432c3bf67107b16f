/**
 * A runner rebuilt from its journal (as another server does when the call's server dies)
 * is the same runner: cut a call at many moments, rebuild it from the entries written so
 * far, play on both copies with the same moves, and they agree at every step and at the
 * end. Lessons with tricks (an old duplicate, a vanishing partner, fake callers), a player
 * who drops and comes back, a hang-up, and a timer that fell due while nobody held the call.
 */
import { describe, expect, it } from 'vitest';
import { callView, replay, type Side } from '../../shared/call';
import { levelById, type LevelId } from '../../shared/game/levels';
import { LINE_PRESETS } from '../../shared/net';
import type { ServerPayload, ServerToClientEvents } from '../../shared/wire';
import { CallRunner, type JournalEntry, type Outbox, type RunnerOptions } from '../../server/runner';
import { FakeClock } from '../support/clock';

class CountingOutbox implements Outbox {
  readonly sent: { event: keyof ServerToClientEvents; payload: unknown }[] = [];
  toPlayer<E extends keyof ServerToClientEvents>(_playerId: string, event: E, payload: ServerPayload<E>): void {
    this.sent.push({ event, payload });
  }
  toCall<E extends keyof ServerToClientEvents>(_callId: string, event: E, payload: ServerPayload<E>): void {
    this.sent.push({ event, payload });
  }
}

const STEP_MS = 350;

/** What the players do at step `i`: the same for every copy, decided from the runner as it is. */
function play(runner: CallRunner, i: number, script: Script): void {
  if (runner.ended) return;
  const view = callView(runner.state);
  if (i === 1) runner.act('a', 'ask');
  if (script.dropAt === i) runner.playerDropped('b', 6_000);
  if (script.backAt === i) runner.playerResumed('b');
  if (script.hangUpAt === i) runner.act('b', 'hang-up');
  if (script.lineAt === i) runner.setLine('terrible');
  for (const side of ['a', 'b'] as Side[]) {
    if (runner.ended) return;
    if (runner.state.pending[side].length > 0 && (i + (side === 'a' ? 0 : 1)) % 2 === 0) runner.act(side, 'answer');
  }
  if (view.a.state === 'ESTABLISHED' && view.b.state === 'ESTABLISHED' && i % 7 === 0) runner.chat('a', `hello ${i}`);
  if (view.a.state === 'ESTABLISHED' && i > 30) runner.act('a', 'goodbye');
  if (view.b.state === 'CLOSE_WAIT' && runner.state.pending.b.length === 0) runner.act('b', 'goodbye');
}

interface Script {
  readonly level: LevelId | null;
  readonly line: 'perfect' | 'good' | 'bad';
  readonly dropAt?: number;
  readonly backAt?: number;
  readonly hangUpAt?: number;
  readonly lineAt?: number;
}

function options(script: Script, clock: FakeClock, outbox: Outbox, journal?: (e: JournalEntry) => void): RunnerOptions {
  const level = script.level === null ? null : levelById(script.level);
  return {
    id: 'call-1',
    players: { a: { playerId: 'pa', name: 'Ada', bot: false }, b: { playerId: 'pb', name: 'Bo', bot: false } },
    line: level?.line ?? script.line,
    conditions: LINE_PRESETS[level?.line ?? script.line],
    seed: 99,
    iss: { a: 1_000, b: 5_000 },
    level,
    clock,
    outbox,
    ...(journal === undefined ? {} : { journal }),
  };
}

const SCRIPTS: Script[] = [
  { level: null, line: 'bad', dropAt: 12, backAt: 20, lineAt: 25 },
  { level: 'ghost', line: 'perfect' },
  { level: 'flood', line: 'perfect' },
  { level: 'silent', line: 'good' },
  { level: 'last-word', line: 'perfect', dropAt: 40 },
  { level: null, line: 'good', hangUpAt: 18 },
];

describe('CallRunner.restore', () => {
  for (const script of SCRIPTS) {
    it(`rebuilds ${script.level ?? script.line} at any step and plays on exactly as the original`, () => {
      for (const cut of [0, 3, 9, 15, 22, 37, 45]) {
        const clock = new FakeClock();
        const entries: JournalEntry[] = [];
        const original = new CallRunner(options(script, clock, new CountingOutbox(), (e) => entries.push(e)));
        original.start();
        let i = 0;
        for (; i < cut && !original.ended; i++) {
          play(original, i, script);
          clock.advance(STEP_MS);
        }
        // Another server rebuilds it from what was written so far, on a clock of its own.
        const there = new FakeClock();
        there.advance(clock.now());
        const restoredOutbox = new CountingOutbox();
        const restored = CallRunner.restore({ ...options(script, there, restoredOutbox), startedAt: 0 }, entries);
        expect(restored.record()).toEqual(original.record());
        expect(callView(restored.state)).toEqual(callView(original.state));
        expect(restored.events()).toEqual(original.events());
        expect(restored.goal()).toEqual(original.goal());
        expect(restored.ended).toBe(original.ended);
        for (; i < 200 && !original.ended; i++) {
          play(original, i, script);
          play(restored, i, script);
          clock.advance(STEP_MS);
          there.advance(STEP_MS);
          expect(callView(restored.state)).toEqual(callView(original.state));
        }
        expect(original.ended).toBe(true);
        expect(restored.result).toEqual(original.result);
        expect(restored.record()).toEqual(original.record());
        expect(restored.mistakes('a')).toEqual(original.mistakes('a'));
        // Its record replays to the same call.
        expect(callView(replay(restored.record()).call)).toEqual(callView(restored.state));
      }
    });
  }

  it('fires at once a timer that fell due while no server held the call', () => {
    const clock = new FakeClock();
    const entries: JournalEntry[] = [];
    const original = new CallRunner(options({ level: null, line: 'perfect' }, clock, new CountingOutbox(), (e) => entries.push(e)));
    original.start();
    original.act('a', 'ask');
    clock.advance(600);
    // The SYN arrived; nobody answers. The server dies here; the next one comes 9 s later.
    const there = new FakeClock();
    there.advance(clock.now() + 9_000);
    const outbox = new CountingOutbox();
    const restored = CallRunner.restore({ ...options({ level: null, line: 'perfect' }, there, outbox), startedAt: 0 }, entries);
    expect(outbox.sent).toEqual([]);
    there.advance(0);
    // The 5-second reply timeout (and what it led to) happened on arrival, at call time 9.6 s.
    const updates = outbox.sent.filter((s) => s.event === 'call:update');
    expect(updates.length).toBeGreaterThan(0);
    expect(restored.state.now).toBe(9_600);
    expect(restored.events().some((e) => e.type === 'segment-sent' && e.retransmit)).toBe(true);
  });

  it('writes down the hang-up, the drop and the end, and a call that had ended ends again with the same figures', () => {
    const clock = new FakeClock();
    const entries: JournalEntry[] = [];
    const original = new CallRunner(options({ level: null, line: 'perfect' }, clock, new CountingOutbox(), (e) => entries.push(e)));
    original.start();
    original.act('a', 'ask');
    clock.advance(1_000);
    original.playerDropped('b', 20_000);
    clock.advance(1_000);
    original.act('a', 'hang-up');
    clock.advance(5_000);
    expect(original.ended).toBe(true);
    const facts = entries.filter((e): e is Exclude<JournalEntry, { m: unknown }> => 'f' in e).map((e) => e.f);
    expect(facts).toEqual(['dropped', 'hung-up', 'end']);
    const outbox = new CountingOutbox();
    const there = new FakeClock();
    there.advance(clock.now() + 60_000);
    const restored = CallRunner.restore({ ...options({ level: null, line: 'perfect' }, there, outbox), startedAt: 0 }, entries);
    expect(restored.result).toEqual(original.result);
    expect(outbox.sent.map((s) => s.event)).toEqual(['call:ended']);
  });

  it('says nothing and writes nothing once released', () => {
    const clock = new FakeClock();
    const entries: JournalEntry[] = [];
    const outbox = new CountingOutbox();
    const runner = new CallRunner(options({ level: null, line: 'perfect' }, clock, outbox, (e) => entries.push(e)));
    runner.start();
    runner.act('a', 'ask');
    const written = entries.length;
    const sent = outbox.sent.length;
    runner.release();
    clock.advance(60_000);
    expect(entries.length).toBe(written);
    expect(outbox.sent.length).toBe(sent);
    expect(runner.ended).toBe(false);
  });
});
