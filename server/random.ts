/**
 * Server-side randomness: unguessable codes and tokens from node:crypto, and seeds and
 * ISNs for calls. Injected, so tests can make it predictable.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { CODE_ALPHABET, CODE_LENGTH } from '../shared/wire';

export interface Random {
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** An opaque URL-safe token, 128 bits. */
  token(): string;
  /** A private call code. */
  code(): string;
}

export const cryptoRandom: Random = {
  int: (maxExclusive) => randomInt(maxExclusive),
  token: () => randomBytes(16).toString('base64url'),
  code: () => Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join(''),
};
