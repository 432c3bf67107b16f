/**
 * The end-of-call summary and score, computed from the call's events alone (as they
 * happen, or from the whole log), so the server, a replay and a test all get the same figures.
 */
import type { CallEvent, Side } from '../call';
import { stepOf, type Step } from './steps';

export type Outcome =
  /** Both said goodbye and it was acknowledged. */
  | 'polite'
  /** Someone hung up without a goodbye (RST). */
  | 'hung-up'
  /** A side received a RST it did not expect ("connection reset by peer"). */
  | 'reset'
  /** The line was judged down after every retry. */
  | 'timeout'
  /** Keep-alive found the partner gone. */
  | 'keepalive'
  /** The call went on too long without ending. */
  | 'expired'
  /** The server shut down during the call. */
  | 'server-closing'
  /** A workshop's host ended the round. */
  | 'ended-by-host';

export interface SideFigures {
  readonly segmentsSent: number;
  readonly retransmissions: number;
  readonly correctMoves: number;
  readonly wrongMoves: number;
  readonly messagesSent: number;
  readonly score: number;
}

export interface CallSummary {
  readonly outcome: Outcome;
  /** The side that hung up, for `hung-up`. */
  readonly by: Side | null;
  /** From the first SYN to both sides ESTABLISHED, or null if that never happened. */
  readonly handshakeMs: number | null;
  readonly callMs: number;
  readonly lostSegments: number;
  readonly sides: { readonly a: SideFigures; readonly b: SideFigures };
}

/** The points, in one place; shown to players in the game's help. */
export const SCORING = {
  /** Both sides connected. */
  handshake: 100,
  /** The connection survived a lost segment (a retransmission before connecting). */
  recoveredFromLoss: 50,
  /** A segment built by hand that is right. */
  correctMove: 20,
  /** …and right the first time (no wrong try since the last right one). */
  firstTime: 10,
  /** A wrong segment. */
  wrongMove: -10,
  /** An answer sent within `quickMs` of the segment it answers (speed points; off in teaching mode). */
  quickAnswer: 10,
  quickMs: 3_000,
  /** Each chat message, up to `maxMessagesScored`. */
  message: 10,
  maxMessagesScored: 5,
  /** Both goodbyes said and acknowledged. */
  politeGoodbye: 100,
  /** Hanging up without a goodbye. */
  hungUp: -50,
} as const;

export interface SummaryOptions {
  /** Award points for quick answers (off in teaching mode, so nobody loses for being slow). */
  readonly speedPoints: boolean;
}

/**
 * The figures of a call, kept up to date as its events happen, so that a host need not
 * keep every event to summarise the call, time its handshake or count its mistakes.
 * `summarize(events, …)` is the tally of a whole log; both give the same figures.
 *
 * @example
 * const tally = new CallTally({ speedPoints: true });
 * tally.add(update.events); // after every step
 * tally.summary('polite', null, 42_000).sides.a.score;
 */
export class CallTally {
  private readonly sides = { a: new SideTally(), b: new SideTally() };
  private firstSyn: number | null = null;
  private lostSegments = 0;
  private retransmittedBeforeConnected = false;

  constructor(private readonly options: SummaryOptions = { speedPoints: true }) {}

  add(events: readonly CallEvent[]): this {
    for (const e of events) this.count(e);
    return this;
  }

  /** Take one more event into account. */
  count(e: CallEvent): void {
    if (e.type === 'segment-sent') {
      const f = this.sides[e.from];
      f.segmentsSent++;
      if (e.retransmit) f.retransmissions++;
      if (e.copies.length === 0) this.lostSegments++;
      if (e.retransmit && !this.connected) this.retransmittedBeforeConnected = true;
      if (e.segment.data !== '' && !e.retransmit && !e.wrong) f.messagesSent++;
      if (e.segment.syn && !e.segment.ack && this.firstSyn === null) this.firstSyn = e.at;
    } else if (e.type === 'pending') {
      this.sides[e.side].waitingSince ??= e.at;
    } else if (e.type === 'move-judged') {
      const t = this.sides[e.side];
      if (e.ok) {
        t.correctMoves++;
        if (!t.triedWrong) t.bonus += SCORING.firstTime;
        const since = t.waitingSince;
        if (this.options.speedPoints && since !== null && e.at - since <= SCORING.quickMs) t.bonus += SCORING.quickAnswer;
        t.waitingSince = null;
        t.triedWrong = false;
      } else {
        t.wrongMoves++;
        t.triedWrong = true;
        (t.wrongBySteps ??= noMistakes())[stepOf(e)]++;
      }
    } else if (e.type === 'endpoint' && e.event.type === 'state' && e.event.to === 'ESTABLISHED') {
      this.sides[e.side].establishedAt ??= e.at;
    }
  }

  /** Has this side reached ESTABLISHED at some point? */
  established(side: Side): boolean {
    return this.sides[side].establishedAt !== null;
  }

  /** Have both sides reached ESTABLISHED at some point? */
  get connected(): boolean {
    return this.sides.a.establishedAt !== null && this.sides.b.establishedAt !== null;
  }

  /** From the first SYN to both sides ESTABLISHED, or null if the call has not got there (yet). */
  get handshakeMs(): number | null {
    const a = this.sides.a.establishedAt;
    const b = this.sides.b.establishedAt;
    if (this.firstSyn === null || a === null || b === null) return null;
    return Math.max(a, b) - this.firstSyn;
  }

  /** Wrong moves of a side, by the step they were made at. */
  mistakes(side: Side): Record<Step, number> {
    return { ...(this.sides[side].wrongBySteps ?? noMistakes()) };
  }

  /** Segments a side sent again, and its wrong moves, so far. */
  trouble(side: Side): { readonly retransmissions: number; readonly wrongMoves: number } {
    const f = this.sides[side];
    return { retransmissions: f.retransmissions, wrongMoves: f.wrongMoves };
  }

  summary(outcome: Outcome, by: Side | null, callMs: number): CallSummary {
    const connected = this.connected;
    const score = (side: Side): number => {
      const f = this.sides[side];
      let points = f.bonus;
      if (connected) points += SCORING.handshake;
      if (connected && this.retransmittedBeforeConnected) points += SCORING.recoveredFromLoss;
      if (outcome === 'polite') points += SCORING.politeGoodbye;
      if (outcome === 'hung-up' && by === side) points += SCORING.hungUp;
      points += f.correctMoves * SCORING.correctMove + f.wrongMoves * SCORING.wrongMove;
      points += Math.min(f.messagesSent, SCORING.maxMessagesScored) * SCORING.message;
      return Math.max(0, points);
    };
    return {
      outcome,
      by,
      handshakeMs: this.handshakeMs,
      callMs,
      lostSegments: this.lostSegments,
      sides: { a: this.sides.a.figures(score('a')), b: this.sides.b.figures(score('b')) },
    };
  }
}

/**
 * @example summarize(events, 'polite', null, 42_000, { speedPoints: true }).sides.a.score
 */
export function summarize(events: readonly CallEvent[], outcome: Outcome, by: Side | null, callMs: number, options: SummaryOptions = { speedPoints: true }): CallSummary {
  return new CallTally(options).add(events).summary(outcome, by, callMs);
}

/** One side's running figures (one small object a side: a server keeps one tally per call). */
class SideTally {
  segmentsSent = 0;
  retransmissions = 0;
  correctMoves = 0;
  wrongMoves = 0;
  messagesSent = 0;
  bonus = 0;
  /** A wrong move since the last right one. */
  triedWrong = false;
  /** Since when this side has had something pending, until its next correct move. */
  waitingSince: number | null = null;
  establishedAt: number | null = null;
  /** Wrong moves by step, once there is one. */
  wrongBySteps: Record<Step, number> | null = null;

  figures(score: number): SideFigures {
    const { segmentsSent, retransmissions, correctMoves, wrongMoves, messagesSent } = this;
    return { segmentsSent, retransmissions, correctMoves, wrongMoves, messagesSent, score };
  }
}

function noMistakes(): Record<Step, number> {
  return { ask: 0, answer: 0, confirm: 0, goodbye: 0, ok: 0, reset: 0, chat: 0, other: 0 } satisfies Record<Step, number>;
}

/**
 * From the first SYN to both sides ESTABLISHED, or null if the call has not got there (yet).
 *
 * @example handshakeTime(events) // 1800 on a perfect line, answered at once
 */
export function handshakeTime(events: readonly CallEvent[]): number | null {
  return new CallTally().add(events).handshakeMs;
}
