/**
 * The ladder (sequence) diagram as plain shapes: two vertical lines, one arrow per
 * segment copy from its send time to its arrival (or to where it was lost), states
 * written where they changed. One layout, drawn live by the Phaser scene and exported as
 * a PNG (Canvas 2D) for the end screen.
 */
import type { Side } from '../../shared/call';
import { formatFlags } from '../../shared/protocol';
import type { CallModel } from './model';

export type Shape =
  | { readonly kind: 'line'; readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number; readonly color: number; readonly width: number; readonly dashed?: boolean }
  | { readonly kind: 'arrow'; readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number; readonly color: number; readonly head: boolean; readonly dashed?: boolean }
  | { readonly kind: 'cross'; readonly x: number; readonly y: number; readonly size: number; readonly color: number }
  | { readonly kind: 'text'; readonly key: string; readonly x: number; readonly y: number; readonly text: string; readonly size: number; readonly color: number; readonly align: 'left' | 'center' | 'right'; readonly bold?: boolean };

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

export interface LadderBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Shapes of the ladder at call time `now` inside `box`. The player's own side is on the
 * left. Time runs down; the scale shrinks as the call grows, so it always fits.
 */
export function layoutLadder(model: CallModel, now: number, box: LadderBox, names: LadderNames): Shape[] {
  const shapes: Shape[] = [];
  const me = model.you;
  const left = box.x + Math.max(72, box.width * 0.24);
  const right = box.x + box.width - Math.max(72, box.width * 0.24);
  const top = box.y + 44;
  const bottom = box.y + box.height - 12;
  const xOf = (side: Side): number => (side === me ? left : right);
  const yOf = timeAxis(model, now, top, bottom);

  shapes.push({ kind: 'text', key: 'title', x: box.x + box.width / 2, y: box.y + 6, text: names.title, size: 13, color: COLORS.muted, align: 'center', bold: true });
  shapes.push({ kind: 'text', key: 'you', x: left, y: box.y + 24, text: names.you, size: 13, color: COLORS.ink, align: 'center', bold: true });
  shapes.push({ kind: 'text', key: 'partner', x: right, y: box.y + 24, text: names.partner, size: 13, color: COLORS.ink, align: 'center', bold: true });
  shapes.push({ kind: 'line', x1: left, y1: top, x2: left, y2: bottom, color: COLORS.line, width: 3 });
  shapes.push({ kind: 'line', x1: right, y1: top, x2: right, y2: bottom, color: COLORS.line, width: 3 });

  const sameMoment = new Map<string, number>();
  for (const track of model.tracks) {
    if (track.sentAt > now) continue;
    // Segments one side sends at the same moment get their labels stacked, not piled.
    const moment = `${track.from}@${track.sentAt}`;
    const stack = sameMoment.get(moment) ?? 0;
    sameMoment.set(moment, stack + 1);
    const color = track.wrong ? COLORS.wrong : track.origin === 'sent' ? segmentColor(track.segment) : COLORS.muted;
    const dashed = track.origin !== 'sent';
    const x1 = xOf(track.from);
    const x2 = xOf(track.from === 'a' ? 'b' : 'a');
    const y1 = yOf(track.sentAt);
    const label = `${track.origin === 'old' ? `${names.old} ` : track.origin === 'fake' ? `${names.fake} ` : ''}${formatFlags(track.segment) || '·'} seq=${track.segment.seq}${track.segment.ack ? ` ack=${track.segment.ackNo}` : ''}${track.segment.data === '' ? '' : ` "${preview(track.segment.data)}"`}`;
    let labelled = false;
    for (const [i, copy] of track.copies.entries()) {
      const done = Math.min(1, (now - track.sentAt) / Math.max(1, copy.arriveAt - track.sentAt));
      const y2 = yOf(copy.arriveAt);
      shapes.push({ kind: 'arrow', x1, y1, x2: x1 + (x2 - x1) * done, y2: y1 + (y2 - y1) * done, color, head: done >= 1, dashed });
      if (!labelled) {
        labelled = true;
        shapes.push(labelShape(`t${track.id}.${i}`, label, x1, y1 + stack * 13, x2, y2 + stack * 13, color));
      }
    }
    for (const [i, lost] of track.lost.entries()) {
      const full = yOf(lost.lostAt + (lost.lostAt - track.sentAt));
      const done = Math.min(1, (now - track.sentAt) / Math.max(1, 2 * (lost.lostAt - track.sentAt)));
      const xEnd = x1 + (x2 - x1) * Math.min(done, 0.5);
      const yEnd = y1 + (full - y1) * Math.min(done, 0.5);
      shapes.push({ kind: 'arrow', x1, y1, x2: xEnd, y2: yEnd, color, head: false });
      if (done >= 0.5) shapes.push({ kind: 'cross', x: xEnd, y: yEnd, size: 7, color: COLORS.rst });
      if (!labelled) {
        labelled = true;
        shapes.push(labelShape(`t${track.id}.l${i}`, label, x1, y1 + stack * 13, x1 + (x2 - x1) * 0.5, yEnd + stack * 13, color));
      }
    }
  }

  // State names where they changed, beside each side's line; skip ones that would overlap.
  const lastY: Partial<Record<Side, number>> = {};
  for (const [i, mark] of model.states.entries()) {
    if (mark.at > now) continue;
    const y = yOf(mark.at);
    if (lastY[mark.side] !== undefined && y - (lastY[mark.side] ?? 0) < 13) continue;
    lastY[mark.side] = y;
    const mine = mark.side === me;
    shapes.push({ kind: 'text', key: `s${i}`, x: mine ? left - 6 : right + 6, y: y - 6, text: mark.to, size: 10, color: COLORS.muted, align: mine ? 'right' : 'left' });
  }
  return shapes;
}

/** Smallest vertical gap between two moments that both carry something, so labels do not pile up. */
const MIN_GAP_PX = 22;

/**
 * Call time → y. Proportional to time, except that consecutive moments with something on
 * them are at least MIN_GAP_PX apart (then the whole is squeezed back to fit): crossing
 * segments and quick replies stay readable.
 */
function timeAxis(model: CallModel, now: number, top: number, bottom: number): (t: number) => number {
  const times = new Set<number>();
  for (const t of model.tracks) {
    if (t.sentAt > now) continue;
    times.add(t.sentAt);
    for (const c of t.copies) times.add(Math.min(c.arriveAt, now));
    for (const l of t.lost) times.add(Math.min(2 * l.lostAt - t.sentAt, now));
  }
  for (const m of model.states) if (m.at <= now && m.at >= (model.tracks[0]?.sentAt ?? Infinity)) times.add(m.at);
  const sorted = [...times].sort((x, y) => x - y);
  const first = sorted[0] ?? 0;
  const last = Math.max(now, (sorted.at(-1) ?? 0) + 1);
  const span = Math.max(4_000, last - first);
  const height = bottom - top;
  const at: number[] = [];
  for (const [i, t] of sorted.entries()) {
    const raw = ((t - first) / span) * height;
    at.push(i === 0 ? raw : Math.max(raw, (at[i - 1] ?? 0) + MIN_GAP_PX));
  }
  const end = Math.max(height, ((last - first) / span) * height, (at.at(-1) ?? 0) + MIN_GAP_PX);
  const squeeze = height / end;
  return (t: number): number => {
    if (sorted.length === 0 || t <= first) return top;
    let i = 0;
    while (i + 1 < sorted.length && (sorted[i + 1] ?? Infinity) <= t) i++;
    const t0 = sorted[i] ?? first;
    const y0 = at[i] ?? 0;
    const t1 = sorted[i + 1] ?? last;
    const y1 = at[i + 1] ?? end;
    const k = t1 === t0 ? 0 : (Math.min(t, last) - t0) / (t1 - t0);
    return top + (y0 + (y1 - y0) * Math.min(1, k)) * squeeze;
  };
}

function labelShape(key: string, text: string, x1: number, y1: number, x2: number, y2: number, color: number): Shape {
  return { kind: 'text', key, x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 15, text, size: 11, color, align: 'center' };
}

function preview(data: string): string {
  return data.length > 10 ? `${data.slice(0, 9)}…` : data;
}

const css = (color: number): string => `#${color.toString(16).padStart(6, '0')}`;

/** Draw shapes on a 2D canvas (for the PNG export). */
export function drawShapes(ctx: CanvasRenderingContext2D, shapes: readonly Shape[]): void {
  for (const s of shapes) {
    if (s.kind === 'line' || s.kind === 'arrow') {
      ctx.strokeStyle = css(s.color);
      ctx.lineWidth = s.kind === 'line' ? s.width : 2;
      ctx.setLineDash(s.dashed === true ? [6, 6] : []);
      ctx.beginPath();
      ctx.moveTo(s.x1, s.y1);
      ctx.lineTo(s.x2, s.y2);
      ctx.stroke();
      if (s.kind === 'arrow' && s.head) {
        const angle = Math.atan2(s.y2 - s.y1, s.x2 - s.x1);
        ctx.fillStyle = css(s.color);
        ctx.beginPath();
        ctx.moveTo(s.x2, s.y2);
        ctx.lineTo(s.x2 - 10 * Math.cos(angle - 0.4), s.y2 - 10 * Math.sin(angle - 0.4));
        ctx.lineTo(s.x2 - 10 * Math.cos(angle + 0.4), s.y2 - 10 * Math.sin(angle + 0.4));
        ctx.fill();
      }
    } else if (s.kind === 'cross') {
      ctx.strokeStyle = css(s.color);
      ctx.lineWidth = 3;
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(s.x - s.size, s.y - s.size);
      ctx.lineTo(s.x + s.size, s.y + s.size);
      ctx.moveTo(s.x + s.size, s.y - s.size);
      ctx.lineTo(s.x - s.size, s.y + s.size);
      ctx.stroke();
    } else {
      ctx.fillStyle = css(s.color);
      ctx.font = `${s.bold === true ? '600 ' : ''}${s.size}px system-ui, sans-serif`;
      ctx.textAlign = s.align;
      ctx.textBaseline = 'top';
      ctx.fillText(s.text, s.x, s.y);
    }
  }
}

/** The whole ladder of a call as a PNG data URL. */
export function ladderPng(model: CallModel, now: number, names: LadderNames): string {
  const width = 720;
  const height = Math.max(480, 120 + model.tracks.length * 34);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return '';
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  drawShapes(ctx, layoutLadder(model, now, { x: 0, y: 8, width, height: height - 16 }, names));
  return canvas.toDataURL('image/png');
}

const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The whole ladder of a call as an SVG document (text stays text: searchable, scalable). */
export function ladderSvg(model: CallModel, now: number, names: LadderNames): string {
  const width = 720;
  const height = Math.max(480, 120 + model.tracks.length * 34);
  const shapes = layoutLadder(model, now, { x: 0, y: 8, width, height: height - 16 }, names);
  const parts: string[] = [];
  for (const s of shapes) {
    if (s.kind === 'line' || s.kind === 'arrow') {
      const dash = s.dashed === true ? ' stroke-dasharray="6 6"' : '';
      const strokeWidth = s.kind === 'line' ? s.width : 2;
      parts.push(`<line x1="${s.x1.toFixed(1)}" y1="${s.y1.toFixed(1)}" x2="${s.x2.toFixed(1)}" y2="${s.y2.toFixed(1)}" stroke="${css(s.color)}" stroke-width="${strokeWidth}"${dash}/>`);
      if (s.kind === 'arrow' && s.head) {
        const angle = Math.atan2(s.y2 - s.y1, s.x2 - s.x1);
        const p = (a: number) => `${(s.x2 - 10 * Math.cos(angle + a)).toFixed(1)},${(s.y2 - 10 * Math.sin(angle + a)).toFixed(1)}`;
        parts.push(`<polygon points="${s.x2.toFixed(1)},${s.y2.toFixed(1)} ${p(-0.4)} ${p(0.4)}" fill="${css(s.color)}"/>`);
      }
    } else if (s.kind === 'cross') {
      const d = `M${s.x - s.size} ${s.y - s.size}L${s.x + s.size} ${s.y + s.size}M${s.x + s.size} ${s.y - s.size}L${s.x - s.size} ${s.y + s.size}`;
      parts.push(`<path d="${d}" stroke="${css(s.color)}" stroke-width="3"/>`);
    } else {
      const anchor = s.align === 'center' ? 'middle' : s.align === 'right' ? 'end' : 'start';
      const weight = s.bold === true ? ' font-weight="600"' : '';
      parts.push(`<text x="${s.x.toFixed(1)}" y="${(s.y + s.size).toFixed(1)}" font-size="${s.size}" fill="${css(s.color)}" text-anchor="${anchor}"${weight}>${escapeXml(s.text)}</text>`);
    }
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
  ].join('\n');
}
