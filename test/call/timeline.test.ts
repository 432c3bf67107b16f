/** The timeline of a recorded call: its moments, and the exact call at any time, forwards and backwards. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callAt, callStep, callView, createCall, eventsUntil, nextMoment, previousMoment, replay, timeline } from '../../shared/call';
import type { Call, CallRecord } from '../../shared/call';
import { LINE_PRESETS } from '../../shared/net';
import { lossyCall, recordCall } from '../support/record';

/** The call at `t` the slow way: every move up to t from the start, then a tick at t. */
function slowCallAt(record: CallRecord, t: number): Call {
  let call = createCall(record.setup);
  for (const { at, input } of record.moves) if (at <= t) call = callStep(call, input, at).call;
  return callStep(call, { kind: 'tick' }, Math.max(t, call.now)).call;
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const calls = [...SEEDS.map((seed) => ['bad', seed, lossyCall(seed, 'bad')] as const), ...SEEDS.map((seed) => ['terrible', seed, lossyCall(seed, 'terrible')] as const)];

describe('timeline', () => {
  it('the lossy calls under test really lose segments, retransmit and change state', () => {
    const lost = calls.filter(([, , c]) => timeline(c.record).moments.some((m) => m.things.some((x) => x.kind === 'lost')));
    const retransmits = calls.filter(([, , c]) => timeline(c.record).trips.some((t) => t.retransmit));
    expect(lost.length).toBeGreaterThan(calls.length / 2);
    expect(retransmits.length).toBeGreaterThan(calls.length / 2);
  });

  it.each(calls)('%s line, seed %i: callAt at the end is replay(record).call', (_line, _seed, { record, call }) => {
    const line = timeline(record);
    expect(callAt(record, line.end)).toEqual(replay(record).call);
    expect(callAt(record, line.end)).toEqual(call);
    expect(line.events).toEqual(replay(record).events);
  });

  it.each(calls)('%s line, seed %i: stepping forwards through every moment, then backwards, lands on identical calls', (_line, _seed, { record }) => {
    const line = timeline(record);
    const forwards: Call[] = [];
    for (let m = line.moments[0] ?? null; m !== null; m = nextMoment(line, m.at)) forwards.push(callAt(record, m.at));
    expect(forwards).toHaveLength(line.moments.length);
    const backwards: Call[] = [];
    for (let m = line.moments.at(-1) ?? null; m !== null; m = previousMoment(line, m.at)) backwards.push(callAt(record, m.at));
    expect(backwards.reverse()).toEqual(forwards);
    // And both are the call replayed from the start.
    for (const [i, m] of line.moments.entries()) expect(forwards[i], `at ${m.at}`).toEqual(slowCallAt(record, m.at));
  });

  it.each(calls)('%s line, seed %i: at each step of the live call, callAt shows the view the live call had', (_line, _seed, { record, views }) => {
    // Several steps can share one call time: the live call's view after the last of them.
    const lastViewAt = new Map(views.map((v) => [v.time, v]));
    for (const [time, view] of lastViewAt) expect(callView(callAt(record, time)), `at ${time}`).toEqual(view);
  });

  it.each(calls)('%s line, seed %i: moments are in order, once each, and name every segment sent, arrived and lost', (_line, _seed, { record }) => {
    const line = timeline(record);
    const times = line.moments.map((m) => m.at);
    expect(times).toEqual([...new Set(times)].sort((x, y) => x - y));
    expect(times.every((t) => t >= 0 && t <= line.end)).toBe(true);
    const things = line.moments.flatMap((m) => m.things.map((x) => ({ ...x, at: m.at })));
    for (const e of line.events) {
      if (e.type === 'segment-sent') {
        expect(things).toContainEqual(expect.objectContaining({ kind: 'sent', id: e.id, at: e.at }));
        for (const l of e.lost) if (l.lostAt <= line.end) expect(things).toContainEqual(expect.objectContaining({ kind: 'lost', id: e.id, at: l.lostAt }));
      }
      if (e.type === 'segment-arrived') expect(things).toContainEqual(expect.objectContaining({ kind: 'arrived', id: e.id, at: e.at }));
      if (e.type === 'endpoint' && e.event.type === 'state') expect(things).toContainEqual(expect.objectContaining({ kind: 'state', side: e.side, to: e.event.to, at: e.at }));
    }
    expect(line.trips.map((t) => t.id)).toEqual(line.events.flatMap((e) => (e.type === 'segment-sent' || e.type === 'segment-injected' ? [e.id] : [])));
  });

  it('between two moments nothing changes but the clock', () => {
    const { record } = lossyCall(3);
    const line = timeline(record);
    for (const [i, m] of line.moments.entries()) {
      const after = line.moments[i + 1];
      if (after === undefined || after.at - m.at < 2) continue;
      const a = callAt(record, m.at);
      const b = callAt(record, (m.at + after.at) / 2);
      expect(b.endpoints.a.state).toBe(a.endpoints.a.state);
      expect(b.endpoints.b.state).toBe(a.endpoints.b.state);
      expect(b.inFlight).toEqual(a.inFlight);
      expect(eventsUntil(line, b.now)).toEqual(eventsUntil(line, a.now));
    }
  });

  it('any time, in any order: callAt is the call replayed from the start (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...calls), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }), ([, , { record }], fractions) => {
        const line = timeline(record);
        for (const f of fractions) {
          const t = Math.round(f * line.end);
          expect(callAt(record, t)).toEqual(slowCallAt(record, t));
          expect(eventsUntil(line, t)).toEqual(replay({ ...record, moves: record.moves.filter((m) => m.at <= t) }, t).events);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('names the timers that fired: the reply timeout and the end of TIME_WAIT', () => {
    const { record } = recordCall({ conditions: LINE_PRESETS.perfect, seed: 1, iss: { a: 1, b: 3 }, config: { mslMs: 1_000 }, rigs: [{ from: 'a', match: 'first-syn', action: 'lose' }] });
    const line = timeline(record);
    const timers = line.moments.flatMap((m) => m.things.filter((x) => x.kind === 'timer').map((x) => ({ ...x, at: m.at })));
    expect(timers[0]).toEqual({ kind: 'timer', side: 'a', timer: 'reply', at: 5_000 });
    expect(timers.some((x) => x.timer === 'timeWait')).toBe(true);
    expect(line.moments.find((m) => m.at === 300)?.things).toEqual([{ kind: 'lost', id: 1, from: 'a', reason: 'loss' }]);
  });
});
