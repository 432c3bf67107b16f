/**
 * The referee: given an endpoint and a segment a player built for it, say whether it is
 * what TCP would send now, and if not, what is wrong with it in codes a UI can explain.
 * It asks the reference endpoint itself (`step`) what the right move is, so the referee
 * and the engine can never disagree.
 */
import { formatFlags, step } from '../protocol';
import type { Endpoint, Input, RefusalCode, Segment } from '../protocol';

/** One move that TCP could correctly make now: the call or arrival it answers, and the segment. */
export interface Candidate {
  readonly action: Input;
  readonly segment: Segment;
}

export type FlagMistakeCode =
  | 'flags/missing-syn'
  | 'flags/extra-syn'
  | 'flags/missing-ack'
  | 'flags/extra-ack'
  | 'flags/missing-fin'
  | 'flags/extra-fin'
  | 'flags/missing-rst'
  | 'flags/extra-rst';

export type MistakeCode =
  | FlagMistakeCode
  | 'seq/off-by-one'
  | 'seq/wrong'
  | 'ack/off-by-one'
  | 'ack/wrong'
  | 'data/unexpected'
  | 'data/different'
  | 'move/nothing-to-send'
  | RefusalCode;

/** A mistake with the numbers a friendly explanation needs ("you answered 3; 3 + 1 = 4"). */
export interface Mistake {
  readonly code: MistakeCode;
  readonly expected?: number | boolean | string;
  readonly got?: number | boolean | string;
}

export type Verdict =
  | { readonly ok: true; readonly action: Input; readonly segment: Segment }
  | { readonly ok: false; readonly mistakes: readonly Mistake[]; readonly closest: Candidate | null };

export interface RefereeContext {
  /** Host clock, as for `step`. */
  readonly now: number;
  /** A segment that arrived and that the player has to answer, if any. */
  readonly pending?: Segment;
  /** Text the player wants to say, to offer a data segment among the moves. */
  readonly data?: string;
}

const FLAGS = ['syn', 'ack', 'fin', 'rst'] as const;

/**
 * Every segment TCP could correctly send now, the most pressing first: the answer to a
 * pending segment, then asking (SYN), talking (data), saying goodbye (FIN), hanging up (RST).
 * The first one is the hint a bot or a help button uses.
 *
 * @example
 * const b = createEndpoint({ iss: 3 }); // after `listen`, with "1+1 = ?" pending:
 * expectedMoves(listening, { now: 0, pending: makeSegment({ syn: true, seq: 1 }) })[0].segment;
 * // SYN+ACK seq=3 ack=2: "2. And 2+2 = ?"
 */
export function expectedMoves(endpoint: Endpoint, context: RefereeContext): Candidate[] {
  const candidates: Candidate[] = [];
  for (const action of actionsToTry(context.pending, context.data)) {
    const segment = step(endpoint, action, context.now).send[0];
    if (segment !== undefined) candidates.push({ action, segment });
  }
  return candidates;
}

/**
 * Judge a segment a player built. Correct means it is exactly one of `expectedMoves`;
 * then `action` is what the host should feed the player's endpoint. Otherwise the
 * mistakes are listed against the closest correct move.
 *
 * @example
 * judgeMove(synSent, makeSegment({ ack: true, seq: 2, ackNo: 3 }), { now: 0, pending: synAck });
 * // { ok: false, mistakes: [{ code: 'ack/off-by-one', expected: 4, got: 3 }], closest: … }
 */
export function judgeMove(endpoint: Endpoint, move: Segment, context: RefereeContext): Verdict {
  const refusals: Mistake[] = [];
  const candidates: Candidate[] = [];
  for (const action of actionsToTry(context.pending, move.data, move)) {
    const result = step(endpoint, action, context.now);
    const segment = result.send[0];
    if (segment !== undefined) {
      candidates.push({ action, segment });
      continue;
    }
    for (const event of result.events) {
      if (event.type === 'refused') refusals.push({ code: event.code });
    }
  }
  for (const candidate of candidates) {
    if (sameSegment(candidate.segment, move)) return { ok: true, action: candidate.action, segment: candidate.segment };
  }
  let closest: Candidate | null = null;
  let best = Infinity;
  for (const candidate of candidates) {
    const distance = distanceBetween(candidate.segment, move);
    if (distance < best) (best = distance), (closest = candidate);
  }
  if (closest === null) {
    const mistakes = refusals.length > 0 ? dedupe(refusals) : [{ code: 'move/nothing-to-send' as const }];
    return { ok: false, mistakes, closest: null };
  }
  const mistakes = [...intentRefusals(refusals, move, closest.segment), ...differences(closest.segment, move)];
  return { ok: false, mistakes, closest };
}

/** True when two segments say the same thing (ackNo only counts when ACK is set). */
export function sameSegment(a: Segment, b: Segment): boolean {
  return (
    a.syn === b.syn &&
    a.ack === b.ack &&
    a.fin === b.fin &&
    a.rst === b.rst &&
    a.seq === b.seq &&
    (!a.ack || a.ackNo === b.ackNo) &&
    a.data === b.data
  );
}

/** The calls and arrivals a move could be answering, most pressing first. */
function actionsToTry(pending: Segment | undefined, data: string | undefined, move?: Segment): Input[] {
  const actions: Input[] = [];
  if (pending !== undefined) actions.push({ kind: 'receive', segment: pending });
  if (move === undefined || move.syn) actions.push({ kind: 'open' });
  if (data !== undefined && data !== '') actions.push({ kind: 'send', data });
  if (move === undefined || move.fin) actions.push({ kind: 'close' });
  if (move === undefined || move.rst) actions.push({ kind: 'abort' });
  return actions;
}

/** Flag differences weigh most, then numbers, then text. */
function distanceBetween(expected: Segment, got: Segment): number {
  let distance = 0;
  for (const flag of FLAGS) if (expected[flag] !== got[flag]) distance += 1000;
  if (expected.seq !== got.seq) distance += 10;
  if (expected.ack && got.ack && expected.ackNo !== got.ackNo) distance += 10;
  if (expected.data !== got.data) distance += 1;
  return distance;
}

function differences(expected: Segment, got: Segment): Mistake[] {
  const mistakes: Mistake[] = [];
  for (const flag of FLAGS) {
    if (expected[flag] && !got[flag]) mistakes.push({ code: `flags/missing-${flag}`, expected: true, got: false });
    if (!expected[flag] && got[flag]) mistakes.push({ code: `flags/extra-${flag}`, expected: false, got: true });
  }
  if (expected.seq !== got.seq) {
    const off = Math.abs(expected.seq - got.seq) === 1;
    mistakes.push({ code: off ? 'seq/off-by-one' : 'seq/wrong', expected: expected.seq, got: got.seq });
  }
  if (expected.ack && got.ack && expected.ackNo !== got.ackNo) {
    const off = Math.abs(expected.ackNo - got.ackNo) === 1;
    mistakes.push({ code: off ? 'ack/off-by-one' : 'ack/wrong', expected: expected.ackNo, got: got.ackNo });
  }
  if (expected.data !== got.data) {
    mistakes.push({ code: expected.data === '' ? 'data/unexpected' : 'data/different', expected: expected.data, got: got.data });
  }
  return mistakes;
}

/**
 * When the move's own intent (talking, asking, saying goodbye) is not allowed now, say so
 * first: "you can only chat once connected" explains more than a list of flag differences.
 */
function intentRefusals(refusals: readonly Mistake[], move: Segment, closest: Segment): Mistake[] {
  if (refusals.length === 0 || (formatFlags(move) === formatFlags(closest) && move.data === closest.data)) return [];
  return dedupe(refusals);
}

function dedupe(mistakes: readonly Mistake[]): Mistake[] {
  const seen = new Set<string>();
  return mistakes.filter((m) => (seen.has(m.code) ? false : (seen.add(m.code), true)));
}
