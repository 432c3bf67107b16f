/**
 * The ladder (sequence) diagram as plain shapes: two vertical lines, one arrow per
 * segment copy from its send time to its arrival (or to where it was lost), states
 * written where they changed. One layout, drawn live by the Phaser scene and exported as
 * a PNG (Canvas 2D) for the end screen.
 */
import type { Side } from '../../shared/call';
import { formatFlags } from '../../shared/protocol';
import type { CallModel, StateMark, Track } from './model';

export type Shape =
  | { readonly kind: 'line'; readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number; readonly color: number; readonly width: number; readonly dashed?: boolean }
  | { readonly kind: 'arrow'; readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number; readonly color: number; readonly head: boolean; readonly dashed?: boolean }
  | { readonly kind: 'cross'; readonly x: number; readonly y: number; readonly size: number; readonly color: number }
  | { readonly kind: 'text'; readonly key: string; readonly x: number; readonly y: number; readonly text: string; readonly size: number; readonly color: number; readonly align: 'left' | 'center' | 'right'; readonly bold?: boolean; readonly box: Rect };

export const COLORS = {
  ink: 0x1b2437,
  muted: 0x5a6478,
  line: 0xc9d1e0,
  syn: 0x2457d6,
  ack: 0x17803d,
  fin: 0xa15c00,
  rst: 0xc2261f,
  data: 0x6b3fb8,
  wrong: 0xc2261f,
} as const;

/** The colour of a segment, by its most telling flag (shape and label also tell them apart). */
export function segmentColor(flags: { syn: boolean; fin: boolean; rst: boolean; data: string }): number {
  if (flags.rst) return COLORS.rst;
  if (flags.syn) return COLORS.syn;
  if (flags.fin) return COLORS.fin;
  if (flags.data !== '') return COLORS.data;
  return COLORS.ack;
}

/** The words on a ladder, in the player's language. */
export interface LadderNames {
  readonly you: string;
  readonly partner: string;
  readonly title: string;
  /** Tags for segments from elsewhere: an old duplicate, a fake caller. */
  readonly old: string;
  readonly fake: string;
}

/** A rectangle on the ladder: a label's box, or anything a label must not cover. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** How wide `text` is at `size` px: the page measures with a canvas; tests may estimate. */
export type Measure = (text: string, size: number, bold: boolean) => number;

/** A rough width: 0.6 em a Latin character, 1 em a CJK one (for tests and as a fallback). */
export const estimateWidth: Measure = (text, size, bold) => {
  let em = 0;
  for (const ch of text) em += /[\u2e80-\u9fff\uff00-\uffef]/.test(ch) ? 1 : 0.6;
  return em * size * (bold ? 1.08 : 1);
};

/** The ladder laid out: its shapes, from `top` down to `height`, and every label's box. */
export interface LadderLayout {
  readonly shapes: Shape[];
  /** Where the header (title and names) ends and the lifelines start. */
  readonly top: number;
  /** The bottom of everything drawn: the ladder is exactly this tall. */
  readonly height: number;
  /** Segment and state labels (not the header), as placed. */
  readonly labels: readonly (Rect & { readonly key: string })[];
}

/** The smallest gap between two rows (moments with something on them). */
export const MIN_GAP_PX = 18;
/** Time runs at this many pixels a millisecond (a 600 ms hop drops 33 px)… */
const PX_PER_MS = 0.055;
/** …but a long quiet stretch is told shorter: at most this tall. */
const MAX_GAP_PX = 110;
const LABEL_SIZE = 11;
const STATE_SIZE = 10;
const HEADER_PX = 44;

/** Label height for a font size: a line and a little air. */
const lineHeight = (size: number): number => Math.ceil(size * 1.45) + 2;

const intersects = (a: Rect, b: Rect): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Rows and labels as last placed for a call (keyed by its tracks array), and what they were placed for. */
const placements = new WeakMap<readonly Track[], { key: string; measure: Measure; rows: { t: number; y: number }[]; labels: (Rect & { key: string })[] }>();

/** The gap a stretch of `dt` ms gets between two rows. */
const rowGap = (dt: number): number => (dt <= 0 ? 0 : Math.min(MAX_GAP_PX, Math.max(MIN_GAP_PX, dt * PX_PER_MS)));

/**
 * Call time → y, given the rows: each moment that carries something (a send, an arrival,
 * a loss, a state change) at its y. Between rows time runs straight; past the last row it
 * runs on at the usual pace (a long wait told shorter).
 */
function timeToY(rows: readonly { t: number; y: number }[], top: number): (t: number) => number {
  return (t: number): number => {
    const first = rows[0];
    if (first === undefined) return top;
    if (t <= first.t) return first.y;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((rows[mid]?.t ?? Infinity) <= t) lo = mid;
      else hi = mid - 1;
    }
    const r0 = rows[lo] ?? first;
    const r1 = rows[lo + 1];
    if (r1 === undefined) return r0.y + Math.min(MAX_GAP_PX, (t - r0.t) * PX_PER_MS);
    return r0.y + (r1.y - r0.y) * ((t - r0.t) / (r1.t - r0.t));
  };
}

/**
 * Rows for `moments`, each at least MIN_GAP_PX below the one before and further by time
 * (a long quiet stretch shortened), starting at `top`.
 *
 * @example
 * const y = ladderRows([0, 600, 610], 40); // y(600) - y(0) = 33, y(610) - y(600) = 18
 */
export function ladderRows(moments: readonly number[], top: number): (t: number) => number {
  const sorted = [...new Set(moments)].sort((x, y) => x - y);
  const rows: { t: number; y: number }[] = [];
  for (const t of sorted) rows.push({ t, y: rows.length === 0 ? top : (rows.at(-1)?.y ?? top) + rowGap(t - (rows.at(-1)?.t ?? t)) });
  return timeToY(rows, top);
}

/**
 * Lay out the ladder of `model` at call time `now`, `width` wide from (x, y). The player's
 * own side is on the left; time runs down, one row per moment. Rows go down in order;
 * each segment's label sits just above the start of its arrow, beside the sender's line
 * (a second one sent at the same moment stacks above it), each state name beside its
 * line. A row whose labels would touch anything placed before (a label, a lost
 * segment's ✕, the header) moves down until they do not, and every row after it with it:
 * so no label ever covers another, and what is drawn stays put as the call goes on. The
 * ladder is as tall as its content: a viewer scrolls it, an export is sized to it.
 */
export function layoutLadder(model: CallModel, now: number, box: { readonly x: number; readonly y: number; readonly width: number }, names: LadderNames, measure: Measure = estimateWidth): LadderLayout {
  const shapes: Shape[] = [];
  const me = model.you;
  const left = box.x + Math.max(64, Math.min(110, box.width * 0.2));
  const right = box.x + box.width - Math.max(64, Math.min(110, box.width * 0.2));
  const top = box.y + HEADER_PX;
  const minX = box.x + 5;
  const maxX = box.x + box.width - 5;
  const xOf = (side: Side): number => (side === me ? left : right);
  const tracks = model.tracks.filter((t) => t.sentAt <= now);
  const firstAt = tracks[0]?.sentAt ?? Infinity;
  const states = model.states.filter((m) => m.at <= now && m.at >= firstAt);

  const text = (key: string, x: number, y: number, value: string, size: number, color: number, align: 'left' | 'center' | 'right', bold = false): Shape & { kind: 'text' } => {
    const width = Math.ceil(measure(value, size, bold));
    const bx = align === 'center' ? x - width / 2 : align === 'right' ? x - width : x;
    return { kind: 'text', key, x, y, text: value, size, color, align, bold, box: { x: bx, y, width, height: lineHeight(size) } };
  };
  shapes.push(text('title', box.x + box.width / 2, box.y + 4, names.title, 13, COLORS.muted, 'center', true));
  shapes.push(text('you', left, box.y + 22, names.you, 13, COLORS.ink, 'center', true));
  shapes.push(text('partner', right, box.y + 22, names.partner, 13, COLORS.ink, 'center', true));

  const hSeg = lineHeight(LABEL_SIZE);
  const labelText = (track: Track): string =>
    `${track.origin === 'old' ? `${names.old} ` : track.origin === 'fake' ? `${names.fake} ` : track.retransmit ? '↻ ' : ''}${formatFlags(track.segment) || '·'} seq=${track.segment.seq}${track.segment.ack ? ` ack=${track.segment.ackNo}` : ''}${track.segment.data === '' ? '' : ` "${preview(track.segment.data)}"`}`;
  // Rows and labels change only when a segment is sent or a state changes: placed once
  // for each such moment, not every frame.
  const key = `${tracks.length}|${states.length}|${box.x}|${box.y}|${box.width}|${names.you}|${names.partner}|${names.old}|${names.fake}|${me}`;
  let placement = placements.get(model.tracks);
  if (placement === undefined || placement.key !== key || placement.measure !== measure) {
    placement = { key, measure, ...placeRows() };
    placements.set(model.tracks, placement);
  }
  const { rows, labels } = placement;
  const labelByKey = new Map(labels.map((l) => [l.key, l]));

  function placeRows(): { rows: { t: number; y: number }[]; labels: (Rect & { key: string })[] } {
    // What goes on each moment's row.
    interface Row { t: number; y: number; sends: Track[]; marks: { mark: StateMark; i: number }[]; losses: number }
    const byTime = new Map<number, Row>();
    const row = (t: number): Row => {
      let r = byTime.get(t);
      if (r === undefined) byTime.set(t, (r = { t, y: 0, sends: [], marks: [], losses: 0 }));
      return r;
    };
    for (const track of tracks) {
      row(track.sentAt).sends.push(track);
      for (const c of track.copies) row(c.arriveAt);
      for (const l of track.lost) row(l.lostAt).losses++;
    }
    for (const [i, mark] of states.entries()) row(mark.at).marks.push({ mark, i });
    const rows = [...byTime.values()].sort((p, q) => p.t - q.t);

    /** Everything a label must not cover, in the order it was placed. */
    const taken: Rect[] = [{ x: box.x, y: box.y, width: box.width, height: top - box.y + 4 }];
    const labels: (Rect & { key: string })[] = [];
    const hState = lineHeight(STATE_SIZE);
    const crossBox = (x: number, y: number): Rect => ({ x: x - 9, y: y - 9, width: 18, height: 18 });

    let y = top + hSeg + 4;
    for (const [index, r] of rows.entries()) {
      const previous = rows[index - 1];
      if (previous !== undefined) y = Math.max(y, previous.y + rowGap(r.t - previous.t));
      // Try this row's labels at y; while any touches something, move the row down.
      for (;;) {
        // A ✕ on this row is fixed to it: this row's labels keep clear of it by stacking.
        const crosses = r.losses > 0 ? [{ key: 'cross', ...crossBox((left + right) / 2, y) }] : [];
        const placed: (Rect & { key: string })[] = [...crosses];
        /** The first spot, going `step` px at a time from `first`, that touches nothing else on this row. */
        const free = (key: string, x: number, first: number, step: number, w: number, h: number): Rect & { key: string } => {
          for (let level = 0; ; level++) {
            const spot = { key, x, y: first + step * level, width: w, height: h };
            if (!placed.some((o) => intersects(spot, o))) return spot;
          }
        };
        for (const track of r.sends) {
          const w = Math.ceil(measure(labelText(track), LABEL_SIZE, false));
          const fromLeft = xOf(track.from) === left;
          const x = fromLeft ? Math.min(left + 6, maxX - w) : Math.max(right - 6 - w, minX);
          // Above the arrow's start; a second one at the same moment stacks above it.
          placed.push(free(`t${track.id}`, x, y - hSeg - 1, -hSeg, w, hSeg));
        }
        for (const { mark, i } of r.marks) {
          const w = Math.ceil(measure(mark.to, STATE_SIZE, false));
          const mine = mark.side === me;
          const x = mine ? Math.max(minX, left - 6 - w) : Math.min(maxX - w, right + 6);
          placed.push(free(`s${i}`, x, y - hState / 2, hState, w, hState));
        }
        const clear = placed.every((p) => !taken.some((o) => intersects(p, o)));
        if (clear) {
          taken.push(...placed);
          labels.push(...placed.filter((p) => p.key !== 'cross'));
          break;
        }
        y += 3;
      }
      r.y = y;
    }
    return { rows, labels };
  }
  const yOf = timeToY(rows, top + hSeg + 4);

  let bottom = yOf(now);
  for (const track of tracks) {
    const color = track.wrong ? COLORS.wrong : track.origin === 'sent' ? segmentColor(track.segment) : COLORS.muted;
    const dashed = track.origin !== 'sent';
    const x1 = xOf(track.from);
    const x2 = xOf(track.from === 'a' ? 'b' : 'a');
    const y1 = yOf(track.sentAt);
    for (const copy of track.copies) {
      const done = Math.min(1, (now - track.sentAt) / Math.max(1, copy.arriveAt - track.sentAt));
      const y2 = yOf(copy.arriveAt);
      shapes.push({ kind: 'arrow', x1, y1, x2: x1 + (x2 - x1) * done, y2: y1 + (y2 - y1) * done, color, head: done >= 1, dashed });
      bottom = Math.max(bottom, y1 + (y2 - y1) * done);
    }
    for (const lost of track.lost) {
      const yLost = yOf(lost.lostAt);
      const done = Math.min(1, (now - track.sentAt) / Math.max(1, lost.lostAt - track.sentAt));
      const xEnd = x1 + ((x2 - x1) / 2) * done;
      const yEnd = y1 + (yLost - y1) * done;
      shapes.push({ kind: 'arrow', x1, y1, x2: xEnd, y2: yEnd, color, head: false });
      if (done >= 1) shapes.push({ kind: 'cross', x: xEnd, y: yEnd, size: 7, color: COLORS.rst });
      bottom = Math.max(bottom, yEnd + 9);
    }
    const label = labelByKey.get(`t${track.id}`);
    if (label !== undefined) shapes.push({ kind: 'text', key: label.key, x: xOf(track.from) === left ? label.x : label.x + label.width, y: label.y, text: labelText(track), size: LABEL_SIZE, color, align: xOf(track.from) === left ? 'left' : 'right', box: label });
  }
  for (const [i, mark] of states.entries()) {
    const label = labelByKey.get(`s${i}`);
    if (label === undefined) continue;
    const mine = mark.side === me;
    shapes.push({ kind: 'text', key: label.key, x: mine ? label.x + label.width : label.x, y: label.y, text: mark.to, size: STATE_SIZE, color: COLORS.muted, align: mine ? 'right' : 'left', box: label });
  }
  for (const label of labels) bottom = Math.max(bottom, label.y + label.height);

  const end = bottom + 10;
  shapes.splice(3, 0, { kind: 'line', x1: left, y1: top, x2: left, y2: end, color: COLORS.line, width: 3 }, { kind: 'line', x1: right, y1: top, x2: right, y2: end, color: COLORS.line, width: 3 });
  return { shapes, top, height: end - box.y, labels };
}

function preview(data: string): string {
  return data.length > 10 ? `${data.slice(0, 9)}…` : data;
}

/** The font every ladder is drawn in (the scene's texts too), so measuring matches drawing. */
export const FONT_FAMILY = 'system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
