/**
 * Predictable server randomness for tests, and a line seed that loses exactly the first SYN.
 */
import { createLine, LINE_PRESETS, transmit } from '../../shared/net';
import { parseSegment } from '../../shared/protocol';
import { createRng, nextInt, type Rng } from '../../shared/random';
import { CODE_ALPHABET, CODE_LENGTH } from '../../shared/wire';
import type { Random } from '../../server/random';

/**
 * Predictable server randomness. `callSeeds` are handed out, in
 * order, as the seeds of the calls the lobby starts (its `int(2 ** 31)` draws); everything
 * else comes from the PRNG.
 */
export class SeededRandom implements Random {
  private rng: Rng;
  private readonly callSeeds: number[];

  constructor(seed: number | string, callSeeds: readonly number[] = []) {
    this.rng = createRng(seed);
    this.callSeeds = [...callSeeds];
  }

  int(maxExclusive: number): number {
    if (maxExclusive === 2 ** 31) {
      const seed = this.callSeeds.shift();
      if (seed !== undefined) return seed;
    }
    return this.draw(maxExclusive);
  }

  token(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    return Array.from({ length: 22 }, () => alphabet[this.draw(alphabet.length)]).join('');
  }

  code(): string {
    return Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[this.draw(CODE_ALPHABET.length)]).join('');
  }

  private draw(maxExclusive: number): number {
    const [value, next] = nextInt(this.rng, 0, maxExclusive - 1);
    this.rng = next;
    return value;
  }
}

/**
 * A seed for `line` whose first send (A's SYN) is lost entirely and whose next three (the
 * retransmitted SYN, the SYN+ACK, the ACK) arrive once each, in order. A line's fate for
 * each send depends only on how many sends came before it, not on when.
 */
export function seedLosingTheFirstSyn(line: 'bad' | 'terrible' = 'bad'): number {
  const syn = parseSegment('<SEQ=1><CTL=SYN>');
  const sends = [
    ['aToB', 0],
    ['aToB', 5_000],
    ['bToA', 6_000],
    ['aToB', 7_000],
  ] as const;
  for (let seed = 1; seed < 100_000; seed++) {
    let state = createLine(LINE_PRESETS[line], seed);
    const fates = sends.map(([direction, at]) => {
      const r = transmit(state, direction, syn, at);
      state = r.line;
      return r.outcome;
    });
    const [first, ...rest] = fates;
    if (first?.delivered.length === 0 && rest.every((f) => f.lost.length === 0 && f.delivered.length === 1 && !f.delivered[0]!.reordered)) return seed;
  }
  throw new Error('no seed found');
}

