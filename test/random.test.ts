import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createRng, nextFloat, nextFloats, nextInt, nextUint32, RANDOM } from '../shared/random';
import type { Rng } from '../shared/random';

/** Draws `count` values with `draw`, threading the state through. */
function drawMany(rng: Rng, count: number, draw: (rng: Rng) => [number, Rng]): number[] {
  const values: number[] = [];
  let state = rng;
  for (let i = 0; i < count; i++) {
    const [value, next] = draw(state);
    values.push(value);
    state = next;
  }
  return values;
}

const seedArb = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));

describe('random', () => {
  describe('createRng', () => {
    it('gives the same sequence for the same seed', () => {
      fc.assert(
        fc.property(seedArb, (seed) => {
          expect(drawMany(createRng(seed), 8, nextUint32)).toEqual(drawMany(createRng(seed), 8, nextUint32));
        }),
      );
    });

    it('gives different sequences for different seeds', () => {
      fc.assert(
        fc.property(seedArb, seedArb, (a, b) => {
          fc.pre(String(a) !== String(b));
          expect(drawMany(createRng(a), 4, nextUint32)).not.toEqual(drawMany(createRng(b), 4, nextUint32));
        }),
      );
    });

    it('makes neighbouring seeds diverge from the first draw', () => {
      const firsts = Array.from({ length: 1000 }, (_, seed) => nextUint32(createRng(seed))[0]);
      expect(new Set(firsts).size).toBe(1000);
    });

    it('treats a number seed like its decimal string', () => {
      expect(createRng(42)).toEqual(createRng('42'));
    });

    it('keeps producing the pinned stream (replays depend on it)', () => {
      expect(createRng('can-you-hear-me')).toEqual({ s0: 1170433987, s1: 4281256698, s2: 178509709, s3: 3264594445 });
      expect(drawMany(createRng('can-you-hear-me'), 4, nextUint32)).toEqual([
        126350538, 564769698, 3841378351, 557321184,
      ]);
      expect(drawMany(createRng(42), 4, nextUint32)).toEqual([2258495261, 801819658, 1739561921, 3711374978]);
    });

    it('returns plain data that survives a JSON round trip', () => {
      const rng = createRng('json');
      const revived = JSON.parse(JSON.stringify(rng)) as Rng;
      expect(drawMany(revived, 5, nextUint32)).toEqual(drawMany(rng, 5, nextUint32));
    });

    it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
      'rejects the non-finite seed %s with a RangeError',
      (seed) => {
        expect(() => createRng(seed)).toThrow(RangeError);
      },
    );
  });

  describe('nextUint32', () => {
    it('returns unsigned 32-bit integers and state words', () => {
      fc.assert(
        fc.property(seedArb, (seed) => {
          const [value, next] = nextUint32(createRng(seed));
          expect(Number.isInteger(value) && value >= 0 && value < RANDOM.uint32Range).toBe(true);
          for (const word of [next.s0, next.s1, next.s2, next.s3]) {
            expect(Number.isInteger(word) && word >= 0 && word < RANDOM.uint32Range).toBe(true);
          }
        }),
      );
    });

    it('does not mutate the input state', () => {
      const rng = Object.freeze(createRng('frozen'));
      const before = { ...rng };
      const [, next] = nextUint32(rng);
      nextFloat(rng);
      nextFloats(rng, 3);
      nextInt(rng, 1, 6);
      expect(rng).toEqual(before);
      expect(next).not.toBe(rng);
      expect(nextUint32(rng)).toEqual(nextUint32(rng));
    });
  });

  describe('nextFloat', () => {
    it('stays in [0, 1)', () => {
      fc.assert(
        fc.property(seedArb, (seed) => {
          for (const value of drawMany(createRng(seed), 50, nextFloat)) {
            expect(value).toBeGreaterThanOrEqual(0);
            expect(value).toBeLessThan(1);
          }
        }),
      );
    });

    it('is roughly uniform: 10,000 draws fill 10 buckets within ±20% of 1,000 each', () => {
      const buckets = new Array<number>(10).fill(0);
      for (const value of drawMany(createRng('uniformity'), 10_000, nextFloat)) {
        const index = Math.floor(value * 10);
        buckets[index] = (buckets[index] ?? 0) + 1;
      }
      for (const count of buckets) {
        expect(count).toBeGreaterThanOrEqual(800);
        expect(count).toBeLessThanOrEqual(1200);
      }
    });
  });

  describe('nextFloats', () => {
    it('equals the same number of successive nextFloat calls, state included', () => {
      fc.assert(
        fc.property(seedArb, fc.integer({ min: 0, max: 20 }), (seed, count) => {
          const rng = createRng(seed);
          let state = rng;
          const expected: number[] = [];
          for (let i = 0; i < count; i++) {
            const [value, next] = nextFloat(state);
            expected.push(value);
            state = next;
          }
          const [values, after] = nextFloats(rng, count);
          expect(values).toEqual(expected);
          expect(after).toEqual(state);
        }),
      );
    });

    it.each([-1, 1.5, Number.NaN])('rejects the count %s with a RangeError', (count) => {
      expect(() => nextFloats(createRng(1), count)).toThrow(RangeError);
    });
  });

  describe('nextInt', () => {
    it('stays within [min, maxInclusive]', () => {
      fc.assert(
        fc.property(
          seedArb,
          fc.integer({ min: -1_000_000, max: 1_000_000 }),
          fc.integer({ min: 0, max: 2_000_000 }),
          (seed, min, width) => {
            const max = min + width;
            for (const value of drawMany(createRng(seed), 20, (rng) => nextInt(rng, min, max))) {
              expect(Number.isInteger(value)).toBe(true);
              expect(value).toBeGreaterThanOrEqual(min);
              expect(value).toBeLessThanOrEqual(max);
            }
          },
        ),
      );
    });

    it('includes both ends', () => {
      const values = new Set(drawMany(createRng('ends'), 200, (rng) => nextInt(rng, 1, 3)));
      expect([...values].sort()).toEqual([1, 2, 3]);
    });

    it('returns min when the range holds one value', () => {
      expect(nextInt(createRng(7), 5, 5)[0]).toBe(5);
    });

    it('handles the full 2^32 span', () => {
      const [value] = nextInt(createRng(7), 0, RANDOM.uint32Range - 1);
      expect(value).toBe(nextUint32(createRng(7))[0]);
    });

    it.each([
      { min: 2, max: 1, why: 'min above max' },
      { min: 0.5, max: 3, why: 'fractional min' },
      { min: 0, max: Number.NaN, why: 'NaN max' },
      { min: 0, max: RANDOM.uint32Range, why: 'more than 2^32 values' },
    ])('throws a RangeError for $why', ({ min, max }) => {
      expect(() => nextInt(createRng(1), min, max)).toThrow(RangeError);
    });
  });
});
