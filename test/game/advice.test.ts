import { describe, expect, it } from 'vitest';
import { ADVICE, misconceptions } from '../../shared/game/advice';
import { STEPS } from '../../shared/game/steps';

describe('the misconception report', () => {
  const people = [
    { id: 'p1', name: 'Ana' },
    { id: 'p2', name: 'Ben' },
    { id: 'p3', name: 'Cy' },
  ];

  it('adds up each participant’s wrong moves by step over their calls, most frequent first', () => {
    const reports = misconceptions(people, [
      { participantId: 'p1', mistakes: { confirm: 1, ask: 1 } },
      { participantId: 'p1', mistakes: { confirm: 2, ok: 3 } },
      { participantId: 'p2', mistakes: { goodbye: 0 } },
      { participantId: 'nobody', mistakes: { ask: 9 } },
    ]);
    expect(reports).toEqual([
      { participantId: 'p1', name: 'Ana', calls: 2, wrongMoves: 7, steps: [{ step: 'confirm', count: 3 }, { step: 'ok', count: 3 }, { step: 'ask', count: 1 }] },
      { participantId: 'p2', name: 'Ben', calls: 1, wrongMoves: 0, steps: [] },
      { participantId: 'p3', name: 'Cy', calls: 0, wrongMoves: 0, steps: [] },
    ]);
  });

  it('ignores counts that are not real (negative, unknown steps)', () => {
    const [report] = misconceptions([people[0]!], [{ participantId: 'p1', mistakes: { ask: -4, dance: 5, chat: 2 } }]);
    expect(report?.steps).toEqual([{ step: 'chat', count: 2 }]);
    expect(report?.wrongMoves).toBe(2);
  });

  it('has one line of advice for every step, in both languages', () => {
    for (const lang of ['en', 'zh'] as const) {
      for (const step of STEPS) {
        const line = ADVICE[lang][step];
        expect(line.length, `${lang} ${step}`).toBeGreaterThan(10);
        expect(line.includes('\n'), `${lang} ${step}`).toBe(false);
      }
    }
  });
});
