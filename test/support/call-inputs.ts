/** Random inputs for a hand-played call, for property tests of the pure call. */
import fc from 'fast-check';
import type { CallInput, Side } from '../../shared/call';
import { parseSegment } from '../../shared/protocol';

const side = fc.constantFrom<Side>('a', 'b');

/** What players do: wait, answer what is pending, listen, ask, talk, say goodbye, hang up. */
export const playerInput: fc.Arbitrary<CallInput> = fc.oneof(
  fc.constant<CallInput>({ kind: 'tick' }),
  fc.record({ kind: fc.constant('answer' as const), side }),
  fc.record({
    kind: fc.constant('user' as const),
    side,
    input: fc.oneof(
      fc.constantFrom({ kind: 'listen' as const }, { kind: 'open' as const }, { kind: 'close' as const }, { kind: 'abort' as const }),
      fc.record({ kind: fc.constant('send' as const), data: fc.constantFrom('hi', 'can you hear me?') }),
    ),
  }),
);

/** Those, and a stray SYN or SYN+ACK from elsewhere arriving at either side. */
export const anyInput: fc.Arbitrary<CallInput> = fc.oneof(
  playerInput,
  fc.record({ kind: fc.constant('inject' as const), to: side, segment: fc.constantFrom(parseSegment('<SEQ=7><CTL=SYN>'), parseSegment('<SEQ=4><ACK=2><CTL=SYN,ACK>')), delayMs: fc.integer({ min: 0, max: 900 }) }),
);
