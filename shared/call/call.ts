/**
 * A whole call as one pure value: two reference endpoints, A and B, the seeded line
 * between them and every segment in flight. `callStep(call, input, now)` first plays
 * everything that was due up to `now` (arrivals and timers, each at its own time, earliest
 * first), then applies the input. The host owns the clock and wakes up at
 * `nextCallDeadline(call)`; replaying the same inputs at the same times from the same
 * seed gives the same call, however late the host woke up.
 *
 * A side can be played by hand (`manual`): a SYN or FIN arriving there that TCP would
 * answer waits in `pending` until the player builds the answer (`move`); a repeat of one
 * already waiting is not queued twice. Data is acknowledged by TCP itself, and the side's
 * timers (retransmissions, TIME_WAIT) still run by themselves.
 */
import { createLine, transmit, withConditions } from '../net';
import type { Line, LineConditions } from '../net';
import { createEndpoint, nextDeadline, step } from '../protocol';
import type { Endpoint, Input, ProtocolConfig, ProtocolEvent, Segment } from '../protocol';
import { judgeMove, sameSegment } from '../referee';
import type { Candidate, Mistake } from '../referee';

export type Side = 'a' | 'b';
export const SIDES = ['a', 'b'] as const satisfies readonly Side[];

/** A segment waiting on the line, or waiting for a manual player's answer. */
export interface InFlight {
  readonly id: number;
  readonly to: Side;
  readonly segment: Segment;
  readonly arriveAt: number;
  readonly duplicate: boolean;
}

export interface Pending {
  readonly id: number;
  readonly segment: Segment;
}

export interface CallSetup {
  readonly conditions: LineConditions;
  readonly seed: number | string;
  readonly config?: Partial<ProtocolConfig>;
  readonly iss: { readonly a: number; readonly b: number };
  readonly manual?: { readonly a: boolean; readonly b: boolean };
}

export interface Call {
  readonly endpoints: { readonly a: Endpoint; readonly b: Endpoint };
  readonly line: Line;
  /** Copies on the line, by arrival time (ties: in the order they were sent). */
  readonly inFlight: readonly InFlight[];
  readonly pending: { readonly a: readonly Pending[]; readonly b: readonly Pending[] };
  readonly manual: { readonly a: boolean; readonly b: boolean };
  /** Id of the next segment put on the line. */
  readonly nextId: number;
  /** Time of the last step: the call never goes back in time. */
  readonly now: number;
}

export type CallInput =
  /** A user call on one side: listen, open ("ask"), send, close ("say goodbye"), abort ("hang up"). */
  | { readonly kind: 'user'; readonly side: Side; readonly input: Exclude<Input, { kind: 'receive' | 'tick' }> }
  /** A segment a player built. Sent as built; judged against what TCP would send. */
  | { readonly kind: 'move'; readonly side: Side; readonly segment: Segment }
  /** Let TCP answer the oldest pending segment on a manual side (a hint taken, a bot). */
  | { readonly kind: 'answer'; readonly side: Side }
  /** Only let time pass. */
  | { readonly kind: 'tick' }
  /** Change the line from now on (a freeze, a new preset); the PRNG carries on. */
  | { readonly kind: 'weather'; readonly conditions: LineConditions };

export interface SentCopy {
  readonly arriveAt: number;
  readonly duplicate: boolean;
  readonly reordered: boolean;
}
export interface LostCopyInfo {
  readonly lostAt: number;
  readonly reason: 'loss' | 'freeze';
  readonly duplicate: boolean;
}

export type CallEvent =
  | {
      readonly type: 'segment-sent';
      readonly id: number;
      readonly from: Side;
      readonly at: number;
      readonly segment: Segment;
      /** Sent again by a timeout. */
      readonly retransmit: boolean;
      /** Built by hand and not what TCP would send. */
      readonly wrong: boolean;
      readonly copies: readonly SentCopy[];
      readonly lost: readonly LostCopyInfo[];
    }
  | { readonly type: 'segment-arrived'; readonly id: number; readonly to: Side; readonly at: number; readonly duplicate: boolean }
  | { readonly type: 'pending'; readonly id: number; readonly side: Side; readonly at: number; readonly segment: Segment }
  | { readonly type: 'endpoint'; readonly side: Side; readonly at: number; readonly event: ProtocolEvent }
  | {
      readonly type: 'move-judged';
      readonly side: Side;
      readonly at: number;
      readonly ok: boolean;
      readonly mistakes: readonly Mistake[];
      readonly closest: Candidate | null;
    };

export interface CallStepResult {
  readonly call: Call;
  readonly events: readonly CallEvent[];
}

/**
 * @example
 * const call = createCall({ conditions: LINE_PRESETS.perfect, seed: 7, iss: { a: 1, b: 3 } });
 * let r = callStep(call, { kind: 'user', side: 'b', input: { kind: 'listen' } }, 0);
 * r = callStep(r.call, { kind: 'user', side: 'a', input: { kind: 'open' } }, 0);
 * nextCallDeadline(r.call); // 600: the SYN reaches B
 */
export function createCall(setup: CallSetup): Call {
  const config = setup.config ?? {};
  return {
    endpoints: {
      a: createEndpoint({ ...config, iss: setup.iss.a }),
      b: createEndpoint({ ...config, iss: setup.iss.b }),
    },
    line: createLine(setup.conditions, setup.seed),
    inFlight: [],
    pending: { a: [], b: [] },
    manual: setup.manual ?? { a: false, b: false },
    nextId: 1,
    now: 0,
  };
}

/** When the host must next step the call (an arrival or a timer), or null if nothing waits. */
export function nextCallDeadline(call: Call): number | null {
  let min = call.inFlight[0]?.arriveAt ?? null;
  for (const side of SIDES) {
    const at = nextDeadline(call.endpoints[side]);
    if (at !== null && (min === null || at < min)) min = at;
  }
  return min;
}

/** Play everything due up to `now`, then apply `input` at `now`. Pure. */
export function callStep(call: Call, input: CallInput, now: number): CallStepResult {
  const d = new Draft(call);
  d.advance(Math.max(now, call.now));
  d.apply(input);
  return { call: d.snapshot(), events: d.events };
}

const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');

/** A mutable working copy: callStep never touches its argument. */
class Draft {
  a: Endpoint;
  b: Endpoint;
  line: Line;
  inFlight: InFlight[];
  pendingA: Pending[];
  pendingB: Pending[];
  readonly manual: Call['manual'];
  nextId: number;
  now: number;
  readonly events: CallEvent[] = [];

  constructor(call: Call) {
    this.a = call.endpoints.a;
    this.b = call.endpoints.b;
    this.line = call.line;
    this.inFlight = call.inFlight.slice();
    this.pendingA = call.pending.a.slice();
    this.pendingB = call.pending.b.slice();
    this.manual = call.manual;
    this.nextId = call.nextId;
    this.now = call.now;
  }

  snapshot(): Call {
    return {
      endpoints: { a: this.a, b: this.b },
      line: this.line,
      inFlight: this.inFlight,
      pending: { a: this.pendingA, b: this.pendingB },
      manual: this.manual,
      nextId: this.nextId,
      now: this.now,
    };
  }

  endpoint(side: Side): Endpoint {
    return side === 'a' ? this.a : this.b;
  }

  pending(side: Side): Pending[] {
    return side === 'a' ? this.pendingA : this.pendingB;
  }

  /** Arrivals and timers up to `until`, each at its own time; arrivals first on a tie. */
  advance(until: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const arrival = this.inFlight[0];
      const timerA = nextDeadline(this.a);
      const timerB = nextDeadline(this.b);
      let at = arrival !== undefined && arrival.arriveAt <= until ? arrival.arriveAt : Infinity;
      if (timerA !== null && timerA <= until && timerA < at) at = timerA;
      if (timerB !== null && timerB <= until && timerB < at) at = timerB;
      if (at === Infinity) break;
      this.now = at;
      if (arrival !== undefined && arrival.arriveAt === at) {
        this.inFlight.shift();
        this.arrive(arrival);
      } else if (timerA !== null && timerA === at) {
        this.run('a', { kind: 'tick' });
      } else {
        this.run('b', { kind: 'tick' });
      }
    }
    this.now = until;
  }

  apply(input: CallInput): void {
    switch (input.kind) {
      case 'tick':
        return;
      case 'weather':
        this.line = withConditions(this.line, input.conditions);
        return;
      case 'user':
        return this.run(input.side, input.input);
      case 'answer': {
        const head = this.pending(input.side).shift();
        if (head !== undefined) this.run(input.side, { kind: 'receive', segment: head.segment });
        return;
      }
      case 'move':
        return this.move(input.side, input.segment);
    }
  }

  private move(side: Side, segment: Segment): void {
    const head = this.pending(side)[0];
    const context = head === undefined ? { now: this.now } : { now: this.now, pending: head.segment };
    const verdict = judgeMove(this.endpoint(side), segment, context);
    if (verdict.ok) {
      this.events.push({ type: 'move-judged', side, at: this.now, ok: true, mistakes: [], closest: null });
      const [first, second] = verdict.actions;
      if (first === undefined) return;
      if (first.kind === 'receive') this.pending(side).shift();
      if (second === undefined) return this.run(side, first);
      // The pending segment only needed a bare ACK, and the player's segment carries it.
      this.run(side, first, false);
      return this.run(side, second);
    }
    this.events.push({ type: 'move-judged', side, at: this.now, ok: false, mistakes: verdict.mistakes, closest: verdict.closest });
    // A wrong segment still goes out as built: the other side's TCP reacts to it.
    this.send(side, segment, false, true);
  }

  private arrive(copy: InFlight): void {
    this.events.push({ type: 'segment-arrived', id: copy.id, to: copy.to, at: this.now, duplicate: copy.duplicate });
    const input: Input = { kind: 'receive', segment: copy.segment };
    // A hand-played side answers the handshake and the goodbye itself: a SYN or FIN that
    // TCP would answer waits for the player. Data and everything else TCP answers alone.
    if (this.manual[copy.to] && (copy.segment.syn || copy.segment.fin) && !copy.segment.rst) {
      const waiting = this.pending(copy.to);
      if (waiting.some((p) => sameSegment(p.segment, copy.segment))) return;
      const preview = step(this.endpoint(copy.to), input, this.now);
      if (preview.send.length > 0) {
        waiting.push({ id: copy.id, segment: copy.segment });
        this.events.push({ type: 'pending', id: copy.id, side: copy.to, at: this.now, segment: copy.segment });
        return;
      }
    }
    this.run(copy.to, input);
  }

  /** Step one endpoint; `sendSegments` false keeps its segments off the line. */
  private run(side: Side, input: Input, sendSegments = true): void {
    const before = this.endpoint(side).state;
    const result = step(this.endpoint(side), input, this.now);
    if (side === 'a') this.a = result.endpoint;
    else this.b = result.endpoint;
    let retransmitted: Segment | null = null;
    for (const event of result.events) {
      this.events.push({ type: 'endpoint', side, at: this.now, event });
      if (event.type === 'retransmit') retransmitted = event.segment;
    }
    if (sendSegments) for (const segment of result.send) this.send(side, segment, segment === retransmitted, false);
    // A connection that just ended has nothing left to answer.
    const state = result.endpoint.state;
    if (state !== before && (state === 'CLOSED' || state === 'LISTEN')) {
      if (side === 'a') this.pendingA = [];
      else this.pendingB = [];
    }
  }

  private send(from: Side, segment: Segment, retransmit: boolean, wrong: boolean): void {
    const id = this.nextId++;
    const to = other(from);
    const { line, outcome } = transmit(this.line, from === 'a' ? 'aToB' : 'bToA', segment, this.now);
    this.line = line;
    for (const copy of outcome.delivered) {
      this.insert({ id, to, segment, arriveAt: copy.arriveAt, duplicate: copy.duplicate });
    }
    this.events.push({
      type: 'segment-sent',
      id,
      from,
      at: this.now,
      segment,
      retransmit,
      wrong,
      copies: outcome.delivered.map((c) => ({ arriveAt: c.arriveAt, duplicate: c.duplicate, reordered: c.reordered })),
      lost: outcome.lost.map((l) => ({ lostAt: l.lostAt, reason: l.reason, duplicate: l.duplicate })),
    });
  }

  private insert(item: InFlight): void {
    let i = this.inFlight.length;
    while (i > 0 && (this.inFlight[i - 1]?.arriveAt ?? 0) > item.arriveAt) i--;
    this.inFlight.splice(i, 0, item);
  }
}
