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
  | 'server-closing';

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
  handshake: 100,
  correctMove: 20,
  wrongMove: -10,
  recoveredFromLoss: 50,
  politeGoodbye: 100,
  hungUp: -50,
  message: 10,
  maxMessagesScored: 5,
} as const;

/**
 * @example summarize(events, 'polite', null, 42_000).sides.a.score
 */
export function summarize(events: readonly CallEvent[], outcome: Outcome, by: Side | null, callMs: number): CallSummary {
  const figures = { a: blank(), b: blank() };
  let firstSyn: number | null = null;
  const established: { a: number | null; b: number | null } = { a: null, b: null };
  let lostSegments = 0;
  let retransmittedBeforeConnected = false;
  for (const e of events) {
    if (e.type === 'segment-sent') {
      figures[e.from].segmentsSent++;
      if (e.retransmit) figures[e.from].retransmissions++;
      if (e.segment.syn && !e.segment.ack && firstSyn === null) firstSyn = e.at;
      if (e.copies.length === 0) lostSegments++;
      if (e.retransmit && (established.a === null || established.b === null)) retransmittedBeforeConnected = true;
      if (e.segment.data !== '' && !e.retransmit && !e.wrong) figures[e.from].messagesSent++;
    } else if (e.type === 'move-judged') {
      if (e.ok) figures[e.side].correctMoves++;
      else figures[e.side].wrongMoves++;
    } else if (e.type === 'endpoint' && e.event.type === 'state' && e.event.to === 'ESTABLISHED') {
      established[e.side] ??= e.at;
    }
  }
  const connected = established.a !== null && established.b !== null;
  const handshakeMs = connected && firstSyn !== null ? Math.max(established.a ?? 0, established.b ?? 0) - firstSyn : null;
  const score = (side: Side): number => {
    const f = figures[side];
    let points = 0;
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
