/**
 * Server-side randomness: unguessable codes and tokens from node:crypto, and seeds and
 * ISNs for calls. Injected, so tests can make it predictable.
 */
import { randomFillSync } from 'node:crypto';
import { CODE_ALPHABET, CODE_LENGTH } from '../shared/wire';

export interface Random {
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** An opaque URL-safe token, 128 bits. */
  token(): string;
  /** A private call code. */
  code(): string;
}

/**
 * Cryptographic randomness, drawn from a pool that node:crypto refills 4 KiB at a time: a
 * busy server makes several tokens and numbers per call, and one system call per value
 * would cost more than the value.
 */
export function pooledCryptoRandom(poolBytes = 4_096): Random {
  const pool = Buffer.alloc(poolBytes);
  let at = poolBytes;
  const take = (n: number): Buffer => {
    if (at + n > poolBytes) {
      randomFillSync(pool);
      at = 0;
    }
    const bytes = pool.subarray(at, at + n);
    at += n;
    return bytes;
  };
  /** A uniform integer below `max` (at most 2^32), without modulo bias: out-of-range draws are thrown away. */
  const int = (max: number): number => {
    if (!Number.isInteger(max) || max <= 0 || max > 2 ** 32) throw new RangeError(`max must be an integer in 1..2^32, not ${max}`);
    const limit = 2 ** 32 - (2 ** 32 % max);
    for (;;) {
      const x = take(4).readUInt32BE(0);
      if (x < limit) return x % max;
    }
  };
  return {
    int,
    token: () => take(16).toString('base64url'),
    code: () => Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[int(CODE_ALPHABET.length)]).join(''),
  };
}

export const cryptoRandom: Random = pooledCryptoRandom();
