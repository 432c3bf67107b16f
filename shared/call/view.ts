/**
 * What a client needs to draw a call at one moment, so that it never re-derives protocol
 * state: both states, timers, retries, what waits for an answer, the numbers the packet
 * builder starts from, and the hint.
 */
import type { Endpoint, Segment, State, Timers } from '../protocol';
import { hint } from '../referee';
import type { Call, Pending, Side } from './call';

export interface SideView {
  readonly state: State;
  readonly timers: Timers;
  readonly retries: number;
  readonly pending: readonly Pending[];
  /** SND.NXT and RCV.NXT: where a new segment of this side would start and what it would acknowledge. */
  readonly sndNxt: number;
  readonly rcvNxt: number;
  /** The move TCP would make now for this side, or null. */
  readonly hint: Segment | null;
}

export interface CallView {
  readonly time: number;
  readonly a: SideView;
  readonly b: SideView;
}

/** @example callView(call).a.state // 'SYN_SENT' */
export function callView(call: Call): CallView {
  return { time: call.now, a: sideView(call, 'a'), b: sideView(call, 'b') };
}

function sideView(call: Call, side: Side): SideView {
  const endpoint = call.endpoints[side];
  const pending = call.pending[side];
  return {
    state: endpoint.state,
    timers: endpoint.timers,
    retries: endpoint.retries,
    pending,
    sndNxt: endpoint.sndNxt,
    rcvNxt: endpoint.rcvNxt,
    hint: hintFor(endpoint, pending[0]?.segment, call.now),
  };
}

/**
 * Hints worked out, by endpoint value, with the pending segment they answer. A view is made
 * after every step, and the side that did not move keeps its endpoint value and pending
 * head: its hint is the same, whatever the time. (In a call, an endpoint's value changes
 * whenever one of its timers fires, and a step depends on the time only through them.)
 */
const hints = new WeakMap<Endpoint, { readonly head: Segment | undefined; readonly hint: Segment | null }>();

function hintFor(endpoint: Endpoint, head: Segment | undefined, now: number): Segment | null {
  const known = hints.get(endpoint);
  if (known !== undefined && known.head === head) return known.hint;
  const found = hint(endpoint, head === undefined ? { now } : { now, pending: head })?.segment ?? null;
  hints.set(endpoint, { head, hint: found });
  return found;
}
