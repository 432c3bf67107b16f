/**
 * The call view's hint, carried over from the view of an earlier step for a side whose
 * endpoint value and pending segment did not change, is always the hint the referee gives
 * for the call as it is, and a view that keeps parts of the last one equals one made
 * afresh: checked after every step of random hand-played calls on a lossy line, with time
 * jumping about between steps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callStep, callView, createCall } from '../../shared/call';
import type { Call, Side } from '../../shared/call';
import { LINE_PRESETS } from '../../shared/net';
import { hint } from '../../shared/referee';
import { playerInput } from '../support/call-inputs';

/** What the referee says now, worked out afresh. */
function freshHint(call: Call, s: Side) {
  const head = call.pending[s][0];
  return hint(call.endpoints[s], head === undefined ? { now: call.now } : { now: call.now, pending: head.segment })?.segment ?? null;
}

describe('callView', () => {
  it('gives the hint the referee gives at that moment, after every step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 8_000 }), playerInput), { minLength: 1, maxLength: 60 }), (seed, script) => {
        let call = createCall({ conditions: LINE_PRESETS.bad, seed, iss: { a: 1, b: 3 }, config: { mslMs: 5_000, retryWaitMs: 15_000 }, manual: { a: true, b: true } });
        let now = 0;
        let before = { call, view: callView(call) };
        for (const [wait, next] of script) {
          now += wait;
          call = callStep(call, next, now).call;
          // From the last step's view, and from the view of this very call (every hint carried over).
          const view = callView(call, before);
          const fresh = callView(call);
          for (const v of [view, callView(call, { call, view }), fresh]) {
            expect(v.a.hint).toEqual(freshHint(call, 'a'));
            expect(v.b.hint).toEqual(freshHint(call, 'b'));
            // Whatever it kept from the last view, it is the view made afresh.
            expect(v).toEqual(fresh);
          }
          before = { call, view };
        }
      }),
      { numRuns: 300 },
    );
  });
});
