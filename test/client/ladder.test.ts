/**
 * The ladder's layout, pure: rows by time, labels that never overlap, a ladder exactly as
 * tall as what is on it. (The browser test checks the same on the scene's real texts.)
 */
import { describe, expect, it } from 'vitest';
import type { Side } from '../../shared/call';
import { createRng, nextInt } from '../../shared/random';
import { makeSegment } from '../../shared/protocol';
import { estimateWidth, ladderRows, layoutLadder, MIN_GAP_PX, type Rect } from '../../client/src/ladder';
import type { CallModel, StateMark, Track } from '../../client/src/model';

const NAMES = { you: 'You', partner: 'Bob', title: 'Ladder', old: 'old', fake: 'fake' };
const BOX = { x: 0, y: 0, width: 480 };

const overlap = (a: Rect, b: Rect): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

function overlaps(labels: readonly (Rect & { key: string })[]): string[] {
  const found: string[] = [];
  for (const [i, a] of labels.entries()) for (const b of labels.slice(i + 1)) if (overlap(a, b)) found.push(`${a.key} × ${b.key}`);
  return found;
}

/** Just what the layout reads of a call model. */
function callOf(tracks: Track[], states: StateMark[] = []): CallModel {
  return { you: 'a', tracks, states } as unknown as CallModel;
}

function track(id: number, from: Side, sentAt: number, hop: number, options: { lost?: boolean; duplicate?: boolean; data?: string; retransmit?: boolean } = {}): Track {
  const segment = makeSegment({ ack: true, seq: 100 + id, ackNo: 200 + id, data: options.data ?? '' });
  const copies = options.lost === true ? [] : [{ arriveAt: sentAt + hop, duplicate: false, reordered: false }];
  if (options.duplicate === true) copies.push({ arriveAt: sentAt + hop + 150, duplicate: true, reordered: false });
  const lost = options.lost === true ? [{ lostAt: sentAt + hop / 2, reason: 'loss' as const, duplicate: false }] : [];
  return { id, origin: 'sent', from, to: from === 'a' ? 'b' : 'a', segment, sentAt, retransmit: options.retransmit ?? false, wrong: false, copies, lost };
}

/** A long call on a bad line: both sides talking at once, crossing, losing and repeating segments. */
function lossyCall(count: number, seed: string): CallModel {
  let rng = createRng(seed);
  const draw = (n: number): number => {
    const [value, next] = nextInt(rng, 0, n - 1);
    rng = next;
    return value;
  };
  const tracks: Track[] = [];
  const states: StateMark[] = [];
  let at = 0;
  for (let id = 1; id <= count; id++) {
    at += draw(4) === 0 ? 0 : draw(450);
    const from: Side = draw(2) === 0 ? 'a' : 'b';
    const roll = draw(20);
    tracks.push(track(id, from, at, 600 + draw(400), { lost: roll < 5, duplicate: roll === 5, data: roll > 15 ? 'Hi Alice! How are you?' : '', retransmit: roll === 6 }));
    if (draw(6) === 0) states.push({ side: from, at, to: draw(2) === 0 ? 'ESTABLISHED' : 'FIN_WAIT_1' });
  }
  return callOf(tracks, states);
}

describe('ladder rows', () => {
  it('advance with time, at least MIN_GAP_PX apart, and shorten a long quiet stretch', () => {
    const y = ladderRows([0, 600, 610, 611, 20_000], 40);
    expect(y(0)).toBe(40);
    expect(y(600) - y(0)).toBeCloseTo(33, 0);
    expect(y(610) - y(600)).toBe(MIN_GAP_PX);
    expect(y(611) - y(610)).toBe(MIN_GAP_PX);
    expect(y(20_000) - y(611)).toBeLessThanOrEqual(110);
    // Between rows, time runs straight.
    expect(y(300)).toBeCloseTo((y(0) + y(600)) / 2, 5);
  });
});

describe('ladder layout', () => {
  it('puts each handshake label just above the start of its arrow, beside the sender', () => {
    const call = callOf([track(1, 'a', 0, 600), track(2, 'b', 1_000, 600), track(3, 'a', 2_000, 600)]);
    const layout = layoutLadder(call, 5_000, BOX, NAMES);
    const arrows = layout.shapes.filter((s) => s.kind === 'arrow');
    expect(arrows).toHaveLength(3);
    for (const [i, arrow] of arrows.entries()) {
      const label = layout.labels.find((l) => l.key === `t${i + 1}`)!;
      expect(label.y + label.height).toBeLessThanOrEqual(arrow.y1);
      expect(label.y + label.height).toBeGreaterThan(arrow.y1 - 3);
      // Starting beside the sender's line, going towards the other side.
      if (arrow.x2 > arrow.x1) expect(label.x - arrow.x1).toBeGreaterThan(0);
      else expect(arrow.x1 - (label.x + label.width)).toBeGreaterThan(0);
      expect(Math.min(Math.abs(label.x - arrow.x1), Math.abs(label.x + label.width - arrow.x1))).toBeLessThan(10);
    }
  });

  it('stacks two segments one side sends at the same moment, and moves a crowded row down', () => {
    const call = callOf([track(1, 'a', 0, 600), track(2, 'a', 0, 600, { data: 'same moment' }), track(3, 'b', 0, 600, { data: 'and the other side too' })]);
    const layout = layoutLadder(call, 2_000, { x: 0, y: 0, width: 300 }, NAMES);
    expect(overlaps(layout.labels)).toEqual([]);
    const [one, two] = [layout.labels.find((l) => l.key === 't1')!, layout.labels.find((l) => l.key === 't2')!];
    expect(two.y + two.height).toBeLessThanOrEqual(one.y);
  });

  it.each(['one', 'two', 'three', 'four'])('a 60-segment lossy call with crossings (seed %s): no two labels overlap, none covers a ✕', (seed) => {
    const call = lossyCall(60, seed);
    const end = Math.max(...call.tracks.map((t) => t.sentAt)) + 3_000;
    const layout = layoutLadder(call, end, BOX, NAMES);
    expect(layout.labels.filter((l) => l.key.startsWith('t'))).toHaveLength(60);
    expect(overlaps(layout.labels)).toEqual([]);
    const crosses = layout.shapes.flatMap((s) => (s.kind === 'cross' ? [{ key: 'cross', x: s.x - s.size, y: s.y - s.size, width: 2 * s.size, height: 2 * s.size }] : []));
    expect(crosses.length).toBeGreaterThan(5);
    expect(overlaps([...crosses, ...layout.labels]).filter((pair) => pair.includes('cross'))).toEqual([]);
    // Every label inside the ladder's width, and below its header.
    for (const label of layout.labels) {
      expect(label.x).toBeGreaterThanOrEqual(BOX.x);
      expect(label.x + label.width).toBeLessThanOrEqual(BOX.x + BOX.width);
      expect(label.y).toBeGreaterThanOrEqual(layout.top);
    }
  });

  it('is as tall as what is on it: no empty band below the last row', () => {
    const call = lossyCall(60, 'tall');
    const end = Math.max(...call.tracks.flatMap((t) => [...t.copies.map((c) => c.arriveAt), ...t.lost.map((l) => l.lostAt)]));
    const layout = layoutLadder(call, end, BOX, NAMES);
    const lowest = Math.max(
      ...layout.labels.map((l) => l.y + l.height),
      ...layout.shapes.flatMap((s) => (s.kind === 'arrow' ? [s.y1, s.y2] : [])),
    );
    expect(layout.height).toBeGreaterThanOrEqual(lowest);
    expect(layout.height - lowest).toBeLessThanOrEqual(12);
    // A longer call is a taller ladder, not a squeezed one.
    const short = layoutLadder(lossyCall(20, 'tall'), end, BOX, NAMES);
    expect(layout.height).toBeGreaterThan(short.height * 2);
  });

  it('keeps what is drawn where it is as the call goes on', () => {
    const call = lossyCall(60, 'steady');
    const middle = call.tracks[30]!.sentAt;
    const before = layoutLadder(call, middle, BOX, NAMES);
    const after = layoutLadder(call, middle + 60_000, BOX, NAMES);
    const early = before.labels.filter((l) => l.key.startsWith('t') && Number(l.key.slice(1)) <= 20);
    expect(early).toHaveLength(20);
    for (const label of early) expect(after.labels.find((l) => l.key === label.key)).toEqual(label);
  });

  it('measures with what it is given: wider text, wider boxes', () => {
    const call = callOf([track(1, 'a', 0, 600)]);
    const narrow = layoutLadder(call, 1_000, BOX, NAMES, estimateWidth).labels[0]!;
    const wide = layoutLadder(call, 1_000, BOX, NAMES, (text, size, bold) => 2 * estimateWidth(text, size, bold)).labels[0]!;
    expect(wide.width).toBeGreaterThan(1.9 * narrow.width);
  });
});

describe('ladder layout, crowded rows', () => {
  it('a segment lost at the very moment another is sent: the label keeps clear of the ✕', () => {
    const lost = track(1, 'a', 0, 1_200, { lost: true });
    const call = callOf([lost, track(2, 'a', 600, 600, { data: 'a long line that reaches the middle' })]);
    const layout = layoutLadder(call, 3_000, BOX, NAMES);
    const cross = layout.shapes.find((s) => s.kind === 'cross')!;
    const label = layout.labels.find((l) => l.key === 't2')!;
    const box = { key: 'cross', x: cross.x - cross.size, y: cross.y - cross.size, width: 2 * cross.size, height: 2 * cross.size };
    expect(overlaps([box, label])).toEqual([]);
  });
});
