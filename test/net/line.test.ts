import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createLine, LINE_PRESETS, LINE_RANDOMNESS, symmetric, transmit, withConditions } from '../../shared/net';
import type { Direction, Freeze, Line, LineConditions, LinkConditions, Transmission } from '../../shared/net';
import { nextFloats } from '../../shared/random';

const perfectLink: LinkConditions = LINE_PRESETS.perfect.aToB;

/** A symmetric line condition built from the perfect link with some fields changed. */
function conditionsWith(changes: Partial<LinkConditions>, freezes: readonly Freeze[] = []): LineConditions {
  return symmetric({ ...perfectLink, ...changes }, freezes);
}

interface Send {
  readonly direction: Direction;
  readonly nowMs: number;
}

/** Runs a sequence of sends through a fresh line, threading the line state. */
function run(
  conditions: LineConditions,
  seed: number | string,
  sends: readonly Send[],
): { line: Line; outcomes: Transmission<number>[] } {
  let line = createLine(conditions, seed);
  const outcomes: Transmission<number>[] = [];
  sends.forEach(({ direction, nowMs }, index) => {
    const result = transmit(line, direction, index, nowMs);
    line = result.line;
    outcomes.push(result.outcome);
  });
  return { line, outcomes };
}

/** Recursively freezes a value, so any mutation throws (tests run in strict mode). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const probabilityArb = fc.double({ min: 0, max: 1, noNaN: true });
const linkArb: fc.Arbitrary<LinkConditions> = fc.record({
  latencyMs: fc.integer({ min: 0, max: 2_000 }),
  jitterMs: fc.integer({ min: 0, max: 1_000 }),
  loss: probabilityArb,
  duplicate: probabilityArb,
  reorder: probabilityArb,
  reorderDelayMs: fc.integer({ min: 0, max: 2_000 }),
});
const freezeArb: fc.Arbitrary<Freeze> = fc
  .tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 1, max: 5_000 }))
  .map(([fromMs, lengthMs]) => ({ fromMs, toMs: fromMs + lengthMs }));
const conditionsArb: fc.Arbitrary<LineConditions> = fc.record({
  aToB: linkArb,
  bToA: linkArb,
  freezes: fc.array(freezeArb, { maxLength: 3 }),
});
const directionArb = fc.constantFrom<Direction>('aToB', 'bToA');
/** Sends at non-decreasing times, as a game clock would produce them. */
const sendsArb: fc.Arbitrary<Send[]> = fc
  .array(fc.tuple(directionArb, fc.integer({ min: 0, max: 500 })), { maxLength: 60 })
  .map((steps) => {
    let nowMs = 0;
    return steps.map(([direction, gapMs]) => {
      nowMs += gapMs;
      return { direction, nowMs };
    });
  });
const seedArb = fc.oneof(fc.string(), fc.integer());

describe('line', () => {
  describe('on a perfect line', () => {
    it.each([0, 1_000, 12_345.5])('delivers exactly one copy sent at %s ms after latencyMs', (nowMs) => {
      const payload = { flags: ['SYN'] };
      const { outcome } = transmit(createLine(LINE_PRESETS.perfect, 1), 'aToB', payload, nowMs);
      expect(outcome).toEqual({
        direction: 'aToB',
        delivered: [{ payload, sentAt: nowMs, arriveAt: nowMs + 600, duplicate: false, reordered: false }],
        lost: [],
      });
      expect(outcome.delivered[0]?.payload).toBe(payload);
    });

    it('treats both directions alike', () => {
      const { outcome } = transmit(createLine(LINE_PRESETS.perfect, 1), 'bToA', 'ack', 50);
      expect(outcome.direction).toBe('bToA');
      expect(outcome.delivered.map((copy) => copy.arriveAt)).toEqual([650]);
    });
  });

  describe('loss', () => {
    it('loses every copy with reason "loss" halfway along when loss is 1', () => {
      const { outcomes } = run(
        conditionsWith({ loss: 1, duplicate: 0.5 }),
        'all-lost',
        Array.from({ length: 200 }, (_, i) => ({ direction: i % 2 ? 'bToA' : 'aToB', nowMs: i * 10 }) as const),
      );
      for (const [i, outcome] of outcomes.entries()) {
        expect(outcome.delivered).toEqual([]);
        expect(outcome.lost.length).toBeGreaterThanOrEqual(1);
        for (const copy of outcome.lost) {
          expect(copy).toMatchObject({ payload: i, sentAt: i * 10, lostAt: i * 10 + 300, reason: 'loss' });
        }
      }
    });

    it('loses roughly the configured share of copies over 10,000 sends (±3 points)', () => {
      for (const loss of [0.1, 0.25, 0.45]) {
        const sends = Array.from({ length: 10_000 }, (_, i) => ({ direction: 'aToB', nowMs: i }) as const);
        const { outcomes } = run(conditionsWith({ loss, jitterMs: 100 }), `loss-${loss}`, sends);
        const lostCount = outcomes.filter((outcome) => outcome.lost.length === 1).length;
        expect(Math.abs(lostCount / 10_000 - loss)).toBeLessThanOrEqual(0.03);
      }
    });
  });

  describe('duplication', () => {
    it('always yields two copies, the second marked duplicate, when duplicate is 1', () => {
      const { outcomes } = run(
        conditionsWith({ duplicate: 1, jitterMs: 200 }),
        'twins',
        Array.from({ length: 50 }, (_, i) => ({ direction: 'aToB', nowMs: i * 100 }) as const),
      );
      for (const outcome of outcomes) {
        expect(outcome.delivered.map((copy) => copy.duplicate)).toEqual([false, true]);
        expect(outcome.lost).toEqual([]);
      }
    });

    it('duplicates roughly the configured share of sends', () => {
      const sends = Array.from({ length: 10_000 }, (_, i) => ({ direction: 'bToA', nowMs: i }) as const);
      const { outcomes } = run(conditionsWith({ duplicate: 0.2 }), 'dup-rate', sends);
      const doubled = outcomes.filter((outcome) => outcome.delivered.length === 2).length;
      expect(Math.abs(doubled / 10_000 - 0.2)).toBeLessThanOrEqual(0.03);
    });
  });

  describe('freezes', () => {
    const freeze: Freeze = { fromMs: 1_000, toMs: 2_000 };

    it.each([
      { case: 'sent and arriving before the window', sentAt: 300, lostAt: undefined },
      { case: 'sent before, arriving exactly as it starts', sentAt: 400, lostAt: 1_000 },
      { case: 'sent before and arriving inside', sentAt: 500, lostAt: 1_000 },
      { case: 'sent before and arriving after (in flight across it)', sentAt: 0, lostAt: 1_000 },
      { case: 'sent inside', sentAt: 1_500, lostAt: 1_500 },
      { case: 'sent in its last millisecond', sentAt: 1_999, lostAt: 1_999 },
      { case: 'sent exactly as it ends', sentAt: 2_000, lostAt: undefined },
      { case: 'sent after', sentAt: 2_500, lostAt: undefined },
    ])('a copy $case (sent at $sentAt ms) is lost at $lostAt', ({ sentAt, lostAt }) => {
      const latencyMs = sentAt === 0 ? 2_500 : 600;
      const line = createLine(conditionsWith({ latencyMs }, [freeze]), 'freeze');
      const { outcome } = transmit(line, 'aToB', 'seg', sentAt);
      if (lostAt === undefined) {
        expect(outcome.lost).toEqual([]);
        expect(outcome.delivered.map((copy) => copy.arriveAt)).toEqual([sentAt + latencyMs]);
      } else {
        expect(outcome.delivered).toEqual([]);
        expect(outcome.lost).toEqual([{ payload: 'seg', sentAt, lostAt, reason: 'freeze', duplicate: false }]);
      }
    });

    it('drops every segment sent during a freeze, in both directions', () => {
      const sends = Array.from({ length: 100 }, (_, i) => ({
        direction: i % 2 ? 'bToA' : 'aToB',
        nowMs: 1_000 + i * 10,
      }) as const);
      const { outcomes } = run(
        conditionsWith({ jitterMs: 300, duplicate: 0.3, reorder: 0.3, reorderDelayMs: 1_000 }, [freeze]),
        'cut',
        sends,
      );
      for (const outcome of outcomes) {
        expect(outcome.delivered).toEqual([]);
        for (const copy of outcome.lost) expect(copy.reason).toBe('freeze');
      }
    });

    it('cuts off a copy that would otherwise be lost later, at the freeze start', () => {
      const line = createLine(conditionsWith({ loss: 1 }, [freeze]), 'both');
      const { outcome } = transmit(line, 'aToB', 'seg', 800); // would vanish at 1,100
      expect(outcome.lost).toEqual([{ payload: 'seg', sentAt: 800, lostAt: 1_000, reason: 'freeze', duplicate: false }]);
    });

    it('uses the earliest of several overlapping freezes, in any order', () => {
      const freezes = [
        { fromMs: 1_200, toMs: 1_300 },
        { fromMs: 1_100, toMs: 1_150 },
      ];
      const { outcome } = transmit(createLine(conditionsWith({}, freezes), 1), 'bToA', 'seg', 1_000);
      expect(outcome.lost.map((copy) => copy.lostAt)).toEqual([1_100]);
    });
  });

  describe('reordering', () => {
    it('holds a reordered copy back by reorderDelayMs without moving the FIFO mark', () => {
      const line = createLine(conditionsWith({ reorder: 1, reorderDelayMs: 1_200 }), 'late');
      const { line: next, outcome } = transmit(line, 'aToB', 'seg', 100);
      expect(outcome.delivered).toEqual([
        { payload: 'seg', sentAt: 100, arriveAt: 1_900, duplicate: false, reordered: true },
      ]);
      expect(next.lastArrivalMs).toBe(line.lastArrivalMs);
    });

    it('lets later copies overtake a reordered one', () => {
      const sends = Array.from({ length: 500 }, (_, i) => ({ direction: 'aToB', nowMs: i * 100 }) as const);
      const copies = run(conditionsWith({ reorder: 0.2, reorderDelayMs: 1_200 }), 'overtake', sends).outcomes.flatMap(
        (outcome) => outcome.delivered,
      );
      const overtaken = copies.filter(
        (copy) => copy.reordered && copies.some((later) => later.sentAt > copy.sentAt && later.arriveAt < copy.arriveAt),
      );
      expect(overtaken.length).toBeGreaterThan(0);
    });
  });

  describe('ordering', () => {
    it('never delivers a non-reordered copy before the previous one in the same direction (FIFO)', () => {
      fc.assert(
        fc.property(
          fc.record({
            latencyMs: fc.integer({ min: 0, max: 1_000 }),
            jitterMs: fc.integer({ min: 0, max: 2_000 }),
            loss: fc.constantFrom(0, 0.3),
            duplicate: fc.constantFrom(0, 0.5),
            reorder: fc.constantFrom(0, 0.3),
            reorderDelayMs: fc.integer({ min: 0, max: 2_000 }),
          }),
          seedArb,
          sendsArb,
          (link, seed, sends) => {
            const { outcomes } = run(symmetric(link), seed, sends);
            for (const direction of ['aToB', 'bToA'] as const) {
              const arrivals = outcomes
                .filter((outcome) => outcome.direction === direction)
                .flatMap((outcome) => outcome.delivered)
                .filter((copy) => !copy.reordered)
                .map((copy) => copy.arriveAt);
              for (let i = 1; i < arrivals.length; i++) {
                expect(arrivals[i]).toBeGreaterThanOrEqual(arrivals[i - 1] ?? Number.NEGATIVE_INFINITY);
              }
            }
          },
        ),
      );
    });

    it('keeps arrival within latencyMs + jitterMs (+ reorderDelayMs) of sending when FIFO does not hold it back', () => {
      fc.assert(
        fc.property(linkArb, seedArb, (link, seed) => {
          const { outcome } = transmit(createLine(symmetric(link), seed), 'aToB', 0, 0);
          for (const copy of outcome.delivered) {
            const extraMs = copy.reordered ? link.reorderDelayMs : 0;
            expect(copy.arriveAt).toBeGreaterThanOrEqual(link.latencyMs + extraMs);
            expect(copy.arriveAt).toBeLessThanOrEqual(link.latencyMs + link.jitterMs + extraMs);
            expect(Number.isInteger(copy.arriveAt)).toBe(true);
          }
        }),
      );
    });
  });

  describe('determinism and randomness', () => {
    it('gives deep-equal outcomes for the same seed, conditions and calls', () => {
      fc.assert(
        fc.property(conditionsArb, seedArb, sendsArb, (conditions, seed, sends) => {
          expect(run(conditions, seed, sends)).toEqual(run(conditions, seed, sends));
        }),
      );
    });

    it('draws exactly LINE_RANDOMNESS.drawsPerTransmit values per send, whatever happens', () => {
      fc.assert(
        fc.property(conditionsArb, seedArb, sendsArb, (conditions, seed, sends) => {
          const { line } = run(conditions, seed, sends);
          const draws = LINE_RANDOMNESS.drawsPerTransmit * sends.length;
          expect(line.rng).toEqual(nextFloats(createLine(conditions, seed).rng, draws)[1]);
        }),
      );
    });

    it('changing one probability does not shift the fates of later sends', () => {
      const sends = Array.from({ length: 300 }, (_, i) => ({ direction: 'aToB', nowMs: i * 2_000 }) as const);
      const noDuplicates = run(conditionsWith({ jitterMs: 400 }), 'stable', sends).outcomes;
      const someDuplicates = run(conditionsWith({ jitterMs: 400, duplicate: 0.5 }), 'stable', sends).outcomes;
      // Sends are far apart, so FIFO never intervenes: each original arrives at the same time either way.
      expect(someDuplicates.map((outcome) => outcome.delivered[0]?.arriveAt)).toEqual(
        noDuplicates.map((outcome) => outcome.delivered[0]?.arriveAt),
      );
    });
  });

  describe('immutability', () => {
    it('does not mutate the input line', () => {
      fc.assert(
        fc.property(conditionsArb, seedArb, sendsArb, (conditions, seed, sends) => {
          let line = createLine(conditions, seed);
          for (const [index, { direction, nowMs }] of sends.entries()) {
            const before = structuredClone(line);
            deepFreeze(line);
            const result = transmit(line, direction, index, nowMs);
            expect(line).toEqual(before);
            expect(result.line).not.toBe(line);
            line = result.line;
          }
        }),
      );
    });

    it('replays the same outcome from an old line value', () => {
      const line = createLine(LINE_PRESETS.terrible, 'rewind');
      expect(transmit(line, 'aToB', 'x', 0)).toEqual(transmit(line, 'aToB', 'x', 0));
    });

    it('ships presets deeply frozen', () => {
      for (const preset of Object.values(LINE_PRESETS)) {
        expect(Object.isFrozen(preset)).toBe(true);
        expect(Object.isFrozen(preset.aToB)).toBe(true);
        expect(Object.isFrozen(preset.freezes)).toBe(true);
      }
    });
  });

  describe('presets', () => {
    it.each([
      { name: 'perfect', latencyMs: 600, jitterMs: 0, loss: 0, duplicate: 0, reorder: 0 },
      { name: 'good', latencyMs: 600, jitterMs: 100, loss: 0, duplicate: 0, reorder: 0 },
      { name: 'bad', latencyMs: 700, jitterMs: 300, loss: 0.25, duplicate: 0.05, reorder: 0.05 },
      { name: 'terrible', latencyMs: 900, jitterMs: 500, loss: 0.45, duplicate: 0.1, reorder: 0.1 },
    ] as const)('$name has the documented link in both directions', ({ name, ...expected }) => {
      const preset = LINE_PRESETS[name];
      expect(preset.aToB).toMatchObject(expected);
      expect(preset.bToA).toBe(preset.aToB);
      expect(preset.freezes).toEqual([]);
      expect(() => createLine(preset, 0)).not.toThrow();
    });

    it('bad holds reordered copies back 1.2 s', () => {
      expect(LINE_PRESETS.bad.aToB.reorderDelayMs).toBe(1_200);
    });
  });

  describe('validation', () => {
    it.each([
      { case: 'loss above 1', conditions: conditionsWith({ loss: 1.5 }) },
      { case: 'negative duplicate', conditions: conditionsWith({ duplicate: -0.1 }) },
      { case: 'NaN reorder', conditions: conditionsWith({ reorder: Number.NaN }) },
      { case: 'negative latency', conditions: conditionsWith({ latencyMs: -1 }) },
      { case: 'fractional jitter', conditions: conditionsWith({ jitterMs: 2.5 }) },
      { case: 'infinite reorder delay', conditions: conditionsWith({ reorderDelayMs: Number.POSITIVE_INFINITY }) },
      { case: 'empty freeze', conditions: conditionsWith({}, [{ fromMs: 5, toMs: 5 }]) },
      { case: 'backwards freeze', conditions: conditionsWith({}, [{ fromMs: 10, toMs: 5 }]) },
      {
        case: 'bad bToA only',
        conditions: { ...LINE_PRESETS.good, bToA: { ...LINE_PRESETS.good.bToA, loss: 2 } },
      },
    ])('throws a RangeError for $case', ({ conditions }) => {
      expect(() => createLine(conditions, 1)).toThrow(RangeError);
      expect(() => withConditions(createLine(LINE_PRESETS.good, 1), conditions)).toThrow(RangeError);
    });

    it('names the offending field', () => {
      expect(() => createLine(conditionsWith({ loss: 2 }), 1)).toThrow(/aToB\.loss/);
    });

    it('accepts a freeze that never ends', () => {
      expect(() => createLine(conditionsWith({}, [{ fromMs: 0, toMs: Number.POSITIVE_INFINITY }]), 1)).not.toThrow();
    });

    it.each([Number.NaN, Number.POSITIVE_INFINITY])('rejects nowMs %s with a RangeError', (nowMs) => {
      expect(() => transmit(createLine(LINE_PRESETS.good, 1), 'aToB', 'seg', nowMs)).toThrow(RangeError);
    });
  });

  describe('withConditions', () => {
    it('swaps conditions but keeps the random state and FIFO mark', () => {
      const { line } = transmit(createLine(LINE_PRESETS.good, 'swap'), 'aToB', 'seg', 0);
      const frozen = withConditions(line, { ...line.conditions, freezes: [{ fromMs: 100, toMs: 200 }] });
      expect(frozen.rng).toBe(line.rng);
      expect(frozen.lastArrivalMs).toBe(line.lastArrivalMs);
      expect(transmit(frozen, 'aToB', 'seg', 150).outcome.lost[0]?.reason).toBe('freeze');
    });
  });
});
