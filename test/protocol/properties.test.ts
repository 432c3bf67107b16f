import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callStep, createCall, nextCallDeadline } from '../../shared/call';
import type { Call, CallEvent, CallInput } from '../../shared/call';
import type { LineConditions, LinkConditions } from '../../shared/net';
import { createEndpoint, formatSegment, makeSegment, nextDeadline, seqLe, STATES, step } from '../../shared/protocol';
import type { Endpoint, Input, ProtocolConfig } from '../../shared/protocol';

const CONFIG: Partial<ProtocolConfig> = {
  mslMs: 2_000,
  keepalive: { idleMs: 20_000, intervalMs: 5_000, probes: 3 },
};
const TIME_LIMIT_MS = 60 * 60_000;

const link: fc.Arbitrary<LinkConditions> = fc.record({
  latencyMs: fc.integer({ min: 1, max: 2_000 }),
  jitterMs: fc.integer({ min: 0, max: 1_000 }),
  loss: fc.double({ min: 0, max: 0.5, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
  reorderDelayMs: fc.integer({ min: 0, max: 3_000 }),
});

const conditions: fc.Arbitrary<LineConditions> = fc.record({
  aToB: link,
  bToA: link,
  freezes: fc.array(
    fc.record({ fromMs: fc.integer({ min: 0, max: 60_000 }), lengthMs: fc.integer({ min: 1, max: 15_000 }) }).map(
      ({ fromMs, lengthMs }) => ({ fromMs, toMs: fromMs + lengthMs }),
    ),
    { maxLength: 2 },
  ),
});

const message = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('你好', '🙂 ok', 'can you hear me?'));

const scenario = fc.record({
  conditions,
  seed: fc.integer(),
  issA: fc.nat({ max: 0xffffffff }),
  issB: fc.nat({ max: 0xffffffff }),
  openAtMs: fc.integer({ min: 0, max: 3_000 }),
  fromA: fc.array(message, { maxLength: 3 }),
  fromB: fc.array(message, { maxLength: 3 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

interface Outcome {
  readonly call: Call;
  readonly events: CallEvent[];
  readonly deliveredAtB: string[];
  readonly deliveredAtA: string[];
  readonly handshakeSegments: Set<string>;
  readonly bothEstablished: boolean;
}

/**
 * Plays one call the way two polite players would: B listens, A asks, each says what it
 * has once connected, A says goodbye, B answers its goodbye once it has said its piece.
 * A talks as soon as it is connected, or, with `talkOnlyOnceBothConnected`, once B is too
 * (so that nothing but the handshake is on the line until it is done).
 * Checks the invariants after every step.
 */
function play(s: Scenario, talkOnlyOnceBothConnected = false): Outcome {
  let call = createCall({ conditions: s.conditions, seed: s.seed, iss: { a: s.issA, b: s.issB }, config: CONFIG });
  const events: CallEvent[] = [];
  const deliveredAtA: string[] = [];
  const deliveredAtB: string[] = [];
  const handshakeSegments = new Set<string>();
  const reached = { a: false, b: false };
  let bothEstablished = false;
  let aSaid = false;
  let bSaid = false;
  let now = 0;

  const apply = (input: CallInput, at: number): void => {
    const r = callStep(call, input, at);
    call = r.call;
    for (const e of r.events) {
      events.push(e);
      if (e.type === 'endpoint' && e.event.type === 'delivered') (e.side === 'a' ? deliveredAtA : deliveredAtB).push(e.event.data);
      if (e.type === 'endpoint' && e.event.type === 'state' && e.event.to === 'ESTABLISHED') reached[e.side] = true;
      if (e.type === 'segment-sent' && !bothEstablished && e.segment.data === '' && !e.segment.fin && !e.segment.rst) {
        handshakeSegments.add(`${e.from} ${formatSegment(e.segment)}`);
      }
      bothEstablished ||= reached.a && reached.b;
    }
    checkInvariants(call);
  };

  apply({ kind: 'user', side: 'b', input: { kind: 'listen' } }, 0);
  apply({ kind: 'user', side: 'a', input: { kind: 'open' } }, s.openAtMs);
  for (let guard = 0; guard < 20_000; guard++) {
    const { a, b } = call.endpoints;
    if (a.state === 'ESTABLISHED' && !aSaid && (!talkOnlyOnceBothConnected || bothEstablished)) {
      aSaid = true;
      for (const data of s.fromA) apply({ kind: 'user', side: 'a', input: { kind: 'send', data } }, now);
      apply({ kind: 'user', side: 'a', input: { kind: 'close' } }, now);
      continue;
    }
    if ((b.state === 'ESTABLISHED' || b.state === 'CLOSE_WAIT') && !bSaid) {
      bSaid = true;
      for (const data of s.fromB) apply({ kind: 'user', side: 'b', input: { kind: 'send', data } }, now);
      continue;
    }
    if (b.state === 'CLOSE_WAIT') {
      apply({ kind: 'user', side: 'b', input: { kind: 'close' } }, now);
      continue;
    }
    if (b.state === 'LISTEN' && a.state === 'CLOSED') {
      apply({ kind: 'user', side: 'b', input: { kind: 'close' } }, now);
      continue;
    }
    const next = nextCallDeadline(call);
    if (next === null || next > TIME_LIMIT_MS) break;
    now = next;
    apply({ kind: 'tick' }, now);
  }
  return { call, events, deliveredAtA, deliveredAtB, handshakeSegments, bothEstablished };
}

const SYNCHRONIZED = new Set(['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT']);

function checkInvariants(call: Call): void {
  const { a, b } = call.endpoints;
  for (const e of [a, b]) checkEndpoint(e);
  if (a.state === 'ESTABLISHED' && b.state === 'ESTABLISHED') {
    // Both connected means both agree on both ISNs and on what is in flight.
    expect(a.irs).toBe(b.iss);
    expect(b.irs).toBe(a.iss);
  }
  if (SYNCHRONIZED.has(a.state) && SYNCHRONIZED.has(b.state) && a.irs === b.iss && b.irs === a.iss) {
    expect(seqLe(b.sndUna, a.rcvNxt) && seqLe(a.rcvNxt, b.sndNxt)).toBe(true);
    expect(seqLe(a.sndUna, b.rcvNxt) && seqLe(b.rcvNxt, a.sndNxt)).toBe(true);
  }
}

function checkEndpoint(e: Endpoint): void {
  expect(STATES).toContain(e.state);
  expect(seqLe(e.sndUna, e.sndNxt)).toBe(true);
  // The reply timer runs exactly while something waits for an acknowledgement.
  expect(e.timers.reply !== null).toBe(e.unacked.length > 0);
  expect(e.timers.timeWait !== null).toBe(e.state === 'TIME_WAIT');
  if (e.state === 'CLOSED' || e.state === 'LISTEN') expect(e.unacked).toHaveLength(0);
}

describe('two reference endpoints over a random seeded line', () => {
  it('never throw, stay consistent, deliver in order once, and both end CLOSED', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const out = play(s);
        const { a, b } = out.call.endpoints;
        expect(a.state).toBe('CLOSED');
        expect(b.state).toBe('CLOSED');
        expect(nextDeadline(a) === null || a.timers.retryWait !== null).toBe(true);
        // In order, at most once: what arrived is a prefix of what was said.
        expect(s.fromA.slice(0, out.deliveredAtB.length)).toEqual(out.deliveredAtB);
        expect(s.fromB.slice(0, out.deliveredAtA.length)).toEqual(out.deliveredAtA);
        if (a.closeReason === 'normal' && b.closeReason === 'normal') {
          // A polite goodbye on both sides means everything said was heard.
          expect(out.deliveredAtB).toEqual(s.fromA);
          expect(out.deliveredAtA).toEqual(s.fromB);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('complete every handshake with exactly the story\'s three segments, plus retransmissions', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const out = play(s, true);
        fc.pre(out.bothEstablished);
        const x = s.issA;
        const y = s.issB;
        const story = [
          `a ${formatSegment(makeSegment({ syn: true, seq: x }))}`,
          `b ${formatSegment(makeSegment({ syn: true, ack: true, seq: y, ackNo: x + 1 }))}`,
          `a ${formatSegment(makeSegment({ ack: true, seq: x + 1, ackNo: y + 1 }))}`,
        ].sort();
        expect([...out.handshakeSegments].sort()).toEqual(story);
      }),
      { numRuns: 300 },
    );
  });

  it('replays exactly from the same seed and inputs', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const first = play(s);
        const second = play(s);
        expect(second.events).toEqual(first.events);
      }),
      { numRuns: 50 },
    );
  });
});

describe('one endpoint fed anything', () => {
  const segment = fc.record({
    syn: fc.boolean(),
    ack: fc.boolean(),
    fin: fc.boolean(),
    rst: fc.boolean(),
    seq: fc.oneof(fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 400 })),
    ackNo: fc.oneof(fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 400 })),
    data: fc.oneof(fc.constant(''), fc.string({ maxLength: 8 })),
  });
  const input: fc.Arbitrary<Input> = fc.oneof(
    fc.constant<Input>({ kind: 'listen' }),
    fc.constant<Input>({ kind: 'open' }),
    fc.constant<Input>({ kind: 'close' }),
    fc.constant<Input>({ kind: 'abort' }),
    fc.constant<Input>({ kind: 'tick' }),
    fc.string({ maxLength: 5 }).map<Input>((data) => ({ kind: 'send', data })),
    segment.map<Input>((s) => ({ kind: 'receive', segment: makeSegment(s) })),
  );

  it('never throws and keeps its invariants, whatever arrives in whatever order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(input, fc.integer({ min: 0, max: 30_000 })), { maxLength: 60 }),
        fc.nat({ max: 0xffffffff }),
        (inputs, iss) => {
          let e = createEndpoint({ iss, keepalive: { idleMs: 1_000, intervalMs: 1_000, probes: 2 } });
          let now = 0;
          for (const [i, dt] of inputs) {
            now += dt;
            const due = nextDeadline(e);
            if (due !== null && due <= now) e = step(e, { kind: 'tick' }, now).endpoint;
            const r = step(e, i, now);
            e = r.endpoint;
            checkEndpoint(e);
            // A RST is never answered with a RST.
            if (i.kind === 'receive' && i.segment.rst) expect(r.send.some((s) => s.rst)).toBe(false);
          }
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
