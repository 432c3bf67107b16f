/**
 * What a client needs to draw a call at one moment, so that it never re-derives protocol
 * state: both states, timers, retries, what waits for an answer, the numbers the packet
 * builder starts from, and the hint.
 */
import type { Segment, State, Timers } from '../protocol';
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

/**
 * The view of the call as it is now. With the call and view of an earlier step, a side whose
 * endpoint value and pending segments did not change since keeps that view's side (its hint
 * too): a view is made after every step, and the side that did not move has the same hint,
 * whatever the time. (In a call, an endpoint's value changes whenever one of its timers
 * fires, and a step depends on the time only through them.) A side whose pending segments
 * changed but whose first one did not keeps its hint.
 *
 * @example callView(call).a.state // 'SYN_SENT'
 */
export function callView(call: Call, before?: { readonly call: Call; readonly view: CallView }): CallView {
  return { time: call.now, a: sideView(call, 'a', before), b: sideView(call, 'b', before) };
}

function sideView(call: Call, side: Side, before: { readonly call: Call; readonly view: CallView } | undefined): SideView {
  const endpoint = call.endpoints[side];
  const pending = call.pending[side];
  const head = pending[0]?.segment;
  const same = before !== undefined && before.call.endpoints[side] === endpoint;
  if (same && before.call.pending[side] === pending) return before.view[side];
  return {
    state: endpoint.state,
    timers: endpoint.timers,
    retries: endpoint.retries,
    pending,
    sndNxt: endpoint.sndNxt,
    rcvNxt: endpoint.rcvNxt,
    hint: same && before.call.pending[side][0]?.segment === head ? before.view[side].hint : (hint(endpoint, head === undefined ? { now: call.now } : { now: call.now, pending: head })?.segment ?? null),
  };
}
