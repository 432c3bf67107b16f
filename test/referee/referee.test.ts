/**
 * The referee, as a spec: a player builds the next segment of a call and `judgeMove`
 * says whether it is what TCP would send now, and if not, what is wrong with it.
 *
 * Every situation is reached with real `step` calls along the story of docs/protocol.md
 * ("1+1=?" / "2. And 2+2=?" / "4", then a chat and a goodbye). With A's ISN 1 and B's ISN
 * 3 the numbers are the story's; the property tests replay the same call with random ISNs.
 *
 * A pending segment that needs only a bare ACK may be answered by a segment that also
 * acts (talks, says goodbye, hangs up): then the verdict's `actions` are two, "take the
 * pending segment, then act". One that needs more (a SYN+ACK) must be answered, or the
 * call hung up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEndpoint, formatSegment, makeSegment, parseSegment, step } from '../../shared/protocol';
import type { Endpoint, Input, Segment } from '../../shared/protocol';
import { expectedMoves, hint, judgeMove, sameSegment } from '../../shared/referee';
import type { Candidate, Mistake, MistakeCode, RefereeContext, Verdict } from '../../shared/referee';

const NOW = 1_000;

type Side = 'A' | 'B';

/** One point of a call where a player builds the next segment. */
interface Turn {
  readonly name: string;
  readonly side: Side;
  /** The player's endpoint before the move. */
  readonly endpoint: Endpoint;
  readonly context: RefereeContext;
  /** What the player's side does at this point of the script. */
  readonly input: Input;
}

/** Feed inputs to an endpoint one after the other; the endpoint they lead to. */
function drive(endpoint: Endpoint, ...inputs: Input[]): Endpoint {
  return inputs.reduce((e, input) => step(e, input, NOW).endpoint, endpoint);
}

/**
 * The story's whole call between A (asks) and B (listens), with the given ISNs. Every
 * segment is delivered at once, in order. Each turn is recorded before it is played;
 * "A hangs up" is a branch that is recorded but not played.
 */
function scriptedCall(iss: { readonly A: number; readonly B: number }): Turn[] {
  const endpoints: Record<Side, Endpoint> = {
    A: createEndpoint({ iss: iss.A }),
    B: drive(createEndpoint({ iss: iss.B }), { kind: 'listen' }),
  };
  const turns: Turn[] = [];
  const other = (side: Side): Side => (side === 'A' ? 'B' : 'A');
  let inFlight: Segment | undefined;

  const record = (name: string, side: Side, input: Input): void => {
    const context: RefereeContext =
      input.kind === 'receive'
        ? { now: NOW, pending: input.segment }
        : input.kind === 'send'
          ? { now: NOW, data: input.data }
          : { now: NOW };
    turns.push({ name, side, endpoint: endpoints[side], context, input });
  };
  const play = (name: string, side: Side, input: Input): void => {
    record(name, side, input);
    const result = step(endpoints[side], input, NOW);
    endpoints[side] = result.endpoint;
    inFlight = result.send[0];
  };
  /** The other side's segment arrives at `side`, which answers it (or not). */
  const hear = (name: string, side: Side): void => {
    if (inFlight === undefined) throw new Error(`${name}: nothing in flight from ${other(side)}`);
    play(name, side, { kind: 'receive', segment: inFlight });
  };

  play('A asks "1+1=?"', 'A', { kind: 'open' });
  hear('B answers "2. And 2+2=?"', 'B');
  hear('A answers "4"', 'A');
  record('A hangs up', 'A', { kind: 'abort' });
  hear('B hears "4"', 'B');
  play('A says "hi"', 'A', { kind: 'send', data: 'hi' });
  hear('B acknowledges "hi"', 'B');
  hear('A hears "hi" acknowledged', 'A');
  play('B says "你好"', 'B', { kind: 'send', data: '你好' });
  hear('A acknowledges "你好"', 'A');
  hear('B hears "你好" acknowledged', 'B');
  play('A says goodbye', 'A', { kind: 'close' });
  hear('B acknowledges the goodbye', 'B');
  hear('A hears its goodbye acknowledged', 'A');
  play('B says "bye!"', 'B', { kind: 'send', data: 'bye!' });
  hear('A acknowledges "bye!"', 'A');
  hear('B hears "bye!" acknowledged', 'B');
  play('B says goodbye too', 'B', { kind: 'close' });
  hear('A acknowledges the last goodbye', 'A');
  hear('B hears the last ACK', 'B');
  return turns;
}

const STORY = scriptedCall({ A: 1, B: 3 });

function turn(name: string, turns: readonly Turn[] = STORY): Turn {
  const found = turns.find((t) => t.name === name);
  if (found === undefined) throw new Error(`no turn "${name}" in the scripted call`);
  return found;
}

/**
 * What feeding a verdict's (or a candidate's) actions to the endpoint puts on the line:
 * every action is stepped in order, and the move is the LAST step's first segment (with
 * two actions, the first one's own bare ACK is not sent: the move carries it).
 */
function lastSent(endpoint: Endpoint, actions: readonly Input[]): Segment | undefined {
  let current = endpoint;
  let sent: Segment | undefined;
  for (const action of actions) {
    const result = step(current, action, NOW);
    current = result.endpoint;
    sent = result.send[0];
  }
  return sent;
}

/** What the player's side sends at a turn, as the reference endpoint plays it. */
function sentAt(t: Turn): Segment | undefined {
  return step(t.endpoint, t.input, NOW).send[0];
}

/** The turns where the script has the player send something (the hang-up branch included). */
const SENDING = STORY.filter((t) => sentAt(t) !== undefined).map((t) => t.name);
/** The turns whose pending segment is a bare ACK that needs no reply. */
const SILENT = STORY.filter((t) => sentAt(t) === undefined).map((t) => t.name);

function judge(name: string, move: string | Segment, context?: RefereeContext): Verdict {
  const t = turn(name);
  return judgeMove(t.endpoint, typeof move === 'string' ? parseSegment(move) : move, context ?? t.context);
}

function codes(verdict: Verdict): MistakeCode[] {
  return verdict.ok ? [] : verdict.mistakes.map((m) => m.code);
}

const receive = (segment: string): Input => ({ kind: 'receive', segment: parseSegment(segment) });

/** A correct move as the referee states it: the actions to feed, and the segment. */
const candidate = (actions: Input[], segment: string): Candidate => ({ actions, segment: parseSegment(segment) });

function isBareAck(segment: Segment): boolean {
  return segment.ack && !segment.syn && !segment.fin && !segment.rst && segment.data === '';
}

const FLAGS = ['syn', 'ack', 'fin', 'rst'] as const;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

describe('the scripted call (the fixture every spec below stands on)', () => {
  it('plays the story of docs/protocol.md with ISNs 1 and 3', () => {
    expect(STORY.map((t) => [t.name, t.endpoint.state, sentAt(t) === undefined ? '-' : formatSegment(sentAt(t)!)])).toEqual([
      ['A asks "1+1=?"', 'CLOSED', '<SEQ=1><CTL=SYN>'],
      ['B answers "2. And 2+2=?"', 'LISTEN', '<SEQ=3><ACK=2><CTL=SYN,ACK>'],
      ['A answers "4"', 'SYN_SENT', '<SEQ=2><ACK=4><CTL=ACK>'],
      ['A hangs up', 'ESTABLISHED', '<SEQ=2><CTL=RST>'],
      ['B hears "4"', 'SYN_RCVD', '-'],
      ['A says "hi"', 'ESTABLISHED', '<SEQ=2><ACK=4><CTL=ACK><DATA="hi">'],
      ['B acknowledges "hi"', 'ESTABLISHED', '<SEQ=4><ACK=4><CTL=ACK>'],
      ['A hears "hi" acknowledged', 'ESTABLISHED', '-'],
      ['B says "你好"', 'ESTABLISHED', '<SEQ=4><ACK=4><CTL=ACK><DATA="你好">'],
      ['A acknowledges "你好"', 'ESTABLISHED', '<SEQ=4><ACK=10><CTL=ACK>'],
      ['B hears "你好" acknowledged', 'ESTABLISHED', '-'],
      ['A says goodbye', 'ESTABLISHED', '<SEQ=4><ACK=10><CTL=FIN,ACK>'],
      ['B acknowledges the goodbye', 'ESTABLISHED', '<SEQ=10><ACK=5><CTL=ACK>'],
      ['A hears its goodbye acknowledged', 'FIN_WAIT_1', '-'],
      ['B says "bye!"', 'CLOSE_WAIT', '<SEQ=10><ACK=5><CTL=ACK><DATA="bye!">'],
      ['A acknowledges "bye!"', 'FIN_WAIT_2', '<SEQ=5><ACK=14><CTL=ACK>'],
      ['B hears "bye!" acknowledged', 'CLOSE_WAIT', '-'],
      ['B says goodbye too', 'CLOSE_WAIT', '<SEQ=14><ACK=5><CTL=FIN,ACK>'],
      ['A acknowledges the last goodbye', 'FIN_WAIT_2', '<SEQ=5><ACK=15><CTL=ACK>'],
      ['B hears the last ACK', 'LAST_ACK', '-'],
    ]);
  });
});

describe('judgeMove: every correct move of a whole call', () => {
  const CORRECT = [
    ['A asks "1+1=?"', '<SEQ=1><CTL=SYN>', [{ kind: 'open' }]],
    ['B answers "2. And 2+2=?"', '<SEQ=3><ACK=2><CTL=SYN,ACK>', [receive('<SEQ=1><CTL=SYN>')]],
    ['A answers "4"', '<SEQ=2><ACK=4><CTL=ACK>', [receive('<SEQ=3><ACK=2><CTL=SYN,ACK>')]],
    ['A says "hi"', '<SEQ=2><ACK=4><CTL=ACK><DATA="hi">', [{ kind: 'send', data: 'hi' }]],
    ['B acknowledges "hi"', '<SEQ=4><ACK=4><CTL=ACK>', [receive('<SEQ=2><ACK=4><CTL=ACK><DATA="hi">')]],
    ['B says "你好"', '<SEQ=4><ACK=4><CTL=ACK><DATA="你好">', [{ kind: 'send', data: '你好' }]],
    ['A acknowledges "你好"', '<SEQ=4><ACK=10><CTL=ACK>', [receive('<SEQ=4><ACK=4><CTL=ACK><DATA="你好">')]],
    ['A says goodbye', '<SEQ=4><ACK=10><CTL=FIN,ACK>', [{ kind: 'close' }]],
    ['B acknowledges the goodbye', '<SEQ=10><ACK=5><CTL=ACK>', [receive('<SEQ=4><ACK=10><CTL=FIN,ACK>')]],
    ['B says "bye!"', '<SEQ=10><ACK=5><CTL=ACK><DATA="bye!">', [{ kind: 'send', data: 'bye!' }]],
    ['A acknowledges "bye!"', '<SEQ=5><ACK=14><CTL=ACK>', [receive('<SEQ=10><ACK=5><CTL=ACK><DATA="bye!">')]],
    ['B says goodbye too', '<SEQ=14><ACK=5><CTL=FIN,ACK>', [{ kind: 'close' }]],
    ['A acknowledges the last goodbye', '<SEQ=5><ACK=15><CTL=ACK>', [receive('<SEQ=14><ACK=5><CTL=FIN,ACK>')]],
    ['A hangs up', '<SEQ=2><CTL=RST>', [{ kind: 'abort' }]],
    // A pending segment that needs only a bare ACK is taken first: the move carries the ACK.
    ['A answers "4"', '<SEQ=2><ACK=4><CTL=ACK><DATA="hi">', [receive('<SEQ=3><ACK=2><CTL=SYN,ACK>'), { kind: 'send', data: 'hi' }]],
    ['A answers "4"', '<SEQ=2><ACK=4><CTL=FIN,ACK>', [receive('<SEQ=3><ACK=2><CTL=SYN,ACK>'), { kind: 'close' }]],
    ['A answers "4"', '<SEQ=2><CTL=RST>', [receive('<SEQ=3><ACK=2><CTL=SYN,ACK>'), { kind: 'abort' }]],
    ['B hears "4"', '<SEQ=4><ACK=2><CTL=ACK><DATA="hi">', [receive('<SEQ=2><ACK=4><CTL=ACK>'), { kind: 'send', data: 'hi' }]],
    ['B hears "4"', '<SEQ=4><ACK=2><CTL=FIN,ACK>', [receive('<SEQ=2><ACK=4><CTL=ACK>'), { kind: 'close' }]],
    ['B acknowledges "hi"', '<SEQ=4><ACK=4><CTL=ACK><DATA="yo">', [receive('<SEQ=2><ACK=4><CTL=ACK><DATA="hi">'), { kind: 'send', data: 'yo' }]],
    ['B acknowledges "hi"', '<SEQ=4><ACK=4><CTL=FIN,ACK>', [receive('<SEQ=2><ACK=4><CTL=ACK><DATA="hi">'), { kind: 'close' }]],
    ['A acknowledges "你好"', '<SEQ=4><CTL=RST>', [receive('<SEQ=4><ACK=4><CTL=ACK><DATA="你好">'), { kind: 'abort' }]],
    // Answering A's goodbye and saying its own in one segment: ACK 5 (4 + 1 for the FIN).
    ['B acknowledges the goodbye', '<SEQ=10><ACK=5><CTL=FIN,ACK>', [receive('<SEQ=4><ACK=10><CTL=FIN,ACK>'), { kind: 'close' }]],
    ['A acknowledges "bye!"', '<SEQ=5><CTL=RST>', [receive('<SEQ=10><ACK=5><CTL=ACK><DATA="bye!">'), { kind: 'abort' }]],
  ] satisfies [string, string, Input[]][];

  it.each(CORRECT)('%s: %s is ok', (name, move, actions) => {
    const verdict = judge(name, move);
    expect(verdict).toEqual({ ok: true, actions, segment: parseSegment(move) });
  });

  it.each(CORRECT)('%s: feeding the actions for %s, the last step sends exactly that segment', (name, move) => {
    const t = turn(name);
    const verdict = judge(name, move);
    if (!verdict.ok) throw new Error(`expected ok, got ${JSON.stringify(verdict.mistakes)}`);
    expect(lastSent(t.endpoint, verdict.actions)).toEqual(parseSegment(move));
  });

  it.each(SENDING)("%s: feeding the verdict's actions to the endpoint sends exactly the judged segment", (name) => {
    const t = turn(name);
    const move = sentAt(t)!;
    const verdict = judgeMove(t.endpoint, move, t.context);
    if (!verdict.ok) throw new Error(`expected ok, got ${JSON.stringify(verdict.mistakes)}`);
    expect(verdict.actions).toEqual([t.input]);
    expect(lastSent(t.endpoint, verdict.actions)).toEqual(move);
  });

  it('ignores ackNo on a segment without the ACK flag (it means nothing there)', () => {
    expect(judge('A asks "1+1=?"', makeSegment({ syn: true, seq: 1, ackNo: 99 }))).toMatchObject({ ok: true });
  });
});

describe('judgeMove: the classic mistakes, with the numbers to explain them', () => {
  it.each([
    ['answering 3 instead of 4', 'A answers "4"', '<SEQ=2><ACK=3><CTL=ACK>', [{ code: 'ack/off-by-one', expected: 4, got: 3 }]],
    ["answering the peer's seq plus 2", 'A answers "4"', '<SEQ=2><ACK=5><CTL=ACK>', [{ code: 'ack/off-by-one', expected: 4, got: 5 }]],
    ['answering "1+1" with 1', 'B answers "2. And 2+2=?"', '<SEQ=3><ACK=1><CTL=SYN,ACK>', [{ code: 'ack/off-by-one', expected: 2, got: 1 }]],
    ['a wildly wrong answer', 'A answers "4"', '<SEQ=2><ACK=40><CTL=ACK>', [{ code: 'ack/wrong', expected: 4, got: 40 }]],
    ['forgetting that the FIN takes a number', 'B acknowledges the goodbye', '<SEQ=10><ACK=4><CTL=ACK>', [{ code: 'ack/off-by-one', expected: 5, got: 4 }]],
    ['counting "你好" as 2 characters, not 6 bytes', 'A acknowledges "你好"', '<SEQ=4><ACK=6><CTL=ACK>', [{ code: 'ack/counted-characters', expected: 10, got: 6 }]],
    ['forgetting that the SYN took a number', 'A answers "4"', '<SEQ=1><ACK=4><CTL=ACK>', [{ code: 'seq/off-by-one', expected: 2, got: 1 }]],
    ['a wildly wrong seq', 'A answers "4"', '<SEQ=20><ACK=4><CTL=ACK>', [{ code: 'seq/wrong', expected: 2, got: 20 }]],
    ['answering without asking back (no SYN)', 'B answers "2. And 2+2=?"', '<SEQ=3><ACK=2><CTL=ACK>', [{ code: 'flags/missing-syn', expected: true, got: false }]],
    // Not an active open from LISTEN: "1+1=?" arrived and needs its SYN+ACK.
    ['asking back without answering (no ACK)', 'B answers "2. And 2+2=?"', '<SEQ=3><CTL=SYN>', [{ code: 'flags/missing-ack', expected: true, got: false }]],
    ['forgetting the ACK flag', 'A answers "4"', '<SEQ=2>', [{ code: 'flags/missing-ack', expected: true, got: false }]],
    ['forgetting the ACK flag on a goodbye', 'A says goodbye', '<SEQ=4><CTL=FIN>', [{ code: 'flags/missing-ack', expected: true, got: false }]],
    ['an ACK on the very first SYN', 'A asks "1+1=?"', '<SEQ=1><ACK=1><CTL=SYN,ACK>', [{ code: 'flags/extra-ack', expected: false, got: true }]],
    // The SYN+ACK must come first: talking is not even tried, so no "not connected yet" here.
    ['chatting inside the SYN+ACK', 'B answers "2. And 2+2=?"', '<SEQ=3><ACK=2><CTL=SYN,ACK><DATA="hi">', [{ code: 'data/unexpected', expected: '', got: 'hi' }]],
    [
      'asking again on an open connection',
      'B acknowledges "hi"',
      '<SEQ=4><ACK=4><CTL=SYN,ACK>',
      [{ code: 'state/already-open' }, { code: 'flags/extra-syn', expected: false, got: true }],
    ],
  ] satisfies [string, string, string, Mistake[]][])('%s (%s: %s)', (_why, name, move, mistakes) => {
    const verdict = judge(name, move);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.mistakes).toEqual(mistakes);
    // Every number in a mistake is read off `closest`: here, the answer to the pending segment.
    expect(verdict.closest).toEqual(expectedMoves(turn(name).endpoint, turn(name).context)[0]);
  });

  it.each([
    ['saying goodbye with a stale ACK 4, ignoring the goodbye that just arrived', 'B acknowledges the goodbye', '<SEQ=10><ACK=4><CTL=FIN,ACK>', { code: 'ack/off-by-one', expected: 5, got: 4 }, [receive('<SEQ=4><ACK=10><CTL=FIN,ACK>'), { kind: 'close' }], '<SEQ=10><ACK=5><CTL=FIN,ACK>'],
    ['talking with the ACK from before "hi" arrived', 'B acknowledges "hi"', '<SEQ=4><ACK=2><CTL=ACK><DATA="yo">', { code: 'ack/wrong', expected: 4, got: 2 }, [receive('<SEQ=2><ACK=4><CTL=ACK><DATA="hi">'), { kind: 'send', data: 'yo' }], '<SEQ=4><ACK=4><CTL=ACK><DATA="yo">'],
    ['saying goodbye with "你好" counted as 2 characters', 'A acknowledges "你好"', '<SEQ=4><ACK=6><CTL=FIN,ACK>', { code: 'ack/counted-characters', expected: 10, got: 6 }, [receive('<SEQ=4><ACK=4><CTL=ACK><DATA="你好">'), { kind: 'close' }], '<SEQ=4><ACK=10><CTL=FIN,ACK>'],
  ] satisfies [string, string, string, Mistake, Input[], string][])(
    '%s (%s: %s) is measured against the move made after taking the pending segment',
    (_why, name, move, mistake, actions, closest) => {
      expect(judge(name, move)).toEqual({ ok: false, mistakes: [mistake], closest: candidate(actions, closest) });
    },
  );

  it.each([
    ['chatting while still asking', 'A answers "4"', '<SEQ=2><DATA="hi">', 'state/not-established', null],
    ['saying goodbye with no call at all', 'A asks "1+1=?"', '<SEQ=1><CTL=FIN>', 'state/not-open', candidate([{ kind: 'open' }], '<SEQ=1><CTL=SYN>')],
    ['hanging up with no call at all', 'A asks "1+1=?"', '<SEQ=1><CTL=RST>', 'state/not-open', candidate([{ kind: 'open' }], '<SEQ=1><CTL=SYN>')],
    ['asking again once connected', 'A says "hi"', '<SEQ=2><CTL=SYN>', 'state/already-open', null],
    ['chatting after its own goodbye', 'A acknowledges "bye!"', '<SEQ=5><ACK=10><CTL=ACK><DATA="more">', 'state/closing', null],
    ['saying goodbye twice', 'A acknowledges "bye!"', '<SEQ=5><ACK=10><CTL=FIN,ACK>', 'state/closing', null],
  ] satisfies [string, string, string, MistakeCode, Candidate | null][])(
    '%s is not allowed now (%s, nothing pending: %s → %s; closest is the hint)',
    (_why, name, move, code, closest) => {
      expect(judge(name, move, { now: NOW })).toEqual({ ok: false, mistakes: [{ code }], closest });
    },
  );

  it.each(SILENT)('%s: a bare ACK needs no reply, so any plain reply is move/nothing-to-send', (name) => {
    const t = turn(name);
    const echo = makeSegment({ ack: true, seq: t.endpoint.sndNxt, ackNo: t.endpoint.rcvNxt });
    expect(judgeMove(t.endpoint, echo, t.context)).toEqual({
      ok: false,
      mistakes: [{ code: 'move/nothing-to-send' }],
      closest: null,
    });
  });

  it.each([
    ['ack', '<SEQ=0><ACK=4294967295><CTL=ACK>', { code: 'ack/off-by-one', expected: 0, got: 4294967295 }],
    ['ack', '<SEQ=0><ACK=1><CTL=ACK>', { code: 'ack/off-by-one', expected: 0, got: 1 }],
    ['seq', '<SEQ=4294967295><ACK=0><CTL=ACK>', { code: 'seq/off-by-one', expected: 0, got: 4294967295 }],
    ['seq', '<SEQ=1><ACK=0><CTL=ACK>', { code: 'seq/off-by-one', expected: 0, got: 1 }],
  ] satisfies [string, string, Mistake][])('forgetting the +1 across 2^32 in the %s is off-by-one: %s', (_field, move, mistake) => {
    const t = turn('A answers "4"', scriptedCall({ A: 0xffff_ffff, B: 0xffff_ffff }));
    expect(formatSegment(sentAt(t)!)).toBe('<SEQ=0><ACK=0><CTL=ACK>');
    expect(judgeMove(t.endpoint, parseSegment(move), t.context)).toMatchObject({ ok: false, mistakes: [mistake] });
  });
});

describe('judgeMove: ack/counted-characters (counted letters, not UTF-8 bytes)', () => {
  it('is the mistake when "你好" (2 letters, 6 bytes) is acknowledged with 4 + 2', () => {
    expect(judge('A acknowledges "你好"', '<SEQ=4><ACK=6><CTL=ACK>')).toEqual({
      ok: false,
      mistakes: [{ code: 'ack/counted-characters', expected: 10, got: 6 }],
      closest: candidate([receive('<SEQ=4><ACK=4><CTL=ACK><DATA="你好">')], '<SEQ=4><ACK=10><CTL=ACK>'),
    });
  });

  it('counts the FIN riding on the text: "你好" + FIN acknowledged with 4 + 2 + 1', () => {
    const pending = parseSegment('<SEQ=4><ACK=4><CTL=FIN,ACK><DATA="你好">');
    expect(judge('A acknowledges "你好"', '<SEQ=4><ACK=7><CTL=ACK>', { now: NOW, pending })).toEqual({
      ok: false,
      mistakes: [{ code: 'ack/counted-characters', expected: 11, got: 7 }],
      closest: { actions: [{ kind: 'receive', segment: pending }], segment: parseSegment('<SEQ=4><ACK=11><CTL=ACK>') },
    });
  });

  it.each([
    ['ignoring the text altogether', '<SEQ=4><ACK=4><CTL=ACK>', { code: 'ack/wrong', expected: 10, got: 4 }],
    ['counting each letter as 2 bytes', '<SEQ=4><ACK=8><CTL=ACK>', { code: 'ack/wrong', expected: 10, got: 8 }],
    ['one byte short', '<SEQ=4><ACK=9><CTL=ACK>', { code: 'ack/off-by-one', expected: 10, got: 9 }],
  ] satisfies [string, string, Mistake][])('is not the mistake when %s (%s)', (_why, move, mistake) => {
    expect(judge('A acknowledges "你好"', move)).toMatchObject({ ok: false, mistakes: [mistake] });
  });

  it('is not the mistake when nothing with text is pending (a goodbye answered with 4 + 0)', () => {
    expect(codes(judge('B acknowledges the goodbye', '<SEQ=10><ACK=4><CTL=ACK>'))).toEqual(['ack/off-by-one']);
  });

  it('in the whole story, only the acknowledgement of "你好" can be miscounted (ASCII letters are bytes)', () => {
    const miscountable = STORY.filter((t) => {
      const pending = t.context.pending;
      const answer = sentAt(t);
      if (pending === undefined || answer === undefined || !answer.ack || pending.data === '') return false;
      const byCharacters = (pending.seq + pending.data.length + (pending.fin ? 1 : 0)) >>> 0;
      if (byCharacters === answer.ackNo) return false;
      const verdict = judgeMove(t.endpoint, { ...answer, ackNo: byCharacters }, t.context);
      expect(codes(verdict)).toEqual(['ack/counted-characters']);
      return true;
    });
    expect(miscountable.map((t) => t.name)).toEqual(['A acknowledges "你好"']);
  });
});

describe('closest: the correct move the mistakes are measured against', () => {
  it('is the answer to the pending segment when the move looks like one', () => {
    const verdict = judge('A answers "4"', '<SEQ=2><ACK=3><CTL=ACK>');
    expect(verdict).toMatchObject({
      ok: false,
      closest: candidate([receive('<SEQ=3><ACK=2><CTL=SYN,ACK>')], '<SEQ=2><ACK=4><CTL=ACK>'),
    });
  });

  it('is asking when a move in CLOSED looks like a question', () => {
    expect(judge('A asks "1+1=?"', '<SEQ=2><CTL=SYN>')).toEqual({
      ok: false,
      mistakes: [{ code: 'seq/off-by-one', expected: 1, got: 2 }],
      closest: candidate([{ kind: 'open' }], '<SEQ=1><CTL=SYN>'),
    });
  });

  it('is hanging up when the move is a RST', () => {
    expect(judge('A hangs up', '<SEQ=2><ACK=4><CTL=RST,ACK>')).toEqual({
      ok: false,
      mistakes: [{ code: 'flags/extra-ack', expected: false, got: true }],
      closest: candidate([{ kind: 'abort' }], '<SEQ=2><CTL=RST>'),
    });
  });

  it('is hanging up, not the ACK, for a RST+ACK to "hi": a RST difference weighs more than an ACK one', () => {
    expect(judge('B acknowledges "hi"', '<SEQ=4><ACK=4><CTL=RST,ACK>')).toEqual({
      ok: false,
      mistakes: [{ code: 'flags/extra-ack', expected: false, got: true }],
      closest: candidate([receive('<SEQ=2><ACK=4><CTL=ACK><DATA="hi">'), { kind: 'abort' }], '<SEQ=4><CTL=RST>'),
    });
  });

  it('is hanging up for a RST with a wrong seq, even where the answer has the same flags but RST', () => {
    expect(judge('A acknowledges "你好"', '<SEQ=5><ACK=10><CTL=RST,ACK>')).toEqual({
      ok: false,
      mistakes: [
        { code: 'flags/extra-ack', expected: false, got: true },
        { code: 'seq/off-by-one', expected: 4, got: 5 },
      ],
      closest: candidate([receive('<SEQ=4><ACK=4><CTL=ACK><DATA="你好">'), { kind: 'abort' }], '<SEQ=4><CTL=RST>'),
    });
  });

  it('is saying goodbye when the move is a FIN carrying text', () => {
    expect(judge('A says "hi"', '<SEQ=2><ACK=4><CTL=FIN,ACK><DATA="hi">')).toEqual({
      ok: false,
      mistakes: [{ code: 'data/unexpected', expected: '', got: 'hi' }],
      closest: candidate([{ kind: 'close' }], '<SEQ=2><ACK=4><CTL=FIN,ACK>'),
    });
  });

  it('is the hint when nothing the move tries is possible: asking, in CLOSED', () => {
    const t = turn('A asks "1+1=?"');
    const verdict = judge('A asks "1+1=?"', '<SEQ=1><CTL=FIN>');
    expect(verdict).toEqual({ ok: false, mistakes: [{ code: 'state/not-open' }], closest: candidate([{ kind: 'open' }], '<SEQ=1><CTL=SYN>') });
    expect(verdict.ok ? undefined : verdict.closest).toEqual(hint(t.endpoint, t.context));
  });

  it('is null when nothing the move tries is possible and there is no hint (a SYN once connected)', () => {
    expect(judge('A says "hi"', '<SEQ=2><CTL=SYN>', { now: NOW })).toMatchObject({ ok: false, closest: null });
  });
});

describe('hint: the one move a help button or a bot makes', () => {
  it('in CLOSED with nothing pending, is asking', () => {
    expect(hint(turn('A asks "1+1=?"').endpoint, { now: NOW })).toEqual(candidate([{ kind: 'open' }], '<SEQ=1><CTL=SYN>'));
  });

  it.each(STORY.filter((t) => t.context.pending !== undefined).map((t) => t.name))(
    '%s: is the answer to the pending segment, as the script plays it (null when a bare ACK needs none)',
    (name) => {
      const t = turn(name);
      const sent = sentAt(t);
      expect(hint(t.endpoint, t.context)).toEqual(sent === undefined ? null : { actions: [t.input], segment: sent });
    },
  );

  it('in SYN_RCVD after hearing "4" (a bare ACK pending) is null, not a goodbye nor a message', () => {
    const t = turn('B hears "4"');
    expect(t.endpoint.state).toBe('SYN_RCVD');
    expect(hint(t.endpoint, t.context)).toBeNull();
    // Yet saying goodbye there is a correct move: the player's choice, not the hint's.
    expect(judge('B hears "4"', '<SEQ=4><ACK=2><CTL=FIN,ACK>')).toMatchObject({ ok: true });
  });

  it.each([
    ['listening, nothing pending', 'B answers "2. And 2+2=?"'],
    ['asking, nothing pending', 'A answers "4"'],
    ['connected, nothing pending', 'A says "hi"'],
    ['waiting for the last goodbye', 'A acknowledges "bye!"'],
  ])('is null when %s (%s)', (_why, name) => {
    expect(hint(turn(name).endpoint, { now: NOW })).toBeNull();
  });

  it('with a pending segment in CLOSED, is the answer (a RST), not asking', () => {
    const pending = parseSegment('<SEQ=9><CTL=SYN>');
    expect(hint(turn('A asks "1+1=?"').endpoint, { now: NOW, pending })).toEqual({
      actions: [{ kind: 'receive', segment: pending }],
      segment: parseSegment('<SEQ=0><ACK=10><CTL=RST,ACK>'),
    });
  });

  it.each(STORY.map((t) => t.name))('%s: when there is a hint, it is judged ok and it is the first of expectedMoves', (name) => {
    const t = turn(name);
    const h = hint(t.endpoint, t.context);
    if (h === null) return;
    expect(judgeMove(t.endpoint, h.segment, t.context)).toEqual({ ok: true, ...h });
    expect(expectedMoves(t.endpoint, t.context)[0]).toEqual(h);
  });
});

describe('expectedMoves', () => {
  it.each(STORY.filter((t) => t.context.pending !== undefined && sentAt(t) !== undefined).map((t) => t.name))(
    '%s: lists the answer to the pending segment first, as step would send it',
    (name) => {
      const t = turn(name);
      const answer: Input = { kind: 'receive', segment: t.context.pending! };
      const [first] = expectedMoves(t.endpoint, t.context);
      expect(first).toEqual({ actions: [answer], segment: step(t.endpoint, answer, NOW).send[0] });
    },
  );

  it.each(SENDING.filter((name) => name !== 'A hangs up'))('%s: its first entry is what the script sends', (name) => {
    const t = turn(name);
    expect(expectedMoves(t.endpoint, t.context)[0]).toEqual({ actions: [t.input], segment: sentAt(t) });
  });

  it('lists hanging up last, after saying goodbye', () => {
    const moves = expectedMoves(turn('A hangs up').endpoint, { now: NOW, data: 'hi' });
    expect(moves.map((m) => [m.actions.map((a) => a.kind).join('+'), formatSegment(m.segment)])).toEqual([
      ['send', '<SEQ=2><ACK=4><CTL=ACK><DATA="hi">'],
      ['close', '<SEQ=2><ACK=4><CTL=FIN,ACK>'],
      ['abort', '<SEQ=2><CTL=RST>'],
    ]);
  });

  it('with a pending segment that needs a bare ACK, offers the other moves after taking it', () => {
    const t = turn('B acknowledges "hi"');
    const moves = expectedMoves(t.endpoint, { ...t.context, data: 'yo' });
    expect(moves.map((m) => [m.actions.map((a) => a.kind).join('+'), formatSegment(m.segment)])).toEqual([
      ['receive', '<SEQ=4><ACK=4><CTL=ACK>'],
      ['receive+send', '<SEQ=4><ACK=4><CTL=ACK><DATA="yo">'],
      ['receive+close', '<SEQ=4><ACK=4><CTL=FIN,ACK>'],
      ['receive+abort', '<SEQ=4><CTL=RST>'],
    ]);
  });

  it('with a pending bare ACK that needs nothing, offers only the moves after taking it', () => {
    const t = turn('B hears "4"');
    const moves = expectedMoves(t.endpoint, { ...t.context, data: 'hi' });
    expect(moves.map((m) => [m.actions.map((a) => a.kind).join('+'), formatSegment(m.segment)])).toEqual([
      ['receive+send', '<SEQ=4><ACK=2><CTL=ACK><DATA="hi">'],
      ['receive+close', '<SEQ=4><ACK=2><CTL=FIN,ACK>'],
      ['receive+abort', '<SEQ=4><CTL=RST>'],
    ]);
  });

  it('with a pending segment that needs a SYN+ACK, offers only the answer and hanging up as the endpoint is', () => {
    // B in SYN_RCVD hears "1+1=?" again (its SYN+ACK was lost): it must answer it again.
    const t = turn('B hears "4"');
    const moves = expectedMoves(t.endpoint, { now: NOW, pending: parseSegment('<SEQ=1><CTL=SYN>'), data: 'hi' });
    expect(moves.map((m) => [m.actions.map((a) => a.kind).join('+'), formatSegment(m.segment)])).toEqual([
      ['receive', '<SEQ=3><ACK=2><CTL=SYN,ACK>'],
      ['abort', '<SEQ=4><CTL=RST>'],
    ]);
  });

  it('in CLOSED with nothing pending, offers only asking', () => {
    expect(expectedMoves(turn('A asks "1+1=?"').endpoint, { now: NOW })).toEqual([candidate([{ kind: 'open' }], '<SEQ=1><CTL=SYN>')]);
  });

  it.each(STORY.map((t) => t.name))('%s: every listed move is judged ok, with its own actions, which send it', (name) => {
    const t = turn(name);
    const context = { ...t.context, data: t.context.data ?? 'hi' };
    for (const move of expectedMoves(t.endpoint, context)) {
      expect(judgeMove(t.endpoint, move.segment, context)).toEqual({ ok: true, ...move });
      expect(lastSent(t.endpoint, move.actions)).toEqual(move.segment);
    }
  });
});

describe('properties over random ISNs and a random point of the call', () => {
  const isn = fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0, 1, 0xffff_fffe, 0xffff_ffff));
  const sendingTurn = fc.constantFrom(...SENDING);
  const anyTurn = fc.constantFrom(...STORY.map((t) => t.name));
  const delta = fc.oneof(fc.constantFrom(1, -1, 2, -2), fc.integer({ min: 1, max: 0xffff_ffff }));
  type Mutation =
    | { readonly kind: 'flip'; readonly flag: (typeof FLAGS)[number] }
    | { readonly kind: 'seq' | 'ackNo'; readonly delta: number };
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.constantFrom(...FLAGS).map((flag) => ({ kind: 'flip', flag }) as const),
    fc.record({ kind: fc.constantFrom('seq', 'ackNo'), delta }),
  );

  function mutate(segment: Segment, m: Mutation): Segment {
    if (m.kind === 'flip') return { ...segment, [m.flag]: !segment[m.flag] };
    return makeSegment({ ...segment, [m.kind]: segment[m.kind] + m.delta });
  }

  function situation(iss: { A: number; B: number }, name: string): Turn {
    return turn(name, scriptedCall(iss));
  }

  it('the first of expectedMoves is always judged ok, with its actions', () => {
    fc.assert(
      fc.property(isn, isn, sendingTurn, (a, b, name) => {
        const t = situation({ A: a, B: b }, name);
        const first = expectedMoves(t.endpoint, t.context)[0];
        if (first === undefined) throw new Error(`${name}: no expected move`);
        expect(judgeMove(t.endpoint, first.segment, t.context)).toEqual({ ok: true, ...first });
      }),
      { numRuns: 300 },
    );
  });

  it('every listed move (and the hint) is sent by feeding its actions, at any point of the call', () => {
    fc.assert(
      fc.property(isn, isn, anyTurn, (a, b, name) => {
        const t = situation({ A: a, B: b }, name);
        const context = { ...t.context, data: t.context.data ?? 'ok' };
        for (const move of expectedMoves(t.endpoint, context)) expect(lastSent(t.endpoint, move.actions)).toEqual(move.segment);
        const h = hint(t.endpoint, t.context);
        if (h !== null) expect(lastSent(t.endpoint, h.actions)).toEqual(h.segment);
      }),
      { numRuns: 300 },
    );
  });

  it('changing exactly one field of it (a flag, seq, or the ackNo of an ACK) is never judged ok, but a FIN on a bare ACK', () => {
    fc.assert(
      fc.property(isn, isn, sendingTurn, mutation, (a, b, name, m) => {
        const t = situation({ A: a, B: b }, name);
        const first = expectedMoves(t.endpoint, t.context)[0]!;
        // ackNo means nothing without the ACK flag: changing it there changes nothing.
        fc.pre(m.kind !== 'ackNo' || first.segment.ack);
        const moved = mutate(first.segment, m);
        const verdict = judgeMove(t.endpoint, moved, t.context);
        if (m.kind === 'flip' && m.flag === 'fin' && isBareAck(first.segment) && t.context.pending !== undefined) {
          // A FIN on the bare ACK is saying goodbye in the answer: correct wherever a goodbye
          // is allowed once the pending segment is taken.
          const take: Input = { kind: 'receive', segment: t.context.pending };
          const goodbye = step(step(t.endpoint, take, NOW).endpoint, { kind: 'close' }, NOW).send[0];
          const correct = goodbye !== undefined && sameSegment(goodbye, moved);
          expect(verdict).toEqual(correct ? { ok: true, actions: [take, { kind: 'close' }], segment: goodbye } : expect.objectContaining({ ok: false }));
          return;
        }
        expect(verdict.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('seq or ackNo off by exactly 1, modulo 2^32, is always off-by-one and nothing else', () => {
    fc.assert(
      fc.property(isn, isn, sendingTurn, fc.constantFrom('seq', 'ackNo'), fc.constantFrom(1, -1), (a, b, name, field, d) => {
        const t = situation({ A: a, B: b }, name);
        const first = expectedMoves(t.endpoint, t.context)[0]!;
        fc.pre(field === 'seq' || first.segment.ack);
        const verdict = judgeMove(t.endpoint, mutate(first.segment, { kind: field, delta: d }), t.context);
        expect(codes(verdict)).toEqual([field === 'seq' ? 'seq/off-by-one' : 'ack/off-by-one']);
        expect(verdict.ok ? undefined : verdict.closest).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it('a wrong move is always explained: at least one mistake, and numbers read off closest', () => {
    fc.assert(
      fc.property(isn, isn, sendingTurn, mutation, (a, b, name, m) => {
        const t = situation({ A: a, B: b }, name);
        const first = expectedMoves(t.endpoint, t.context)[0]!;
        const verdict = judgeMove(t.endpoint, mutate(first.segment, m), t.context);
        if (verdict.ok) return;
        expect(verdict.mistakes.length).toBeGreaterThan(0);
        for (const mistake of verdict.mistakes) {
          if (mistake.code.startsWith('seq/')) expect(mistake.expected).toBe(verdict.closest?.segment.seq);
          if (mistake.code.startsWith('ack/')) expect(mistake.expected).toBe(verdict.closest?.segment.ackNo);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('purity', () => {
  it.each(SENDING)('%s: judging, listing moves and hinting never touch the endpoint, the move or the context', (name) => {
    const t = turn(name);
    const right = sentAt(t)!;
    const wrong = makeSegment({ ...right, ackNo: right.ackNo + 1, fin: !right.fin });
    const endpoint = deepFreeze(structuredClone(t.endpoint));
    const context = deepFreeze(structuredClone(t.context));
    for (const move of [deepFreeze({ ...right }), deepFreeze(wrong)]) {
      const before = structuredClone({ endpoint, move, context });
      expect(() => judgeMove(endpoint, move, context)).not.toThrow();
      expect(() => expectedMoves(endpoint, context)).not.toThrow();
      expect(() => hint(endpoint, context)).not.toThrow();
      expect({ endpoint, move, context }).toEqual(before);
    }
  });

  it('gives the same verdict for the same question, every time', () => {
    const t = turn('A answers "4"');
    const move = parseSegment('<SEQ=2><ACK=3><CTL=ACK>');
    expect(judgeMove(t.endpoint, move, t.context)).toEqual(judgeMove(t.endpoint, move, t.context));
  });
});

describe('counting bytes, not letters', () => {
  // B says "café" (4 letters, 5 UTF-8 bytes, seq 4); A answers 4 + 4 = 8 instead of 9:
  // counted letters, not "forgot the + 1" (text takes no + 1).
  it('acknowledging "café" with seq + 4 letters is ack/counted-characters, not off-by-one', () => {
    const pending = step(turn('B says "你好"').endpoint, { kind: 'send', data: 'café' }, NOW).send[0]!;
    expect(formatSegment(pending)).toBe('<SEQ=4><ACK=4><CTL=ACK><DATA="café">');
    expect(judge('A acknowledges "你好"', '<SEQ=4><ACK=8><CTL=ACK>', { now: NOW, pending })).toMatchObject({
      ok: false,
      mistakes: [{ code: 'ack/counted-characters', expected: 9, got: 8 }],
    });
  });

  // "再见" overtook "你好": A must repeat ACK 4 (the gap), so ACK 12 (10 + 2 letters) is
  // just wrong, not a counting mistake.
  it('acknowledging a segment that overtook another with seq + letters is not ack/counted-characters', () => {
    const b = turn('B says "你好"').endpoint;
    const first = step(b, { kind: 'send', data: '你好' }, NOW);
    const overtaking = step(first.endpoint, { kind: 'send', data: '再见' }, NOW).send[0]!;
    expect(formatSegment(overtaking)).toBe('<SEQ=10><ACK=4><CTL=ACK><DATA="再见">');
    const verdict = judge('A acknowledges "你好"', '<SEQ=4><ACK=12><CTL=ACK>', { now: NOW, pending: overtaking });
    expect(verdict).toMatchObject({ ok: false, mistakes: [{ code: 'ack/wrong', expected: 4, got: 12 }] });
  });
});
