/**
 * The end-of-call summary and score, computed from the call's event log alone, so the
 * server, a replay and a test all get the same figures.
 */
import type { CallEvent, Side } from '../call';

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
 * @example summarize(events, 'polite', null, 42_000, { speedPoints: true }).sides.a.score
 */
export function summarize(events: readonly CallEvent[], outcome: Outcome, by: Side | null, callMs: number, options: SummaryOptions = { speedPoints: true }): CallSummary {
  const figures = { a: blank(), b: blank() };
  const bonus = { a: 0, b: 0 };
  const triedWrong = { a: false, b: false };
  const waitingSince = new Map<string, number>();
  const established: { a: number | null; b: number | null } = { a: null, b: null };
  let lostSegments = 0;
  let retransmittedBeforeConnected = false;
  for (const e of events) {
    if (e.type === 'segment-sent') {
      figures[e.from].segmentsSent++;
      if (e.retransmit) figures[e.from].retransmissions++;
      if (e.copies.length === 0) lostSegments++;
      if (e.retransmit && (established.a === null || established.b === null)) retransmittedBeforeConnected = true;
      if (e.segment.data !== '' && !e.retransmit && !e.wrong) figures[e.from].messagesSent++;
    } else if (e.type === 'pending') {
      if (!waitingSince.has(e.side)) waitingSince.set(e.side, e.at);
    } else if (e.type === 'move-judged') {
      if (e.ok) {
        figures[e.side].correctMoves++;
        if (!triedWrong[e.side]) bonus[e.side] += SCORING.firstTime;
        const since = waitingSince.get(e.side);
        if (options.speedPoints && since !== undefined && e.at - since <= SCORING.quickMs) bonus[e.side] += SCORING.quickAnswer;
        waitingSince.delete(e.side);
        triedWrong[e.side] = false;
      } else {
        figures[e.side].wrongMoves++;
        triedWrong[e.side] = true;
      }
    } else if (e.type === 'endpoint' && e.event.type === 'state' && e.event.to === 'ESTABLISHED') {
      established[e.side] ??= e.at;
    }
  }
  const connected = established.a !== null && established.b !== null;
  const handshakeMs = handshakeTime(events);
  const score = (side: Side): number => {
    const f = figures[side];
    let points = bonus[side];
    if (connected) points += SCORING.handshake;
    if (connected && retransmittedBeforeConnected) points += SCORING.recoveredFromLoss;
    if (outcome === 'polite') points += SCORING.politeGoodbye;
    if (outcome === 'hung-up' && by === side) points += SCORING.hungUp;
    points += f.correctMoves * SCORING.correctMove + f.wrongMoves * SCORING.wrongMove;
    points += Math.min(f.messagesSent, SCORING.maxMessagesScored) * SCORING.message;
    return Math.max(0, points);
  };
  return {
    outcome,
    by,
    handshakeMs,
    callMs,
    lostSegments,
    sides: { a: { ...figures.a, score: score('a') }, b: { ...figures.b, score: score('b') } },
  };
}

function blank(): { segmentsSent: number; retransmissions: number; correctMoves: number; wrongMoves: number; messagesSent: number } {
  return { segmentsSent: 0, retransmissions: 0, correctMoves: 0, wrongMoves: 0, messagesSent: 0 };
}

/**
 * From the first SYN to both sides ESTABLISHED, or null if the call has not got there (yet).
 *
 * @example handshakeTime(events) // 1800 on a perfect line, answered at once
 */
export function handshakeTime(events: readonly CallEvent[]): number | null {
  let firstSyn: number | null = null;
  const established: { a: number | null; b: number | null } = { a: null, b: null };
  for (const e of events) {
    if (e.type === 'segment-sent' && e.segment.syn && !e.segment.ack && firstSyn === null) firstSyn = e.at;
    else if (e.type === 'endpoint' && e.event.type === 'state' && e.event.to === 'ESTABLISHED') established[e.side] ??= e.at;
  }
  if (firstSyn === null || established.a === null || established.b === null) return null;
  return Math.max(established.a, established.b) - firstSyn;
}
