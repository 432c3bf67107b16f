/**
 * The viewer's one adapter to the game's drawing code: a CallModel built from the
 * record's events up to a moment (client/src/model.ts), and the ladder laid out by
 * client/src/ladder.ts, drawn here as SVG whose arrows and labels know their segment, so
 * a click on one can jump there. Only the public functions of those modules are used.
 */
import type { CallView, Side, Timeline } from '../../../shared/call';
import { eventsUntil } from '../../../shared/call';
import { LINE_PRESETS } from '../../../shared/net';
import { DEFAULT_CONFIG } from '../../../shared/protocol';
import type { CallStarted, LineName } from '../../../shared/wire';
import { layoutLadder, type LadderNames, type Shape } from '../ladder';
import { createModel, type CallModel } from '../model';

const SVG = 'http://www.w3.org/2000/svg';

/** The named line a record's conditions are, if any (the story's words need `perfect`); else the closest in spirit. */
export function lineNameOf(line: Timeline): LineName {
  const conditions = JSON.stringify(line.record.setup.conditions);
  for (const name of Object.keys(LINE_PRESETS) as LineName[]) if (JSON.stringify(LINE_PRESETS[name]) === conditions) return name;
  return 'bad';
}

/** The call at time `t` as the game's client model: events up to t, the view at t, side a on the left. */
export function modelAt(line: Timeline, t: number, view: CallView, names: Record<Side, string>): CallModel {
  const setup = line.record.setup;
  const started: CallStarted = {
    callId: 'replay',
    you: 'a',
    players: { a: { name: names.a, bot: false, connected: true }, b: { name: names.b, bot: false, connected: true } },
    line: lineNameOf(line),
    level: null,
    personality: null,
    teaching: false,
    conditions: setup.conditions,
    config: { ...DEFAULT_CONFIG, ...setup.config },
    manual: setup.manual ?? { a: false, b: false },
    events: eventsUntil(line, t),
    view,
    goal: null,
    shown: false,
  };
  // Local time t is call time t: the model's clock offset is 0.
  return createModel(started, t);
}

const css = (color: number): string => `#${color.toString(16).padStart(6, '0')}`;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/**
 * Which segment each arrow is. The layout draws, for each segment sent by `now` in order,
 * one arrow per delivered copy and then one per lost copy; when the count matches, the
 * arrows are matched in that order (otherwise only the labels, which carry the segment's
 * id in their key, can be clicked).
 */
function arrowTrips(model: CallModel, now: number, shapes: readonly Shape[]): (number | null)[] {
  const expected: number[] = [];
  for (const track of model.tracks) {
    if (track.sentAt > now) continue;
    for (let i = 0; i < track.copies.length + track.lost.length; i++) expected.push(track.id);
  }
  const arrows = shapes.filter((s) => s.kind === 'arrow').length;
  return arrows === expected.length ? expected : new Array<null>(arrows).fill(null);
}

/**
 * Draw the ladder of `model` at `now` into `svg`, `width` wide. Each arrow and segment
 * label is a `.trip` group with `data-trip` (the segment's id); `selected` is outlined.
 * Returns the height drawn.
 */
export function drawLadder(svg: SVGSVGElement, model: CallModel, now: number, width: number, names: LadderNames, selected: number | null): number {
  const tracks = model.tracks.filter((t) => t.sentAt <= now).length;
  const height = Math.max(360, 110 + tracks * 36);
  // layoutLadder returns its shapes, or (a taller-than-the-box layout) { shapes, height }: take either.
  const out: unknown = (layoutLadder as (...args: unknown[]) => unknown)(model, now, { x: 0, y: 6, width, height: height - 12 }, names);
  const shapes = Array.isArray(out) ? (out as Shape[]) : (out as { shapes: Shape[] }).shapes;
  const drawn = Array.isArray(out) ? height : Math.max(height, (out as { height: number }).height + 12);
  const trips = arrowTrips(model, now, shapes);
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${drawn}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(drawn));
  let arrow = 0;
  for (const s of shapes) {
    if (s.kind === 'line') {
      svg.append(el('line', { x1: s.x1, y1: s.y1, x2: s.x2, y2: s.y2, stroke: css(s.color), 'stroke-width': s.width, ...(s.dashed === true ? { 'stroke-dasharray': '6 6' } : {}) }));
    } else if (s.kind === 'arrow') {
      const trip = trips[arrow++] ?? null;
      const g = el('g', { class: trip === null ? 'arrow' : `arrow trip${trip === selected ? ' selected' : ''}` });
      if (trip !== null) g.dataset.trip = String(trip);
      g.append(el('line', { x1: s.x1, y1: s.y1, x2: s.x2, y2: s.y2, stroke: css(s.color), 'stroke-width': 2, ...(s.dashed === true ? { 'stroke-dasharray': '6 6' } : {}) }));
      if (s.head) {
        const a = Math.atan2(s.y2 - s.y1, s.x2 - s.x1);
        const p = (d: number): string => `${(s.x2 - 10 * Math.cos(a + d)).toFixed(1)},${(s.y2 - 10 * Math.sin(a + d)).toFixed(1)}`;
        g.append(el('polygon', { points: `${s.x2.toFixed(1)},${s.y2.toFixed(1)} ${p(-0.4)} ${p(0.4)}`, fill: css(s.color) }));
      }
      // A wide invisible line on top: an easy target for a finger or a mouse.
      if (trip !== null) g.append(el('line', { class: 'hit', x1: s.x1, y1: s.y1, x2: s.x2, y2: s.y2, stroke: 'transparent', 'stroke-width': 16 }));
      svg.append(g);
    } else if (s.kind === 'cross') {
      svg.append(el('path', { d: `M${s.x - s.size} ${s.y - s.size}L${s.x + s.size} ${s.y + s.size}M${s.x + s.size} ${s.y - s.size}L${s.x - s.size} ${s.y + s.size}`, stroke: css(s.color), 'stroke-width': 3 }));
    } else {
      const trip = /^t(\d+)/.exec(s.key)?.[1];
      const text = el('text', {
        x: s.x,
        y: s.y,
        'font-size': s.size,
        fill: css(s.color),
        'text-anchor': s.align === 'center' ? 'middle' : s.align === 'right' ? 'end' : 'start',
        'dominant-baseline': 'hanging',
        ...(s.bold === true ? { 'font-weight': 600 } : {}),
      });
      text.textContent = s.text;
      if (trip === undefined) {
        svg.append(text);
      } else {
        const g = el('g', { class: `label trip${Number(trip) === selected ? ' selected' : ''}` });
        g.dataset.trip = trip;
        g.append(text);
        svg.append(g);
      }
    }
  }
  return drawn;
}
