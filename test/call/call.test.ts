/** The pure call: arrivals and timers at their own times, hand-played sides, and the lessons' tricks. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callStep, createCall, nextCallDeadline } from '../../shared/call';
import type { Call, CallEvent, CallInput, CallSetup } from '../../shared/call';
import { LINE_PRESETS } from '../../shared/net';
import { formatSegment, parseSegment } from '../../shared/protocol';
import { anyInput } from '../support/call-inputs';

/** Run a call: apply inputs at their times, then tick until nothing is left (or `until`). */
function run(setup: CallSetup, script: readonly (readonly [number, CallInput])[], until = 120_000): { call: Call; events: CallEvent[] } {
  let call = createCall(setup);
  const events: CallEvent[] = [];
  const queue = [...script];
  for (let guard = 0; guard < 10_000; guard++) {
    const deadline = nextCallDeadline(call);
    const next = queue[0];
    if (next !== undefined && (deadline === null || next[0] <= deadline)) {
      queue.shift();
      const r = callStep(call, next[1], next[0]);
      call = r.call;
      events.push(...r.events);
      continue;
    }
    if (deadline === null || deadline > until) break;
    const r = callStep(call, { kind: 'tick' }, deadline);
    call = r.call;
    events.push(...r.events);
  }
  return { call, events };
}

const listen = (side: 'a' | 'b'): CallInput => ({ kind: 'user', side, input: { kind: 'listen' } });
const open = (side: 'a' | 'b'): CallInput => ({ kind: 'user', side, input: { kind: 'open' } });
const sent = (events: CallEvent[]) => events.filter((e): e is Extract<CallEvent, { type: 'segment-sent' }> => e.type === 'segment-sent');
const base: CallSetup = { conditions: LINE_PRESETS.perfect, seed: 1, iss: { a: 1, b: 3 } };

describe('rigs', () => {
  it('lose the first SYN only: it is sent again after 5 s and gets through', () => {
    const { call, events } = run({ ...base, rigs: [{ from: 'a', match: 'first-syn', action: 'lose' }] }, [
      [0, listen('b')],
      [0, open('a')],
    ], 3_000 + 5_000);
    const syns = sent(events).filter((e) => e.from === 'a' && e.segment.syn);
    expect(syns).toHaveLength(2);
    expect(syns[0]!.copies).toHaveLength(0);
    expect(syns[0]!.lost).toEqual([{ lostAt: 300, reason: 'loss', duplicate: false }]);
    expect(syns[1]!.retransmit).toBe(true);
    expect(syns[1]!.copies).toHaveLength(1);
    expect(call.endpoints.a.state).toBe('ESTABLISHED');
    expect(call.rigs).toHaveLength(0);
  });

  it('hold back the first SYN by the delay', () => {
    const { events } = run({ ...base, rigs: [{ from: 'a', match: 'first-syn', action: { delayMs: 2_000 } }] }, [
      [0, listen('b')],
      [0, open('a')],
    ], 1_000);
    expect(sent(events)[0]!.copies).toEqual([{ arriveAt: 2_600, duplicate: false, reordered: true }]);
  });

  it('lose the last ACK of a goodbye: the peer repeats its FIN during TIME_WAIT and is answered again', () => {
    const { call, events } = run({ ...base, config: { mslMs: 10_000 }, rigs: [{ from: 'a', match: 'last-ack', action: 'lose' }] }, [
      [0, listen('b')],
      [0, open('a')],
      [2_000, { kind: 'user', side: 'a', input: { kind: 'close' } }],
      [3_000, { kind: 'user', side: 'b', input: { kind: 'close' } }],
    ]);
    const lastAcks = sent(events).filter((e) => e.from === 'a' && formatSegment(e.segment) === '<SEQ=3><ACK=5><CTL=ACK>');
    expect(lastAcks).toHaveLength(2);
    expect(lastAcks[0]!.copies).toHaveLength(0);
    expect(lastAcks[1]!.copies).toHaveLength(1);
    expect(sent(events).filter((e) => e.from === 'b' && e.segment.fin && e.retransmit)).toHaveLength(1);
    expect(call.endpoints.a.state).toBe('CLOSED');
    expect(call.endpoints.b.closeReason).toBe('normal');
  });
});

describe('inject', () => {
  it('puts an old duplicate SYN on the line: B answers it, A resets it (RFC 9293 Figure 8)', () => {
    const ghost = parseSegment('<SEQ=90><CTL=SYN>');
    const { call, events } = run({ ...base, iss: { a: 100, b: 300 }, rigs: [{ from: 'a', match: 'first-syn', action: { delayMs: 2_000 } }] }, [
      [0, listen('b')],
      [0, open('a')],
      [0, { kind: 'inject', to: 'b', segment: ghost, delayMs: 200 }],
    ]);
    expect(events).toContainEqual({ type: 'segment-injected', id: 2, to: 'b', at: 0, arriveAt: 200, segment: ghost, fake: false });
    const flow = sent(events).map((e) => `${e.from} ${formatSegment(e.segment)}`);
    expect(flow.slice(0, 4)).toEqual(['a <SEQ=100><CTL=SYN>', 'b <SEQ=300><ACK=91><CTL=SYN,ACK>', 'a <SEQ=91><CTL=RST>', 'b <SEQ=300><ACK=101><CTL=SYN,ACK>']);
    expect(call.endpoints.a.state).toBe('ESTABLISHED');
    expect(call.endpoints.b.state).toBe('ESTABLISHED');
  });
});

describe('listen backlog', () => {
  it('fake SYNs fill it; a real SYN is dropped while it is full and gets in once a slot frees', () => {
    const backlog = { side: 'b' as const, size: 2, halfOpenMs: 6_000 };
    const fake = (seq: number, delayMs: number): CallInput => ({ kind: 'inject', to: 'b', segment: parseSegment(`<SEQ=${seq}><CTL=SYN>`), delayMs, fake: true });
    const { call, events } = run({ ...base, backlog }, [
      [0, listen('b')],
      [0, fake(7, 100)],
      [0, fake(8, 200)],
      [0, fake(9, 300)],
      [1_000, open('a')],
    ], 30_000);
    expect(events.filter((e) => e.type === 'segment-injected' && e.fake)).toHaveLength(3);
    // Fakes never reach B's TCP: B is still listening when the real caller gets through.
    expect(events.some((e) => e.type === 'endpoint' && e.side === 'b' && e.event.type === 'state' && e.event.to === 'SYN_RCVD' && e.at < 6_000)).toBe(false);
    const used = events.filter((e) => e.type === 'backlog').map((e) => (e.type === 'backlog' ? [e.at, e.used] : []));
    expect(used).toEqual([[100, 1], [200, 2], [6_100, 1], [6_200, 0]]);
    const drops = events.filter((e) => e.type === 'backlog-drop');
    expect(drops.map((e) => e.at)).toEqual([1_600]);
    expect(call.endpoints.a.state).toBe('ESTABLISHED');
    // The SYN sent again at 6 000 arrives at 6 600, after the first slot freed at 6 100.
    const synAck = sent(events).find((e) => e.from === 'b' && e.segment.syn);
    expect(synAck?.at).toBe(6_600);
  });
});

describe('a step and the call it was given', () => {
  /** Freeze a value and everything it holds: a step that wrote to any of it would throw. */
  const deepFreeze = <T>(value: T): T => {
    if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
  };

  it('never changes it, and gives the same call as a step from an unfrozen copy', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 6_000 }), anyInput), { minLength: 1, maxLength: 60 }), (seed, script) => {
        const setup: CallSetup = { conditions: LINE_PRESETS.bad, seed, iss: { a: 1, b: 3 }, config: { mslMs: 5_000, retryWaitMs: 15_000 }, manual: { a: true, b: seed % 2 === 0 } };
        let call = createCall(setup);
        let now = 0;
        for (const [wait, next] of script) {
          now += wait;
          const copy = structuredClone(call);
          const r = callStep(deepFreeze(call), next, now);
          expect(r.call).toEqual(callStep(copy, next, now).call);
          call = r.call;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('can clear and then add to a side\'s pending segments within one step', () => {
    const inject = (segment: string, delayMs: number): CallInput => ({ kind: 'inject', to: 'b', segment: parseSegment(segment), delayMs });
    const manual = { a: true, b: true };
    let call = run({ ...base, manual }, [[0, listen('b')], [0, inject('<SEQ=7><CTL=SYN>', 10)], [20, { kind: 'answer', side: 'b' }]], 20).call;
    expect(call.endpoints.b.state).toBe('SYN_RCVD');
    for (const input of [inject('<SEQ=7><CTL=SYN>', 100), inject('<SEQ=8><CTL=RST>', 200), inject('<SEQ=50><CTL=SYN>', 300)]) call = callStep(call, input, 30).call;
    // One step plays all three: the repeated SYN waits for an answer, the reset sends B back to
    // LISTEN (nothing left to answer), and the new SYN waits for an answer.
    const r = callStep(call, { kind: 'tick' }, 400);
    expect(r.events.filter((e) => e.type === 'pending').map((e) => e.type === 'pending' && e.segment.seq)).toEqual([7, 50]);
    expect(r.call.endpoints.b.state).toBe('LISTEN');
    expect(r.call.pending.b.map((p) => p.segment.seq)).toEqual([50]);
  });

  it('keeps every part of the call it did not change', () => {
    let call = run(base, [[0, listen('b')], [0, open('a')]], 100).call;
    // The SYN is on its way (it reaches B at 600): nothing happens at 200.
    const quiet = callStep(call, { kind: 'tick' }, 200).call;
    expect(quiet.endpoints).toBe(call.endpoints);
    expect(quiet.inFlight).toBe(call.inFlight);
    expect(quiet.pending).toBe(call.pending);
    expect(quiet.line).toBe(call.line);
    // B answers: only B's endpoint and the line change.
    call = callStep(quiet, { kind: 'tick' }, 600).call;
    expect(call.endpoints.a).toBe(quiet.endpoints.a);
    expect(call.endpoints.b).not.toBe(quiet.endpoints.b);
    expect(call.pending).toBe(quiet.pending);
  });
});
