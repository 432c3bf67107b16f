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
import { createEndpoints, nextDeadline, step } from '../protocol';
import type { Endpoint, Input, ProtocolConfig, ProtocolEvent, Segment, State } from '../protocol';
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
  /** A fake caller's SYN (the flood lesson): it fills the listen backlog, nothing else. */
  readonly fake?: boolean;
}

export interface Pending {
  readonly id: number;
  readonly segment: Segment;
}

/**
 * A one-off trick a lesson plays on the line: lose, or hold back, one particular segment.
 * `first-syn` is the side's first bare SYN; `last-ack` a bare ACK the side sends from
 * TIME_WAIT (the last word of a goodbye).
 */
export interface Rig {
  readonly from: Side;
  readonly match: 'first-syn' | 'last-ack';
  readonly action: 'lose' | { readonly delayMs: number };
}

/**
 * A listen backlog on one side (the flood lesson): fake callers' SYNs (injected with
 * `fake: true`) each hold a half-open slot for `halfOpenMs`; while every slot is taken, a
 * real SYN is dropped.
 */
export interface BacklogSetup {
  readonly side: Side;
  readonly size: number;
  readonly halfOpenMs: number;
}

export interface Backlog {
  readonly side: Side;
  readonly size: number;
  readonly halfOpenMs: number;
  /** When each taken slot frees up. */
  readonly slots: readonly number[];
}

export interface CallSetup {
  readonly conditions: LineConditions;
  readonly seed: number | string;
  readonly config?: Partial<ProtocolConfig>;
  readonly iss: { readonly a: number; readonly b: number };
  readonly manual?: { readonly a: boolean; readonly b: boolean };
  readonly rigs?: readonly Rig[];
  readonly backlog?: BacklogSetup;
}

export interface Call {
  readonly endpoints: { readonly a: Endpoint; readonly b: Endpoint };
  readonly line: Line;
  /** Copies on the line, by arrival time (ties: in the order they were sent). */
  readonly inFlight: readonly InFlight[];
  readonly pending: { readonly a: readonly Pending[]; readonly b: readonly Pending[] };
  readonly manual: { readonly a: boolean; readonly b: boolean };
  /** Tricks not played yet. */
  readonly rigs: readonly Rig[];
  readonly backlog: Backlog | null;
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
  | { readonly kind: 'weather'; readonly conditions: LineConditions }
  /**
   * A segment from elsewhere reaching `to` after `delayMs`: an old duplicate from an earlier
   * call, or (`fake`) a fake caller's SYN for the listen backlog.
   */
  | { readonly kind: 'inject'; readonly to: Side; readonly segment: Segment; readonly delayMs: number; readonly fake?: boolean };

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

/** Every kind of call event, for documentation and clients that switch on `type`. */
export const CALL_EVENT_TYPES = ['segment-sent', 'segment-arrived', 'segment-injected', 'backlog', 'backlog-drop', 'pending', 'endpoint', 'move-judged'] as const;

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
  /** A segment from elsewhere was put on the line: an old duplicate, or a fake caller's SYN. */
  | {
      readonly type: 'segment-injected';
      readonly id: number;
      readonly to: Side;
      readonly at: number;
      readonly arriveAt: number;
      readonly segment: Segment;
      readonly fake: boolean;
    }
  /** The listen backlog changed: `used` of `size` half-open slots are taken. */
  | { readonly type: 'backlog'; readonly side: Side; readonly at: number; readonly used: number; readonly size: number }
  /** A real SYN was dropped because the listen backlog was full. */
  | { readonly type: 'backlog-drop'; readonly id: number; readonly side: Side; readonly at: number; readonly segment: Segment }
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
  const backlog = setup.backlog;
  return {
    endpoints: createEndpoints(config, setup.iss),
    line: createLine(setup.conditions, setup.seed),
    inFlight: [],
    pending: { a: [], b: [] },
    manual: setup.manual ?? { a: false, b: false },
    rigs: setup.rigs ?? [],
    backlog: backlog === undefined ? null : { side: backlog.side, size: backlog.size, halfOpenMs: backlog.halfOpenMs, slots: [] },
    nextId: 1,
    now: 0,
  };
}

/** When the host must next step the call (an arrival or a timer), or null if nothing waits. */
export function nextCallDeadline(call: Call): number | null {
  let min = call.inFlight[0]?.arriveAt ?? null;
  for (const until of call.backlog?.slots ?? []) if (min === null || until < min) min = until;
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

/** No segment waiting: one shared value (a call's arrays are never changed once made). */
const NONE_PENDING: readonly Pending[] = Object.freeze([]);

/**
 * A working copy: callStep never touches its argument. An array is copied only when a
 * step changes it, and the snapshot keeps every part that did not change: a call value
 * lives from one step to the next, so the less each step makes, the less there is for the
 * garbage collector to carry.
 */
class Draft {
  a: Endpoint;
  b: Endpoint;
  line: Line;
  private flight: readonly InFlight[];
  private pendingA: readonly Pending[];
  private pendingB: readonly Pending[];
  /** Which pending arrays are this draft's own copies (free to change). */
  private ownA = false;
  private ownB = false;
  readonly manual: Call['manual'];
  rigs: readonly Rig[];
  backlog: Backlog | null;
  nextId: number;
  now: number;
  readonly events: CallEvent[] = [];

  constructor(private readonly call: Call) {
    this.a = call.endpoints.a;
    this.b = call.endpoints.b;
    this.line = call.line;
    this.flight = call.inFlight;
    this.pendingA = call.pending.a;
    this.pendingB = call.pending.b;
    this.manual = call.manual;
    this.rigs = call.rigs;
    this.backlog = call.backlog;
    this.nextId = call.nextId;
    this.now = call.now;
  }

  snapshot(): Call {
    const was = this.call;
    return {
      endpoints: this.a === was.endpoints.a && this.b === was.endpoints.b ? was.endpoints : { a: this.a, b: this.b },
      line: this.line,
      inFlight: this.flight,
      pending: this.pendingA === was.pending.a && this.pendingB === was.pending.b ? was.pending : { a: this.pendingA, b: this.pendingB },
      manual: this.manual,
      rigs: this.rigs,
      backlog: this.backlog,
      nextId: this.nextId,
      now: this.now,
    };
  }

  endpoint(side: Side): Endpoint {
    return side === 'a' ? this.a : this.b;
  }

  pending(side: Side): readonly Pending[] {
    return side === 'a' ? this.pendingA : this.pendingB;
  }

  /** The side's pending segments, as this draft's own copy. */
  private pendingToChange(side: Side): Pending[] {
    if (side === 'a') {
      if (!this.ownA) {
        this.pendingA = this.pendingA.slice();
        this.ownA = true;
      }
      return this.pendingA as Pending[];
    }
    if (!this.ownB) {
      this.pendingB = this.pendingB.slice();
      this.ownB = true;
    }
    return this.pendingB as Pending[];
  }

  /** The oldest pending segment of a side, taken out. */
  private takePending(side: Side): Pending | undefined {
    return this.pending(side).length === 0 ? undefined : this.pendingToChange(side).shift();
  }

  /** Arrivals and timers up to `until`, each at its own time; arrivals first on a tie. */
  advance(until: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const arrival = this.flight[0];
      const timerA = nextDeadline(this.a);
      const timerB = nextDeadline(this.b);
      const freed = this.backlog === null || this.backlog.slots.length === 0 ? Infinity : Math.min(...this.backlog.slots);
      let at = arrival !== undefined && arrival.arriveAt <= until ? arrival.arriveAt : Infinity;
      if (timerA !== null && timerA <= until && timerA < at) at = timerA;
      if (timerB !== null && timerB <= until && timerB < at) at = timerB;
      if (freed <= until && freed < at) at = freed;
      if (at === Infinity) break;
      this.now = at;
      if (freed === at) {
        this.freeSlots();
      } else if (arrival !== undefined && arrival.arriveAt === at) {
        this.flight = this.flight.slice(1);
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
      case 'inject':
        return this.inject(input.to, input.segment, input.delayMs, input.fake === true);
      case 'user':
        return this.run(input.side, input.input);
      case 'answer': {
        const head = this.takePending(input.side);
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
      if (first.kind === 'receive') this.takePending(side);
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
    const backlog = this.backlog;
    if (backlog !== null && copy.to === backlog.side) {
      if (copy.fake === true) {
        // A fake caller: its SYN takes a half-open slot (if one is free) until it times out.
        if (backlog.slots.length < backlog.size) this.setSlots([...backlog.slots, this.now + backlog.halfOpenMs]);
        return;
      }
      const seg = copy.segment;
      if (seg.syn && !seg.ack && !seg.rst && this.endpoint(copy.to).state === 'LISTEN' && backlog.slots.length >= backlog.size) {
        this.events.push({ type: 'backlog-drop', id: copy.id, side: copy.to, at: this.now, segment: seg });
        return;
      }
    }
    const input: Input = { kind: 'receive', segment: copy.segment };
    // A hand-played side answers the handshake and the goodbye itself: a SYN or FIN that
    // TCP would answer waits for the player. Data and everything else TCP answers alone.
    if ((copy.to === 'a' ? this.manual.a : this.manual.b) && (copy.segment.syn || copy.segment.fin) && !copy.segment.rst) {
      const waiting = this.pending(copy.to);
      if (waiting.some((p) => sameSegment(p.segment, copy.segment))) return;
      const preview = step(this.endpoint(copy.to), input, this.now);
      if (preview.send.length > 0) {
        this.pendingToChange(copy.to).push({ id: copy.id, segment: copy.segment });
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
      if (side === 'a') {
        this.pendingA = NONE_PENDING;
        this.ownA = false;
      } else {
        this.pendingB = NONE_PENDING;
        this.ownB = false;
      }
    }
  }

  private send(from: Side, segment: Segment, retransmit: boolean, wrong: boolean): void {
    const id = this.nextId++;
    const to = other(from);
    const { line, outcome } = transmit(this.line, from === 'a' ? 'aToB' : 'bToA', segment, this.now);
    this.line = line;
    let copies: SentCopy[] = outcome.delivered.map((c) => ({ arriveAt: c.arriveAt, duplicate: c.duplicate, reordered: c.reordered }));
    let lost: LostCopyInfo[] = outcome.lost.map((l) => ({ lostAt: l.lostAt, reason: l.reason, duplicate: l.duplicate }));
    const rig = this.rigs.find((r) => r.from === from && rigMatches(r, segment, this.endpoint(from).state));
    if (rig !== undefined) {
      // The lesson's trick: the PRNG was still drawn, so everything after stays the same.
      this.rigs = this.rigs.filter((r) => r !== rig);
      const transit = this.line.conditions[from === 'a' ? 'aToB' : 'bToA'].latencyMs;
      if (rig.action === 'lose') {
        lost = [{ lostAt: this.now + Math.round(transit / 2), reason: 'loss', duplicate: false }];
        copies = [];
      } else {
        const delayMs = rig.action.delayMs;
        copies = (copies.length > 0 ? copies : [{ arriveAt: this.now + transit, duplicate: false, reordered: false }]).map((c) => ({ ...c, arriveAt: c.arriveAt + delayMs, reordered: true }));
        lost = [];
      }
    }
    for (const copy of copies) this.insert({ id, to, segment, arriveAt: copy.arriveAt, duplicate: copy.duplicate });
    this.events.push({ type: 'segment-sent', id, from, at: this.now, segment, retransmit, wrong, copies, lost });
  }

  private inject(to: Side, segment: Segment, delayMs: number, fake: boolean): void {
    const id = this.nextId++;
    const arriveAt = this.now + Math.max(0, delayMs);
    this.insert({ id, to, segment, arriveAt, duplicate: false, fake });
    this.events.push({ type: 'segment-injected', id, to, at: this.now, arriveAt, segment, fake });
  }

  private freeSlots(): void {
    if (this.backlog === null) return;
    this.setSlots(this.backlog.slots.filter((until) => until > this.now));
  }

  private setSlots(slots: readonly number[]): void {
    if (this.backlog === null) return;
    this.backlog = { ...this.backlog, slots };
    this.events.push({ type: 'backlog', side: this.backlog.side, at: this.now, used: slots.length, size: this.backlog.size });
  }

  /** Put a copy on the line in arrival order, in a new array of just the right size. */
  private insert(item: InFlight): void {
    const flight = this.flight;
    let i = flight.length;
    while (i > 0 && (flight[i - 1]?.arriveAt ?? 0) > item.arriveAt) i--;
    // Nearly always the last to arrive.
    this.flight = i === flight.length ? flight.concat([item]) : [...flight.slice(0, i), item, ...flight.slice(i)];
  }
}

function rigMatches(rig: Rig, segment: Segment, senderState: State): boolean {
  if (rig.match === 'first-syn') return segment.syn && !segment.ack && !segment.rst;
  const bare = segment.ack && !segment.syn && !segment.fin && !segment.rst && segment.data === '';
  return bare && senderState === 'TIME_WAIT';
}
