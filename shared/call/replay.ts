/**
 * A call kept as its setup and the inputs it received, with their times: enough to play it
 * again exactly, since everything else (the line's randomness included) follows from them.
 */
import { callStep, createCall } from './call';
import type { Call, CallEvent, CallInput, CallSetup } from './call';

export const RECORD_VERSION = 1;

export interface CallRecord {
  readonly version: typeof RECORD_VERSION;
  readonly setup: CallSetup;
  readonly moves: readonly { readonly at: number; readonly input: CallInput }[];
}

/**
 * Play a record again. `until`, if given, lets time run on to that call time after the
 * last input (timers that fire with nobody clicking).
 *
 * @example replay(record).events // the same events the call produced
 */
export function replay(record: CallRecord, until?: number): { call: Call; events: CallEvent[] } {
  let call = createCall(record.setup);
  const events: CallEvent[] = [];
  for (const { at, input } of record.moves) {
    const r = callStep(call, input, at);
    call = r.call;
    events.push(...r.events);
  }
  if (until !== undefined && until > call.now) {
    const r = callStep(call, { kind: 'tick' }, until);
    call = r.call;
    events.push(...r.events);
  }
  return { call, events };
}

/** A freeze that never ends, as a number JSON can carry (Infinity becomes null in JSON). */
export const FOREVER_MS = Number.MAX_SAFE_INTEGER;
