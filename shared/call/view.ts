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

/** @example callView(call).a.state // 'SYN_SENT' */
export function callView(call: Call): CallView {
  return { time: call.now, a: sideView(call, 'a'), b: sideView(call, 'b') };
}

function sideView(call: Call, side: Side): SideView {
  const endpoint = call.endpoints[side];
  const pending = call.pending[side];
  const head = pending[0];
  const context = head === undefined ? { now: call.now } : { now: call.now, pending: head.segment };
  return {
    state: endpoint.state,
    timers: endpoint.timers,
    retries: endpoint.retries,
    pending,
    sndNxt: endpoint.sndNxt,
    rcvNxt: endpoint.rcvNxt,
    hint: hint(endpoint, context)?.segment ?? null,
  };
}
