/**
 * The end-of-call figures and score (shared/game/summary.ts): a call played by hand on a
 * perfect line, scored by hand from SCORING; and the tally kept step by step, as the
 * server keeps it, gives exactly what summarising the whole log gives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callStep, createCall } from '../../shared/call';
import type { CallEvent, CallInput } from '../../shared/call';
import { CallTally, handshakeTime, SCORING, summarize } from '../../shared/game/summary';
import { LINE_PRESETS } from '../../shared/net';
import { parseSegment } from '../../shared/protocol';

/** The story on the perfect line (600 ms a hop), both sides by hand, with one wrong answer. */
function playStory(): { steps: CallEvent[][]; events: CallEvent[] } {
  let call = createCall({ conditions: LINE_PRESETS.perfect, seed: 1, iss: { a: 1, b: 3 }, manual: { a: true, b: true } });
  const steps: CallEvent[][] = [];
  const at = (t: number, input: CallInput): void => {
    const r = callStep(call, input, t);
    call = r.call;
    steps.push([...r.events]);
  };
  const move = (side: 'a' | 'b', segment: string): CallInput => ({ kind: 'move', side, segment: parseSegment(segment) });
  at(0, { kind: 'user', side: 'a', input: { kind: 'listen' } });
  at(0, { kind: 'user', side: 'b', input: { kind: 'listen' } });
  at(0, move('a', '<SEQ=1><CTL=SYN>')); // right first time; nothing was pending
  at(1_000, move('b', '<SEQ=3><ACK=2><CTL=SYN,ACK>')); // right first time, 0.4 s after the SYN arrived
  at(2_000, move('a', '<SEQ=2><ACK=3><CTL=ACK>')); // wrong: "3"
  at(2_100, move('a', '<SEQ=2><ACK=4><CTL=ACK>')); // right, 0.5 s after the SYN+ACK arrived, not first time
  at(2_100, { kind: 'user', side: 'a', input: { kind: 'send', data: 'hi' } });
  at(3_000, { kind: 'user', side: 'a', input: { kind: 'close' } });
  at(4_000, { kind: 'answer', side: 'b' }); // b acknowledges the FIN (CLOSE_WAIT)
  at(4_000, { kind: 'user', side: 'b', input: { kind: 'close' } });
  at(5_000, { kind: 'answer', side: 'a' }); // a acknowledges b's FIN: TIME_WAIT
  at(30_000, { kind: 'tick' }); // TIME_WAIT runs out
  return { steps, events: steps.flat() };
}

describe('summarize', () => {
  it('scores a call played by hand as SCORING says', () => {
    const { events } = playStory();
    const summary = summarize(events, 'polite', null, 30_000, { speedPoints: true });
    expect(summary.handshakeMs).toBe(2_700);
    expect(summary.sides.a).toMatchObject({ correctMoves: 2, wrongMoves: 1, messagesSent: 1, retransmissions: 0 });
    expect(summary.sides.b).toMatchObject({ correctMoves: 1, wrongMoves: 0, messagesSent: 0 });
    const a = 2 * SCORING.correctMove + SCORING.wrongMove + SCORING.firstTime + SCORING.quickAnswer + SCORING.message + SCORING.handshake + SCORING.politeGoodbye;
    const b = SCORING.correctMove + SCORING.firstTime + SCORING.quickAnswer + SCORING.handshake + SCORING.politeGoodbye;
    expect(summary.sides.a.score).toBe(a);
    expect(summary.sides.b.score).toBe(b);
    // Teaching mode: no speed points.
    const teaching = summarize(events, 'polite', null, 30_000, { speedPoints: false });
    expect(teaching.sides.a.score).toBe(a - SCORING.quickAnswer);
    expect(teaching.sides.b.score).toBe(b - SCORING.quickAnswer);
  });
});

describe('CallTally', () => {
  it('kept step by step equals the summary of the whole log, at every step', () => {
    const { steps, events } = playStory();
    const tally = new CallTally({ speedPoints: true });
    let seen = 0;
    for (const step of steps) {
      for (const e of step) tally.count(e);
      seen += step.length;
      const sofar = events.slice(0, seen);
      expect(tally.summary('hung-up', 'b', 1_234)).toEqual(summarize(sofar, 'hung-up', 'b', 1_234));
      expect(tally.handshakeMs).toBe(handshakeTime(sofar));
    }
    expect(tally.mistakes('a')).toMatchObject({ confirm: 1 });
    expect(Object.values(tally.mistakes('b')).every((n) => n === 0)).toBe(true);
  });

  it('does not depend on how the events are split into steps', () => {
    const { events } = playStory();
    fc.assert(
      fc.property(fc.array(fc.nat({ max: events.length }), { maxLength: 8 }), (cuts) => {
        const tally = new CallTally();
        const bounds = [0, ...[...cuts].sort((x, y) => x - y), events.length];
        for (let i = 1; i < bounds.length; i++) tally.add(events.slice(bounds[i - 1], bounds[i]));
        expect(tally.summary('polite', null, 9)).toEqual(summarize(events, 'polite', null, 9));
      }),
    );
  });
});
