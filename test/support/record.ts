/**
 * Whole calls made with the pure `shared/call`, recorded as the server records them: every
 * input with its time, and a tick at every moment the call had something due (the runner's
 * wake-ups). The result is a `CallRecord` that `replay` plays exactly again.
 */
import { callStep, callView, createCall, nextCallDeadline, RECORD_VERSION } from '../../shared/call';
import type { Call, CallInput, CallRecord, CallSetup, CallView, Side } from '../../shared/call';
import { LINE_PRESETS } from '../../shared/net';

const user = (side: Side, input: Extract<CallInput, { kind: 'user' }>['input']): CallInput => ({ kind: 'user', side, input });

/** A chatty call script: listen, ask, talk both ways, say goodbye (some of it refused if the line is too bad). */
export const CHATTY_SCRIPT: readonly (readonly [number, CallInput])[] = [
  [0, user('b', { kind: 'listen' })],
  [0, user('a', { kind: 'open' })],
  [9_000, user('a', { kind: 'send', data: 'hi Bob' })],
  [10_500, user('b', { kind: 'send', data: '你好' })],
  [14_000, user('a', { kind: 'close' })],
  [17_000, user('b', { kind: 'close' })],
];

/**
 * Run `script` on a call from `setup`, ticking at every deadline up to `until`, and return
 * the record with the views the live call had after every step (as the server sends them).
 */
export function recordCall(setup: CallSetup, script: readonly (readonly [number, CallInput])[] = CHATTY_SCRIPT, until = 60_000): { record: CallRecord; views: CallView[]; call: Call } {
  let call = createCall(setup);
  const moves: { at: number; input: CallInput }[] = [];
  const views: CallView[] = [];
  const queue = [...script];
  const apply = (at: number, input: CallInput): void => {
    moves.push({ at, input });
    call = callStep(call, input, at).call;
    views.push(callView(call));
  };
  for (let guard = 0; guard < 10_000; guard++) {
    const deadline = nextCallDeadline(call);
    const next = queue[0];
    if (next !== undefined && (deadline === null || next[0] <= deadline)) {
      queue.shift();
      apply(next[0], next[1]);
      continue;
    }
    if (deadline === null || deadline > until) break;
    apply(deadline, { kind: 'tick' });
  }
  return { record: { version: RECORD_VERSION, setup, moves }, views, call };
}

/** A call on a lossy line (`bad` by default) from `seed`, with random-looking ISNs. */
export function lossyCall(seed: number, line: 'bad' | 'terrible' = 'bad') {
  return recordCall({ conditions: LINE_PRESETS[line], seed, iss: { a: 100 + ((seed * 7919) % 9000), b: 300 + ((seed * 104729) % 9000) }, config: { mslMs: 5_000, retryWaitMs: 15_000 } });
}
