/**
 * Seeded pseudo-random numbers whose state is a plain, immutable value.
 *
 * Why not the platform's random numbers: the game must replay exactly (same seed ⇒ same
 * lost envelopes), and `shared/` must stay pure. Every function here takes an
 * {@link Rng} and returns the drawn value together with the *next* state; the
 * input state is never modified, so a state can be stored, compared, sent over
 * the wire or rewound freely.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's "Small Fast Counting" generator from
 * PractRand) — 128 bits of state, passes PractRand/BigCrush, and uses only
 * 32-bit integer arithmetic (`Math.imul`, `| 0`, `>>> 0`), so results are
 * identical on every JavaScript engine. Seeds are hashed with cyrb128.
 *
 * The exact output stream is a compatibility contract (recorded replays depend
 * on it): changing the algorithm, the hash or the warm-up is a breaking change.
 */

/** Constants of the generator. Changing any of these changes every stream. */
export const RANDOM = {
  /** Outputs discarded after seeding so that nearby seeds diverge fully. */
  warmUpRounds: 15,
  /** 2^32: the number of distinct values `nextUint32` can return. */
  uint32Range: 0x1_0000_0000,
} as const;

/**
 * The generator state: four unsigned 32-bit words (sfc32's a, b, c and the
 * counter). Treat it as opaque; it is plain data, safe to freeze, clone or
 * serialise as JSON.
 */
export interface Rng {
  readonly s0: number;
  readonly s1: number;
  readonly s2: number;
  readonly s3: number;
}

/**
 * Creates a generator from a seed.
 *
 * A number seed is hashed via its decimal string form, so `createRng(42)` and
 * `createRng('42')` give the same stream (handy when a seed travels through a
 * URL). Non-finite numbers are rejected with a `RangeError`.
 *
 * @example
 * const rng = createRng('room-7');
 * const [roll, next] = nextInt(rng, 1, 6);
 */
export function createRng(seed: number | string): Rng {
  if (typeof seed === 'number' && !Number.isFinite(seed)) {
    throw new RangeError(`createRng: seed must be a finite number or a string, got ${seed}`);
  }
  const text = String(seed);

  // cyrb128 (bryc, public domain): a fast 128-bit string hash.
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;

  let a = h1 | 0;
  let b = h2 | 0;
  let c = h3 | 0;
  let d = h4 | 0;
  for (let round = 0; round < RANDOM.warmUpRounds; round++) {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (((c << 21) | (c >>> 11)) + t) | 0;
  }
  return { s0: a >>> 0, s1: b >>> 0, s2: c >>> 0, s3: d >>> 0 };
}

/**
 * Draws an unsigned 32-bit integer in [0, 2^32).
 *
 * @example
 * const [word, next] = nextUint32(createRng(1)); // 0 <= word <= 0xffffffff
 */
export function nextUint32(rng: Rng): [number, Rng] {
  const a = rng.s0 | 0;
  const b = rng.s1 | 0;
  const c = rng.s2 | 0;
  const d = rng.s3 | 0;
  const t = (((a + b) | 0) + d) | 0;
  return [
    t >>> 0,
    {
      s0: (b ^ (b >>> 9)) >>> 0,
      s1: (c + (c << 3)) >>> 0,
      s2: (((c << 21) | (c >>> 11)) + t) >>> 0,
      s3: (d + 1) >>> 0,
    },
  ];
}

/**
 * Draws a float uniformly from [0, 1) with 32 bits of resolution
 * (one `nextUint32` divided by 2^32).
 *
 * @example
 * const [p, next] = nextFloat(rng);
 * const lost = p < 0.25; // true with probability 0.25
 */
export function nextFloat(rng: Rng): [number, Rng] {
  const [word, next] = nextUint32(rng);
  return [word / RANDOM.uint32Range, next];
}

/**
 * Draws `count` floats in [0, 1) at once. The result is exactly what `count`
 * successive `nextFloat` calls would give, but with one array and one state
 * allocated instead of `count` of each — for hot paths such as the line
 * simulator.
 *
 * @example
 * const [[lossDraw, jitterDraw], next] = nextFloats(rng, 2);
 */
export function nextFloats(rng: Rng, count: number): [readonly number[], Rng] {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`nextFloats: count must be a non-negative integer, got ${count}`);
  }
  let a = rng.s0 | 0;
  let b = rng.s1 | 0;
  let c = rng.s2 | 0;
  let d = rng.s3 | 0;
  const values = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (((c << 21) | (c >>> 11)) + t) | 0;
    values[i] = (t >>> 0) / RANDOM.uint32Range;
  }
  return [values, { s0: a >>> 0, s1: b >>> 0, s2: c >>> 0, s3: d >>> 0 }];
}

/**
 * Draws an integer uniformly from [min, maxInclusive], both ends included.
 *
 * Unbiased: uses rejection sampling, so it normally consumes one `nextUint32`
 * but may (rarely, and never when the range size divides 2^32) consume more.
 * Throws a `RangeError` unless both bounds are safe integers with
 * `min <= maxInclusive` and the range holds at most 2^32 values.
 *
 * @example
 * const [die, next] = nextInt(createRng('dice'), 1, 6); // 1..6
 */
export function nextInt(rng: Rng, min: number, maxInclusive: number): [number, Rng] {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(maxInclusive) || min > maxInclusive) {
    throw new RangeError(
      `nextInt: need safe integers with min <= maxInclusive, got min=${min}, maxInclusive=${maxInclusive}`,
    );
  }
  const span = maxInclusive - min + 1;
  if (span > RANDOM.uint32Range) {
    throw new RangeError(`nextInt: range [${min}, ${maxInclusive}] holds more than 2^32 values`);
  }
  // Largest multiple of `span` not above 2^32; words at or above it are redrawn.
  const limit = RANDOM.uint32Range - (RANDOM.uint32Range % span);
  let [word, next] = nextUint32(rng);
  while (word >= limit) {
    [word, next] = nextUint32(next);
  }
  return [min + (word % span), next];
}
