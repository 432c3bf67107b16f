import { describe, expect, it } from 'vitest';
import { pooledCryptoRandom } from '../../server/random';
import { CODE_ALPHABET, CODE_LENGTH } from '../../shared/wire';

describe('the server’s pooled cryptographic randomness', () => {
  // A tiny pool, so that every test crosses many refills.
  const random = pooledCryptoRandom(40);

  it('makes 128-bit URL-safe tokens that never repeat', () => {
    const tokens = Array.from({ length: 5_000 }, () => random.token());
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('draws integers in range, every value about equally often', () => {
    const max = 6;
    const counts = new Array<number>(max).fill(0);
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const x = random.int(max);
      expect(Number.isInteger(x) && x >= 0 && x < max).toBe(true);
      counts[x]!++;
    }
    // Chi-square with 5 degrees of freedom: 20.5 is the 0.1% tail; a biased draw lands far beyond.
    const expected = n / max;
    const chi = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(20.5);
    expect(random.int(1)).toBe(0);
    const big = random.int(2 ** 31);
    expect(big >= 0 && big < 2 ** 31).toBe(true);
  });

  it('makes codes from the code alphabet, and refuses a range that is not one', () => {
    for (let i = 0; i < 500; i++) {
      const code = random.code();
      expect(code).toHaveLength(CODE_LENGTH);
      for (const c of code) expect(CODE_ALPHABET).toContain(c);
    }
    expect(() => random.int(0)).toThrow(RangeError);
    expect(() => random.int(2.5)).toThrow(RangeError);
    expect(() => random.int(2 ** 32 + 1)).toThrow(RangeError);
  });
});
