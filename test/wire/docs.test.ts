/**
 * docs/protocol.md is complete enough to write a client from: its tables of requests and
 * their answers, lessons and goal steps, call event types and error codes are read out of
 * the document and compared with `shared/`, both ways (nothing missing, nothing extra).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { CALL_EVENT_TYPES, type CallEvent } from '../../shared/call';
import { checkGoal, GOAL_STEPS, LEVEL_IDS, LEVELS } from '../../shared/game/levels';
import { ANSWERS, CLIENT_EVENT_NAMES, CODE_ALPHABET, CODE_LENGTH, ERRORS } from '../../shared/wire';

const markdown = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

/** The rows of the first table after a heading, as lists of cells (the header row and the rule left out). */
function table(heading: string): string[][] {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.replace(/^#+\s*/, '') === heading && l.startsWith('#'));
  if (at < 0) throw new Error(`no heading "${heading}" in docs/protocol.md`);
  const first = lines.findIndex((l, i) => i > at && l.startsWith('|'));
  const rows: string[][] = [];
  for (let i = first; i < lines.length && lines[i]!.startsWith('|'); i++) {
    // Split on pipes that are not escaped (`\|` inside a cell).
    rows.push(lines[i]!.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  }
  return rows.slice(2);
}

/** The `code` spans of a cell, in order. */
const codes = (cell: string | undefined): string[] => [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe('docs/protocol.md, the wire contract', () => {
  it('lists every request with the event that answers it (ANSWERS)', () => {
    const rows = table('Requests (client → server)');
    const documented = new Map(rows.map((r) => [codes(r[0])[0]!, codes(r[2])]));
    const workshopAnswers = documented.get('workshop:*');
    documented.delete('workshop:*');
    const plain = CLIENT_EVENT_NAMES.filter((n) => !n.startsWith('workshop:'));
    expect([...documented.keys()].sort()).toEqual([...plain].sort());
    for (const name of plain) expect(documented.get(name), name).toEqual([...ANSWERS[name]]);
    // The workshop requests are detailed in workshops.md; here, the events that answer them.
    const workshop = CLIENT_EVENT_NAMES.filter((n) => n.startsWith('workshop:'));
    expect(new Set(workshopAnswers)).toEqual(new Set(workshop.flatMap((n) => ANSWERS[n])));
  });

  it('lists every lesson id with its goal steps, in order', () => {
    const rows = table('Lessons');
    expect(rows.map((r) => codes(r[0])[0])).toEqual([...LEVEL_IDS]);
    for (const row of rows) {
      const id = codes(row[0])[0] as (typeof LEVEL_IDS)[number];
      expect(codes(row[1]), id).toEqual([...GOAL_STEPS[id]]);
    }
  });

  it('lists every call event type with its fields', () => {
    const rows = table('The call: sides, events and view');
    expect(rows.map((r) => codes(r[0])[0])).toEqual([...CALL_EVENT_TYPES]);
    expectTypeOf<(typeof CALL_EVENT_TYPES)[number]>().toEqualTypeOf<CallEvent['type']>();
  });

  it('lists every error code with its message, and no other', () => {
    const rows = table('Error codes');
    expect(Object.fromEntries(rows.map((r) => [codes(r[0])[0], r[1]]))).toEqual(ERRORS);
  });

  it('gives the format of codes', () => {
    const row = table('Codes, tokens and ids').find((r) => r[0]!.includes('private call code'));
    expect(row?.[1]).toContain(`${CODE_LENGTH} characters from \`${CODE_ALPHABET}\``);
  });
});

describe('GOAL_STEPS', () => {
  it.each(LEVELS.map((l) => [l.id, l] as const))('are the steps checkGoal reports for %s', (id, level) => {
    expect(checkGoal(level, []).steps.map((s) => s.id)).toEqual([...GOAL_STEPS[id]]);
  });
});
