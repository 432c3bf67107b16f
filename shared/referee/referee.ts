/**
 * The referee: given an endpoint and a segment a player built for it, say whether it is
 * what TCP would send now, and if not, what is wrong with it in codes a UI can explain.
 * It asks the reference endpoint itself (`step`) what the right move is, so the referee
 * and the engine can never disagree.
 */
import { formatFlags, segmentLength, seqAdd, seqDiff, step } from '../protocol';
import type { Endpoint, Input, RefusalCode, Segment } from '../protocol';

/**
 * One move that TCP could correctly make now: the inputs to feed the player's endpoint,
 * in order, and the segment the move is. Two inputs mean "take the pending segment, then
 * act": the pending segment only needed a bare ACK, which this segment carries, so the
 * first input's own segments are not sent.
 */
export interface Candidate {
  readonly actions: readonly Input[];
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
  | 'ack/counted-characters'
  | 'ack/wrong'
  | 'data/unexpected'
  | 'move/nothing-to-send'
  | RefusalCode;

/** A mistake with the numbers a friendly explanation needs ("you answered 3; 3 + 1 = 4"). */
export interface Mistake {
  readonly code: MistakeCode;
  readonly expected?: number | boolean | string;
  readonly got?: number | boolean | string;
}

export type Verdict =
  | { readonly ok: true; readonly actions: readonly Input[]; readonly segment: Segment }
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
/** A hang-up is the strongest intent a segment can show: weigh RST differences most. */
const FLAG_WEIGHT = { syn: 1000, ack: 1000, fin: 1000, rst: 2000 } as const;

type Intent = 'open' | 'send' | 'close' | 'abort';

interface Options {
  readonly candidates: Candidate[];
  readonly refusals: Mistake[];
}

/**
 * Every segment TCP could correctly send now, the most pressing first: the answer to a
 * pending segment, then asking (SYN), talking (data), saying goodbye (FIN), hanging up (RST).
 *
 * @example
 * // B listening, "1+1 = ?" pending:
 * expectedMoves(listening, { now: 0, pending: parseSegment('<SEQ=1><CTL=SYN>') })[0].segment;
 * // <SEQ=3><ACK=2><CTL=SYN,ACK>: "2. And 2+2 = ?"
 */
export function expectedMoves(endpoint: Endpoint, context: RefereeContext): Candidate[] {
  return options(endpoint, context, ['open', 'send', 'close', 'abort'], context.data).candidates;
}

/**
 * The move a hint or a bot would make now: answer what is pending, or ask if nothing is
 * connected; null when TCP has nothing to say (wait, or talk, or say goodbye: the player's
 * choice).
 *
 * @example hint(closed, { now: 0 })?.segment // <SEQ=1><CTL=SYN>: "1+1 = ?"
 */
export function hint(endpoint: Endpoint, context: RefereeContext): Candidate | null {
  const intents: Intent[] = endpoint.state === 'CLOSED' && context.pending === undefined ? ['open'] : [];
  return options(endpoint, context, intents, undefined).candidates[0] ?? null;
}

/**
 * Judge a segment a player built. Correct means it is exactly one of `expectedMoves`;
 * then `actions` is what the host feeds the player's endpoint. Otherwise the mistakes are
 * listed against the closest correct move.
 *
 * @example
 * judgeMove(synSent, parseSegment('<SEQ=2><ACK=3><CTL=ACK>'), { now: 0, pending: synAck });
 * // { ok: false, mistakes: [{ code: 'ack/off-by-one', expected: 4, got: 3 }], closest: … }
 */
export function judgeMove(endpoint: Endpoint, move: Segment, context: RefereeContext): Verdict {
  const intents: Intent[] = [];
  if (move.syn) intents.push('open');
  if (move.data !== '') intents.push('send');
  if (move.fin) intents.push('close');
  if (move.rst) intents.push('abort');
  const { candidates, refusals } = options(endpoint, context, intents, move.data);
  for (const candidate of candidates) {
    if (sameSegment(candidate.segment, move)) return { ok: true, actions: candidate.actions, segment: candidate.segment };
  }
  let closest: Candidate | null = null;
  let best = Infinity;
  for (const candidate of candidates) {
    const distance = distanceBetween(candidate.segment, move);
    if (distance < best) (best = distance), (closest = candidate);
  }
  if (closest === null) {
    const mistakes = refusals.length > 0 ? dedupe(refusals) : [{ code: 'move/nothing-to-send' as const }];
    return { ok: false, mistakes, closest: hint(endpoint, context) };
  }
  const mistakes = [...intentRefusals(refusals, move, closest.segment), ...differences(closest.segment, move, context.pending)];
  return { ok: false, mistakes, closest };
}

/**
 * The correct moves for the given intents, plus the answer to the pending segment. A
 * pending segment that needs at most a bare ACK is taken first, so that a goodbye or a
 * message sent instead carries the up-to-date ACK; one that needs more (a SYN+ACK, a RST)
 * must be answered, or the call hung up.
 */
function options(endpoint: Endpoint, context: RefereeContext, intents: readonly Intent[], data: string | undefined): Options {
  const candidates: Candidate[] = [];
  const refusals: Mistake[] = [];
  let base: Endpoint | null = endpoint;
  let prefix: Input[] = [];
  if (context.pending !== undefined) {
    const receive: Input = { kind: 'receive', segment: context.pending };
    const answer = step(endpoint, receive, context.now);
    const reply = answer.send[0];
    if (reply !== undefined) candidates.push({ actions: [receive], segment: reply });
    if (reply === undefined || isBareAck(reply)) {
      base = answer.endpoint;
      prefix = [receive];
    } else {
      base = null;
    }
  }
  for (const intent of intents) {
    const action = inputFor(intent, data);
    if (action === null) continue;
    // Hanging up needs no answer first.
    const from = base ?? (intent === 'abort' ? endpoint : null);
    if (from === null) continue;
    const result = step(from, action, context.now);
    const segment = result.send[0];
    if (segment !== undefined) {
      candidates.push({ actions: from === base ? [...prefix, action] : [action], segment });
      continue;
    }
    for (const event of result.events) if (event.type === 'refused') refusals.push({ code: event.code });
  }
  return { candidates, refusals };
}

function inputFor(intent: Intent, data: string | undefined): Input | null {
  switch (intent) {
    case 'open':
      return { kind: 'open' };
    case 'send':
      return data === undefined || data === '' ? null : { kind: 'send', data };
    case 'close':
      return { kind: 'close' };
    case 'abort':
      return { kind: 'abort' };
  }
}

function isBareAck(segment: Segment): boolean {
  return segment.ack && !segment.syn && !segment.fin && !segment.rst && segment.data === '';
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

/** Flag differences weigh most, then numbers, then text. */
function distanceBetween(expected: Segment, got: Segment): number {
  let distance = 0;
  for (const flag of FLAGS) if (expected[flag] !== got[flag]) distance += FLAG_WEIGHT[flag];
  if (expected.seq !== got.seq) distance += 10;
  if (expected.ack && got.ack && expected.ackNo !== got.ackNo) distance += 10;
  if (expected.data !== got.data) distance += 1;
  return distance;
}

function differences(expected: Segment, got: Segment, pending: Segment | undefined): Mistake[] {
  const mistakes: Mistake[] = [];
  for (const flag of FLAGS) {
    if (expected[flag] && !got[flag]) mistakes.push({ code: `flags/missing-${flag}`, expected: true, got: false });
    if (!expected[flag] && got[flag]) mistakes.push({ code: `flags/extra-${flag}`, expected: false, got: true });
  }
  if (expected.seq !== got.seq) {
    const off = Math.abs(seqDiff(expected.seq, got.seq)) === 1;
    mistakes.push({ code: off ? 'seq/off-by-one' : 'seq/wrong', expected: expected.seq, got: got.seq });
  }
  if (expected.ack && got.ack && expected.ackNo !== got.ackNo) {
    mistakes.push({ code: ackMistake(expected.ackNo, got.ackNo, pending), expected: expected.ackNo, got: got.ackNo });
  }
  if (expected.data !== got.data) mistakes.push({ code: 'data/unexpected', expected: expected.data, got: got.data });
  return mistakes;
}

/** Counted letters instead of bytes, off by one (forgot the + 1), or simply wrong. */
function ackMistake(expected: number, got: number, pending: Segment | undefined): MistakeCode {
  if (pending !== undefined && pending.data !== '') {
    const byBytes = seqAdd(pending.seq, segmentLength(pending));
    const byCharacters = seqAdd(pending.seq, pending.data.length + (pending.fin ? 1 : 0));
    if (expected === byBytes && got === byCharacters && byBytes !== byCharacters) return 'ack/counted-characters';
  }
  return Math.abs(seqDiff(expected, got)) === 1 ? 'ack/off-by-one' : 'ack/wrong';
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
