/** A replay file from outside is parsed from unknown: shape, version, and a call that really replays. */
import { describe, expect, it } from 'vitest';
import { RECORD_VERSION, replay } from '../../shared/call';
import { LEVELS } from '../../shared/game/levels';
import { LINE_PRESETS } from '../../shared/net';
import { parseRecord, parseRecordText, RECORD_REFUSALS } from '../../shared/wire';
import { lossyCall, recordCall } from '../support/record';

const { record } = lossyCall(4);

describe('parseRecord', () => {
  it('takes a record as the end screen saves it (JSON text) and gives back the same record', () => {
    const parsed = parseRecordText(JSON.stringify(record, null, 2));
    expect(parsed).toEqual({ ok: true, record: JSON.parse(JSON.stringify(record)) });
    if (parsed.ok) expect(replay(parsed.record).events).toEqual(replay(record).events);
  });

  it('takes records with every lesson’s setup (rigs, backlog, keep-alive, old duplicates, fake callers)', () => {
    for (const level of LEVELS) {
      const setup = { conditions: LINE_PRESETS[level.line], seed: 9, iss: { a: 1, b: 3 }, config: level.config, rigs: level.rigs, ...(level.backlog === undefined ? {} : { backlog: level.backlog }) };
      const made = recordCall(setup, [
        [0, { kind: 'user', side: 'b', input: { kind: 'listen' } }],
        [0, { kind: 'inject', to: 'b', segment: { syn: true, ack: false, fin: false, rst: false, seq: 90, ackNo: 0, data: '' }, delayMs: 300, fake: level.id === 'flood' }],
        [0, { kind: 'user', side: 'a', input: { kind: 'open' } }],
        [4_000, { kind: 'weather', conditions: setup.conditions }],
      ]);
      expect(parseRecord(JSON.parse(JSON.stringify(made.record))), level.id).toMatchObject({ ok: true });
    }
  });

  it.each([
    ['not JSON', '{"version": 1, "setup": ', 'record/not-json'],
    ['a number', '42', 'record/invalid'],
    ['a picture', '"iVBORw0KGgo="', 'record/invalid'],
    ['a record of another version', JSON.stringify({ ...record, version: 2 }), 'record/unknown-version'],
    ['a record with no version', JSON.stringify({ setup: record.setup, moves: record.moves }), 'record/invalid'],
    ['moves out of time order', JSON.stringify({ ...record, moves: [...record.moves].reverse() }), 'record/invalid'],
    ['an unknown input', JSON.stringify({ ...record, moves: [{ at: 0, input: { kind: 'teleport' } }] }), 'record/invalid'],
    ['a segment number past 2^32', JSON.stringify({ ...record, setup: { ...record.setup, iss: { a: 2 ** 32, b: 3 } } }), 'record/invalid'],
    ['a line that cannot be (negative latency)', JSON.stringify({ ...record, setup: { ...record.setup, conditions: { ...record.setup.conditions, aToB: { ...record.setup.conditions.aToB, latencyMs: -5 } } } }), 'record/invalid'],
  ])('refuses %s with a human message', (_what, text, code) => {
    const parsed = parseRecordText(text);
    expect(parsed).toMatchObject({ ok: false, code, message: RECORD_REFUSALS[code as keyof typeof RECORD_REFUSALS] });
  });

  it('refuses a record of the right shape that cannot be replayed', () => {
    // A jitter larger than the line simulator allows passes the shape, and fails on the line.
    const bad = { ...record, setup: { ...record.setup, conditions: { ...record.setup.conditions, aToB: { ...record.setup.conditions.aToB, loss: 0.5, reorderDelayMs: 0.5 } } } };
    const parsed = parseRecord(JSON.parse(JSON.stringify(bad)));
    expect(parsed).toMatchObject({ ok: false, code: 'record/unplayable' });
  });

  it('knows its version', () => {
    expect(RECORD_VERSION).toBe(1);
  });
});
