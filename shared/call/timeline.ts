/**
 * A recorded call laid out in time, for a viewer that plays it, pauses it and scrubs it
 * backwards: every moment something happened (a segment sent, arriving or lost, a state
 * change, a timer firing), every segment's trip, and the exact call at any call time.
 * Built on `replay`, so what it shows is what the live call was, not a re-telling.
 */
import { callStep, createCall } from './call';
import type { Call, CallEvent, Side } from './call';
import type { CallRecord } from './replay';
import { tripOf, type Trip } from './trip';
import type { Segment, State, TimerName } from '../protocol';

/** One thing that happened at a moment. */
export type MomentThing =
  | { readonly kind: 'sent'; readonly id: number; readonly from: Side; readonly segment: Segment; readonly retransmit: boolean; readonly wrong: boolean }
  | { readonly kind: 'injected'; readonly id: number; readonly to: Side; readonly segment: Segment; readonly fake: boolean }
  | { readonly kind: 'arrived'; readonly id: number; readonly to: Side; readonly duplicate: boolean }
  | { readonly kind: 'lost'; readonly id: number; readonly from: Side; readonly reason: 'loss' | 'freeze' }
  | { readonly kind: 'state'; readonly side: Side; readonly from: State; readonly to: State }
  | { readonly kind: 'timer'; readonly side: Side; readonly timer: TimerName };

/** A call time at which something happened, with everything that did. */
export interface Moment {
  readonly at: number;
  readonly things: readonly MomentThing[];
}

/** A segment's whole trip: who put it on the line, when, and where each copy went. */

export interface Timeline {
  readonly record: CallRecord;
  /** The call time of the last recorded input: the timeline runs from 0 to here. */
  readonly end: number;
  /** Every event of the call, oldest first (the same as `replay(record).events`). */
  readonly events: readonly CallEvent[];
  /** Every moment from 0 to `end`, in time order, each time once. */
  readonly moments: readonly Moment[];
  /** Every segment put on the line, in the order it was. */
  readonly trips: readonly Trip[];
}

/** Keep every this-many-th call value while replaying, so `callAt` never starts from 0. */
const CHECKPOINT_EVERY = 16;

interface Built {
  readonly timeline: Timeline;
  /** checkpoints[k] is the call after the first k × CHECKPOINT_EVERY moves. */
  readonly checkpoints: readonly Call[];
}

const built = new WeakMap<CallRecord, Built>();

function build(record: CallRecord): Built {
  const known = built.get(record);
  if (known !== undefined) return known;
  let call = createCall(record.setup);
  const checkpoints: Call[] = [call];
  const events: CallEvent[] = [];
  for (const [i, { at, input }] of record.moves.entries()) {
    const r = callStep(call, input, at);
    call = r.call;
    events.push(...r.events);
    if ((i + 1) % CHECKPOINT_EVERY === 0) checkpoints.push(call);
  }
  const end = record.moves.at(-1)?.at ?? 0;
  const timeline: Timeline = { record, end, events, moments: momentsOf(events, end), trips: tripsOf(events) };
  const result = { timeline, checkpoints };
  built.set(record, result);
  return result;
}

/**
 * The timeline of a record (computed once per record object, then remembered).
 *
 * @example timeline(record).moments[0] // { at: 0, things: [{ kind: 'state', side: 'b', from: 'CLOSED', to: 'LISTEN' }, …] }
 */
export function timeline(record: CallRecord): Timeline {
  return build(record).timeline;
}

/**
 * The call exactly as it was at call time `t`: every input recorded at or before `t`
 * replayed, then time let run to `t` (arrivals and timers due by then). Fast to call again
 * and again at any time, forwards or backwards: it starts from the nearest kept value.
 *
 * @example callAt(record, 600).endpoints.b.state // 'SYN_RCVD' once the SYN has landed
 */
export function callAt(record: CallRecord, t: number): Call {
  const { checkpoints } = build(record);
  const moves = record.moves;
  // How many moves happened at or before t (they are in time order).
  let lo = 0;
  let hi = moves.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((moves[mid]?.at ?? Infinity) <= t) lo = mid + 1;
    else hi = mid;
  }
  const k = Math.min(Math.floor(lo / CHECKPOINT_EVERY), checkpoints.length - 1);
  let call = checkpoints[k] ?? createCall(record.setup);
  for (let i = k * CHECKPOINT_EVERY; i < lo; i++) {
    const move = moves[i];
    if (move !== undefined) call = callStep(call, move.input, move.at).call;
  }
  if (t >= call.now) call = callStep(call, { kind: 'tick' }, t).call;
  return call;
}

/** The events of the call that happened at or before `t`, oldest first. */
export function eventsUntil(line: Timeline, t: number): CallEvent[] {
  const out: CallEvent[] = [];
  for (const e of line.events) {
    if (e.at > t) break;
    out.push(e);
  }
  return out;
}

/** The first moment after `t`, or null at the end. */
export function nextMoment(line: Timeline, t: number): Moment | null {
  return line.moments.find((m) => m.at > t) ?? null;
}

/** The last moment before `t`, or null at the start. */
export function previousMoment(line: Timeline, t: number): Moment | null {
  for (let i = line.moments.length - 1; i >= 0; i--) {
    const m = line.moments[i];
    if (m !== undefined && m.at < t) return m;
  }
  return null;
}

function timerOf(e: CallEvent): TimerName | null {
  if (e.type !== 'endpoint') return null;
  const ev = e.event;
  if (ev.type === 'retransmit' || ev.type === 'gave-up') return 'reply';
  if (ev.type === 'retry-allowed') return 'retryWait';
  if (ev.type === 'keepalive-probe') return 'keepalive';
  if (ev.type === 'state' && ev.from === 'TIME_WAIT' && ev.to === 'CLOSED') return 'timeWait';
  return null;
}

function momentsOf(events: readonly CallEvent[], end: number): Moment[] {
  const byTime = new Map<number, MomentThing[]>();
  const add = (at: number, thing: MomentThing): void => {
    if (at > end) return;
    const list = byTime.get(at);
    if (list === undefined) byTime.set(at, [thing]);
    else list.push(thing);
  };
  for (const e of events) {
    if (e.type === 'segment-sent') {
      add(e.at, { kind: 'sent', id: e.id, from: e.from, segment: e.segment, retransmit: e.retransmit, wrong: e.wrong });
      for (const lost of e.lost) add(lost.lostAt, { kind: 'lost', id: e.id, from: e.from, reason: lost.reason });
    } else if (e.type === 'segment-injected') {
      add(e.at, { kind: 'injected', id: e.id, to: e.to, segment: e.segment, fake: e.fake });
    } else if (e.type === 'segment-arrived') {
      add(e.at, { kind: 'arrived', id: e.id, to: e.to, duplicate: e.duplicate });
    } else if (e.type === 'endpoint' && e.event.type === 'state') {
      add(e.at, { kind: 'state', side: e.side, from: e.event.from, to: e.event.to });
    }
    const timer = timerOf(e);
    if (timer !== null && e.type === 'endpoint') {
      const list = byTime.get(e.at) ?? [];
      // One timer firing makes several events (a retransmit, then its segment): say it once.
      if (!list.some((x) => x.kind === 'timer' && x.side === e.side && x.timer === timer)) add(e.at, { kind: 'timer', side: e.side, timer });
    }
  }
  return [...byTime.entries()].sort(([x], [y]) => x - y).map(([at, things]) => ({ at, things }));
}

function tripsOf(events: readonly CallEvent[]): Trip[] {
  const trips: Trip[] = [];
  for (const e of events) {
    const trip = tripOf(e);
    if (trip !== null) trips.push(trip);
  }
  return trips;
}

