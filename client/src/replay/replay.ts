/**
 * The replay viewer: a recorded call played again from its record (a file, a link, or a
 * handoff from another page of the game), exact because every picture is `callAt(record,
 * t)`. Play, pause, speed, step from moment to moment, scrub; both sides' states, numbers
 * and timers; what is on the line; the ladder, whose arrows explain themselves.
 */
import './jitless';
import { callAt, callView, nextMoment, previousMoment, timeline } from '../../../shared/call';
import type { Call, CallRecord, Side, Timeline, Trip } from '../../../shared/call';
import { LIMITS, parseRecord, parseRecordText, RECORD_LIMITS } from '../../../shared/wire';
import type { ParsedRecord } from '../../../shared/wire';
import { fill, lang, onLangChange, setLang, strings } from '../i18n';
import type { CallModel } from '../model';
import { $, translateStatic } from '../page';
import { describeThing, explainTrip, seconds, segmentText } from './explain';
import { openReplay, takeHandoff } from './handoff';
import { drawLadder, modelAt } from './ladderView';
import { decodeRecord, linksSupported, linkValue, recordLink } from './link';

declare const __TEST_HOOKS__: boolean;

type Problem = Exclude<ParsedRecord, { ok: true }>['code'] | 'link/broken' | 'handoff/missing' | 'file/unreadable';

interface Loaded {
  readonly record: CallRecord;
  readonly line: Timeline;
  readonly names: Record<Side, string>;
  readonly trips: ReadonlyMap<number, Trip>;
  /** The whole call as a client model, for the story's words of each segment. */
  readonly full: CallModel;
}

const SPEEDS = [0.25, 0.5, 1, 2, 4] as const;
const STAGE_HEIGHT = 210;
const LOST_SHOWN_MS = 900;

let loaded: Loaded | null = null;
let t = 0;
let playing = false;
let speed = 1;
let selected: number | null = null;
let lastFrame: number | null = null;
let problem: { code: Problem; detail?: string } | null = null;
const errors: string[] = [];

// ---------------------------------------------------------------- opening a record

function showLoading(on: boolean): void {
  $('loading').hidden = !on;
}

function refuse(code: Problem, detail?: string): void {
  problem = detail === undefined ? { code } : { code, detail };
  showLoading(false);
  renderProblem();
}

function open(parsed: ParsedRecord, names: Record<Side, string> | null): void {
  showLoading(false);
  if (!parsed.ok) return refuse(parsed.code, parsed.detail);
  problem = null;
  renderProblem();
  const record = parsed.record;
  const line = timeline(record);
  const shownNames = names ?? { a: strings().replay.defaultNames.a, b: strings().replay.defaultNames.b };
  const full = modelAt(line, line.end, callView(callAt(record, line.end)), shownNames);
  loaded = { record, line, names: shownNames, trips: new Map(line.trips.map((trip) => [trip.id, trip])), full };
  t = 0;
  selected = null;
  playing = false;
  $('viewer').hidden = false;
  $('open-intro').hidden = true;
  $('copy-link').hidden = !linksSupported();
  $('link-field').hidden = true;
  $('note').textContent = '';
  const scrub = $<HTMLInputElement>('scrub');
  scrub.max = String(line.end);
  renderAll();
}

async function openFile(file: File): Promise<void> {
  showLoading(true);
  if (file.size > RECORD_LIMITS.chars) return refuse('record/too-large');
  let text: string;
  try {
    text = await file.text();
  } catch {
    return refuse('file/unreadable');
  }
  // Let the loading note show before a long replay keeps the page busy.
  await new Promise((resolve) => requestAnimationFrame(resolve));
  open(parseRecordText(text), null);
}

async function openLink(value: string): Promise<void> {
  showLoading(true);
  let text: string;
  try {
    text = await decodeRecord(value);
  } catch {
    return refuse('link/broken');
  }
  open(parseRecordText(text), null);
}

function openHandoff(): void {
  const text = takeHandoff();
  history.replaceState(null, '', '/replay.html');
  if (text === null) return refuse('handoff/missing');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse('handoff/missing');
  }
  const { record, names } = (typeof value === 'object' && value !== null ? value : {}) as { record?: unknown; names?: unknown };
  open(parseRecord(record), parseNames(names));
}

function parseNames(value: unknown): Record<Side, string> | null {
  if (typeof value !== 'object' || value === null) return null;
  const { a, b } = value as { a?: unknown; b?: unknown };
  const ok = (n: unknown): n is string => typeof n === 'string' && n.trim().length > 0 && n.length <= LIMITS.nameChars;
  return ok(a) && ok(b) ? { a: a.trim(), b: b.trim() } : null;
}

// ---------------------------------------------------------------- moving in time

function seek(to: number): void {
  if (loaded === null) return;
  t = Math.max(0, Math.min(loaded.line.end, to));
  renderAll();
}

function step(direction: 1 | -1): void {
  if (loaded === null) return;
  setPlaying(false);
  const m = direction === 1 ? nextMoment(loaded.line, t) : previousMoment(loaded.line, t);
  seek(m === null ? (direction === 1 ? loaded.line.end : 0) : m.at);
}

function setPlaying(on: boolean): void {
  if (loaded === null) return;
  if (on && t >= loaded.line.end) t = 0;
  playing = on;
  lastFrame = null;
  renderPlayButton();
  if (on) requestAnimationFrame(frame);
}

function frame(now: number): void {
  if (!playing || loaded === null) return;
  if (lastFrame !== null) {
    t = Math.min(loaded.line.end, t + (now - lastFrame) * speed);
    if (t >= loaded.line.end) {
      playing = false;
      renderPlayButton();
    }
    renderAll();
  }
  lastFrame = now;
  if (playing) requestAnimationFrame(frame);
}

/** Jump to a segment: the moment its trip ends (arrived or lost), so its whole arrow shows. */
function select(id: number): void {
  if (loaded === null) return;
  const trip = loaded.trips.get(id);
  if (trip === undefined) return;
  setPlaying(false);
  selected = id;
  const ends = [...trip.copies.map((c) => c.arriveAt), ...trip.lost.map((l) => l.lostAt)];
  seek(Math.min(loaded.line.end, Math.max(trip.sentAt, ...ends)));
  renderExplain();
  renderSegments();
}

// ---------------------------------------------------------------- drawing

function renderProblem(): void {
  const box = $('problem');
  box.hidden = problem === null;
  box.replaceChildren();
  if (problem === null) return;
  const s = strings().replay;
  const head = document.createElement('strong');
  head.textContent = s.refusals[problem.code];
  const more = document.createElement('span');
  more.textContent = ` ${s.tryAgain}`;
  box.append(head, more);
  if (problem.detail !== undefined) {
    const detail = document.createElement('small');
    detail.className = 'detail';
    detail.textContent = problem.detail;
    box.append(document.createElement('br'), detail);
  }
}

function renderPlayButton(): void {
  const s = strings().replay.controls;
  $('play-icon').textContent = playing ? '❚❚' : '▶';
  $('play-label').textContent = playing ? s.pause : s.play;
  $('play').setAttribute('aria-pressed', String(playing));
}

function renderAll(): void {
  if (loaded === null) return;
  const call = callAt(loaded.record, t);
  const view = callView(call);
  const model = modelAt(loaded.line, t, view, loaded.names);
  renderClock();
  renderStage(call);
  for (const side of ['a', 'b'] as const) renderSide(side, call);
  renderNow(call);
  renderLadder(model);
}

function renderClock(): void {
  if (loaded === null) return;
  const s = strings().replay;
  const scrub = $<HTMLInputElement>('scrub');
  scrub.value = String(t);
  scrub.setAttribute('aria-valuetext', fill(s.time, { t: seconds(t), end: seconds(loaded.line.end) }));
  const index = loaded.line.moments.findIndex((m) => m.at === t);
  const clock = $('clock');
  clock.textContent = fill(s.time, { t: seconds(t), end: seconds(loaded.line.end) });
  clock.dataset.t = String(t);
  if (index >= 0) clock.textContent += ` · ${fill(s.step, { n: index + 1, total: loaded.line.moments.length })}`;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const STATE_FILL: Record<string, string> = { ESTABLISHED: '#17803d', CLOSED: '#8a93a6', LISTEN: '#5a6478' };
const FLAG_COLORS = { rst: '#c2261f', syn: '#2457d6', fin: '#a15c00', data: '#6b3fb8', ack: '#17803d', muted: '#5a6478' } as const;
function tripColor(trip: Trip): string {
  const seg = trip.segment;
  if (trip.wrong) return FLAG_COLORS.rst;
  if (trip.origin !== 'sent') return FLAG_COLORS.muted;
  return seg.rst ? FLAG_COLORS.rst : seg.syn ? FLAG_COLORS.syn : seg.fin ? FLAG_COLORS.fin : seg.data !== '' ? FLAG_COLORS.data : FLAG_COLORS.ack;
}

/** The call as a picture: both people with their states and timers, envelopes on the line. */
function renderStage(call: Call): void {
  if (loaded === null) return;
  const stage = $('stage') as unknown as SVGSVGElement;
  const width = Math.max(300, stage.clientWidth || 600);
  stage.setAttribute('viewBox', `0 0 ${width} ${STAGE_HEIGHT}`);
  stage.replaceChildren();
  const narrow = width < 520;
  const tileW = narrow ? 84 : 120;
  const xs: Record<Side, number> = { a: tileW / 2 + 14, b: width - tileW / 2 - 14 };
  const cy = 86;
  stage.append(svg('line', { x1: xs.a + tileW / 2 + 6, y1: cy, x2: xs.b - tileW / 2 - 6, y2: cy, stroke: '#c9d1e0', 'stroke-width': 3 }));
  for (const side of ['a', 'b'] as const) {
    const endpoint = call.endpoints[side];
    const x = xs[side];
    const accent = side === 'a' ? '#2457d6' : '#6b3fb8';
    stage.append(svg('rect', { x: x - tileW / 2, y: cy - 46, width: tileW, height: 92, rx: 14, fill: '#ffffff', stroke: accent, 'stroke-width': 3 }));
    stage.append(svg('circle', { cx: x, cy: cy - 12, r: 14, fill: accent }));
    stage.append(svg('path', { d: `M${x - 22} ${cy + 30} a22 22 0 0 1 44 0 z`, fill: accent }));
    stage.append(svg('text', { x, y: cy - 56, 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 700, fill: '#1b2437', class: 'stage-name' }, loaded.names[side]));
    const state = endpoint.state;
    // Keep what is wider than the tile inside the picture on a narrow screen.
    const inside = (w: number): number => Math.min(Math.max(x, w / 2 + 2), width - w / 2 - 2);
    const badgeW = Math.max(86, state.length * 9 + 18);
    const bx = inside(badgeW);
    stage.append(svg('rect', { x: bx - badgeW / 2, y: cy + 54, width: badgeW, height: 24, rx: 12, fill: STATE_FILL[state] ?? '#a15c00' }));
    stage.append(svg('text', { x: bx, y: cy + 71, 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 700, fill: '#ffffff', 'data-badge': side }, state));
    let y = cy + 96;
    for (const name of ['reply', 'timeWait', 'retryWait', 'keepalive'] as const) {
      const end = endpoint.timers[name];
      if (end === null) continue;
      const label = `${strings().replay.timers[name]} ${seconds(Math.max(0, end - t))} s`;
      stage.append(svg('text', { x: inside([...label].reduce((n, ch) => n + (/[\u2e80-\u9fff]/.test(ch) ? 12 : 7), 0)), y, 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 600, fill: '#2457d6' }, label));
      y += 16;
    }
  }
  // Envelopes: every copy between its sending and its arrival (or loss), placed by progress.
  const x1 = xs.a + tileW / 2 + 40;
  const x2 = xs.b - tileW / 2 - 40;
  let lane = 0;
  for (const trip of loaded.line.trips) {
    if (trip.sentAt > t) break;
    const from = trip.from === 'a' ? x1 : x2;
    const to = trip.from === 'a' ? x2 : x1;
    for (const copy of trip.copies) {
      if (t >= copy.arriveAt) continue;
      const p = (t - trip.sentAt) / Math.max(1, copy.arriveAt - trip.sentAt);
      envelope(stage, trip, from + (to - from) * p, cy - 8 + (lane++ % 3) * 22 - 22, false);
    }
    for (const lost of trip.lost) {
      if (t >= lost.lostAt + LOST_SHOWN_MS) continue;
      const p = Math.min(0.5, (0.5 * (t - trip.sentAt)) / Math.max(1, lost.lostAt - trip.sentAt));
      envelope(stage, trip, from + (to - from) * p, cy - 8 + (lane++ % 3) * 22 - 22, t >= lost.lostAt);
    }
  }
}

function envelope(stage: SVGSVGElement, trip: Trip, x: number, y: number, lost: boolean): void {
  const color = tripColor(trip);
  const g = svg('g', { class: lost ? 'envelope lost' : 'envelope', opacity: lost ? 0.55 : 1 });
  g.append(svg('rect', { x: x - 34, y: y - 15, width: 68, height: 30, rx: 5, fill: '#ffffff', stroke: color, 'stroke-width': 2.5 }));
  const flags = segmentText(trip.segment).split(' ')[0] ?? '';
  g.append(svg('text', { x, y: y - 1, 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 700, fill: color }, `${trip.retransmit ? '↻ ' : ''}${flags}`));
  g.append(svg('text', { x, y: y + 11, 'text-anchor': 'middle', 'font-size': 10, fill: '#1b2437' }, `${trip.segment.seq}${trip.segment.ack ? `/${trip.segment.ackNo}` : ''}`));
  if (lost) {
    g.append(svg('path', { d: `M${x - 12} ${y - 12}L${x + 12} ${y + 12}M${x + 12} ${y - 12}L${x - 12} ${y + 12}`, stroke: '#c2261f', 'stroke-width': 4 }));
  }
  stage.append(g);
}

function field(list: HTMLElement, name: string, label: string, value: string, note?: string): void {
  const row = document.createElement('div');
  row.className = 'field-row';
  const dt = document.createElement('dt');
  dt.textContent = label;
  const dd = document.createElement('dd');
  dd.dataset.field = name;
  const v = document.createElement('span');
  v.className = 'value';
  v.textContent = value;
  dd.append(v);
  if (note !== undefined) {
    const n = document.createElement('span');
    n.className = 'muted note';
    n.textContent = ` ${note}`;
    dd.append(n);
  }
  row.append(dt, dd);
  list.append(row);
}

/** One side's card: state, its four numbers, timers with the time left, retries, what waits for it. */
function renderSide(side: Side, call: Call): void {
  if (loaded === null) return;
  const s = strings();
  const r = s.replay;
  const endpoint = call.endpoints[side];
  const card = $(`side-${side}`);
  card.replaceChildren();
  const h = document.createElement('h2');
  // Without the players' names the side is the name: say it once.
  const named = loaded.names[side] !== r.defaultNames[side];
  h.textContent = fill(named ? r.sideTitle : r.sideOnly, { name: loaded.names[side], side: side.toUpperCase() });
  const state = document.createElement('p');
  state.className = 'state-line';
  const badge = document.createElement('span');
  badge.className = `badge state-${endpoint.state.toLowerCase()}`;
  badge.dataset.field = 'state';
  badge.textContent = endpoint.state;
  const meaning = document.createElement('span');
  meaning.className = 'muted';
  meaning.textContent = ` ${s.states[endpoint.state]}`;
  state.append(badge, meaning);
  const list = document.createElement('dl');
  list.className = 'numbers-list';
  const known = endpoint.irs !== 0 || endpoint.rcvNxt !== 0;
  field(list, 'iss', r.fields.iss, String(endpoint.iss));
  field(list, 'irs', r.fields.irs, known ? String(endpoint.irs) : '—', known ? undefined : r.unknownYet);
  field(list, 'sndNxt', r.fields.sndNxt, String(endpoint.sndNxt));
  field(list, 'rcvNxt', r.fields.rcvNxt, known ? String(endpoint.rcvNxt) : '—', known ? undefined : r.unknownYet);
  const timers = (['reply', 'timeWait', 'retryWait', 'keepalive'] as const).flatMap((name) => {
    const end = endpoint.timers[name];
    return end === null ? [] : [fill(r.timerLeft, { name: r.timers[name], s: seconds(Math.max(0, end - t)) })];
  });
  field(list, 'timers', r.fields.timers, timers.length === 0 ? r.noTimers : timers.join(' · '));
  field(list, 'retries', r.fields.retries, fill(r.retriesValue, { n: endpoint.retries, max: endpoint.config.maxRetries }));
  const pending = call.pending[side];
  if (pending.length > 0) field(list, 'pending', r.fields.pending, pending.map((p) => segmentText(p.segment)).join(', '));
  card.append(h, state, list);
}

/** What happens at this exact moment, and every segment on the line now. */
function renderNow(call: Call): void {
  if (loaded === null) return;
  const r = strings().replay;
  // The latest moment at or before t: while playing, t is rarely a moment itself.
  const moment = [...loaded.line.moments].reverse().find((m) => m.at <= t);
  $('now-title').textContent = moment === undefined || moment.at === t ? fill(r.now, { t: seconds(t) }) : fill(r.lastStep, { t: seconds(moment.at) });
  const now = $('now');
  now.replaceChildren();
  for (const thing of moment?.things ?? []) {
    const li = document.createElement('li');
    li.className = `thing ${thing.kind}`;
    li.textContent = describeThing(thing, loaded.trips, loaded.names);
    now.append(li);
  }
  if (moment === undefined) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = r.nothingNow;
    now.append(li);
  }
  const flight = $('flight');
  flight.replaceChildren();
  const items: { at: number; text: string; lost: boolean }[] = [];
  for (const copy of call.inFlight) {
    const from = copy.to === 'a' ? 'b' : 'a';
    items.push({ at: copy.arriveAt, lost: false, text: fill(r.flight, { from: loaded.names[from], to: loaded.names[copy.to], segment: segmentText(copy.segment), at: seconds(copy.arriveAt) }) });
  }
  for (const trip of loaded.line.trips) {
    if (trip.sentAt > t) break;
    for (const lost of trip.lost) {
      if (t < lost.lostAt) items.push({ at: lost.lostAt, lost: true, text: fill(r.flightLost, { from: loaded.names[trip.from], to: loaded.names[trip.to], segment: segmentText(trip.segment), at: seconds(lost.lostAt) }) });
    }
  }
  items.sort((p, q) => p.at - q.at);
  for (const item of items) {
    const li = document.createElement('li');
    li.className = item.lost ? 'thing lost' : 'thing';
    li.textContent = item.text;
    flight.append(li);
  }
  if (items.length === 0) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = r.nothingOnLine;
    flight.append(li);
  }
}

function renderLadder(model: CallModel): void {
  if (loaded === null) return;
  const s = strings();
  const scroll = $('ladder-scroll');
  const ladder = $('ladder') as unknown as SVGSVGElement;
  const width = Math.max(280, scroll.clientWidth - 2);
  const height = drawLadder(ladder, model, t, width, { you: loaded.names.a, partner: loaded.names.b, title: '', old: s.call.old, fake: s.call.fake }, selected);
  // Keep the newest row in view.
  scroll.scrollTop = height;
}

function renderExplain(): void {
  const r = strings().replay;
  const box = $('explain');
  box.replaceChildren();
  const trip = selected === null || loaded === null ? undefined : loaded.trips.get(selected);
  if (trip === undefined || loaded === null) {
    $('explain-title').textContent = r.explainNone;
    return;
  }
  const n = loaded.line.trips.indexOf(trip) + 1;
  $('explain-title').textContent = fill(r.explainTitle, { n, segment: segmentText(trip.segment) });
  for (const line of explainTrip(trip, loaded.full, loaded.names)) {
    const p = document.createElement('p');
    p.textContent = line;
    box.append(p);
  }
}

function renderSegments(): void {
  if (loaded === null) return;
  const r = strings().replay;
  const list = $('segments');
  list.replaceChildren();
  for (const trip of loaded.line.trips) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.trip = String(trip.id);
    button.className = trip.id === selected ? 'segment selected' : 'segment';
    button.textContent = fill(r.segmentItem, { at: seconds(trip.sentAt), from: loaded.names[trip.from], to: loaded.names[trip.to], segment: segmentText(trip.segment) });
    if (trip.lost.length > 0 && trip.copies.length === 0) button.textContent += ' ✕';
    li.append(button);
    list.append(li);
  }
}

function translate(): void {
  translateStatic(`${strings().replay.pageTitle} · ${strings().app.title}`);
  renderPlayButton();
  renderProblem();
  if (loaded !== null) {
    renderAll();
    renderExplain();
    renderSegments();
  } else {
    $('explain-title').textContent = strings().replay.explainNone;
  }
}

// ---------------------------------------------------------------- wiring

$('lang-switch').addEventListener('click', () => setLang(lang() === 'zh' ? 'en' : 'zh'));
onLangChange(translate);
$<HTMLInputElement>('file').addEventListener('change', (e) => {
  const input = e.currentTarget as HTMLInputElement;
  const file = input.files?.[0];
  if (file !== undefined) void openFile(file);
  input.value = '';
});
$('play').addEventListener('click', () => setPlaying(!playing));
$('prev').addEventListener('click', () => step(-1));
$('next').addEventListener('click', () => step(1));
$('to-start').addEventListener('click', () => {
  setPlaying(false);
  seek(0);
});
$('to-end').addEventListener('click', () => {
  setPlaying(false);
  seek(loaded?.line.end ?? 0);
});
$<HTMLInputElement>('scrub').addEventListener('input', (e) => {
  setPlaying(false);
  seek(Number((e.currentTarget as HTMLInputElement).value));
});
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="speed"]')) {
  radio.addEventListener('change', () => {
    const value = Number(radio.value);
    if ((SPEEDS as readonly number[]).includes(value)) speed = value;
  });
}
$('ladder').addEventListener('click', (e) => {
  const target = (e.target as Element).closest('.trip');
  const id = target === null ? NaN : Number((target as SVGElement).dataset.trip);
  if (Number.isInteger(id)) select(id);
});
$('segments').addEventListener('click', (e) => {
  const button = (e.target as Element).closest('button[data-trip]');
  if (button !== null) select(Number((button as HTMLElement).dataset.trip));
});
$('copy-link').addEventListener('click', () => {
  if (loaded === null) return;
  const record = loaded.record;
  void (async () => {
    const r = strings().replay;
    if (!linksSupported()) {
      $('note').textContent = r.noCompression;
      return;
    }
    const link = await recordLink(record);
    const out = $<HTMLInputElement>('link-out');
    out.value = link;
    $('link-field').hidden = false;
    out.select();
    try {
      await navigator.clipboard.writeText(link);
      $('note').textContent = r.copied;
    } catch {
      $('note').textContent = r.copyFailed;
    }
  })();
});

document.addEventListener('keydown', (e) => {
  if (loaded === null || e.altKey || e.ctrlKey || e.metaKey) return;
  const target = e.target as HTMLElement;
  const tag = target.tagName;
  const typing = (tag === 'INPUT' && !['range', 'radio', 'file'].includes((target as HTMLInputElement).type)) || tag === 'TEXTAREA' || tag === 'SELECT';
  if (typing) return;
  const radio = tag === 'INPUT' && (target as HTMLInputElement).type === 'radio';
  if (e.key === ' ') {
    // A focused button or link answers Space itself.
    if (tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY' || radio) return;
    e.preventDefault();
    setPlaying(!playing);
  } else if ((e.key === 'ArrowRight' || e.key === 'ArrowLeft') && !radio) {
    e.preventDefault();
    step(e.key === 'ArrowRight' ? 1 : -1);
  } else if (e.key === 'Home' || e.key === 'End') {
    e.preventDefault();
    setPlaying(false);
    seek(e.key === 'Home' ? 0 : loaded.line.end);
  }
});

// Drop a file anywhere on the page.
let dragDepth = 0;
document.addEventListener('dragenter', (e) => {
  if (!e.dataTransfer?.types.includes('Files')) return;
  dragDepth++;
  $('drop-veil').hidden = false;
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) $('drop-veil').hidden = true;
});
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  $('drop-veil').hidden = true;
  const file = e.dataTransfer?.files[0];
  if (file !== undefined) void openFile(file);
});

let resizeFrame = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => renderAll());
}).observe($('main'));

window.addEventListener('error', (e) => errors.push(e.message));
window.addEventListener('hashchange', () => {
  const value = linkValue(location.hash);
  if (value !== null) void openLink(value);
});

if (__TEST_HOOKS__) {
  (window as unknown as { __replay: unknown }).__replay = {
    /** Call time shown, the timeline's end, and errors the page caught. */
    state: () => ({ t, end: loaded?.line.end ?? null, playing, speed, selected, problem: problem?.code ?? null }),
    errors: () => [...errors],
    /** The handoff other pages use, to test it from here. */
    openReplay,
  };
}

translate();
const params = new URLSearchParams(location.search);
const fromLink = linkValue(location.hash);
if (params.get('from') === 'handoff') openHandoff();
else if (fromLink !== null) void openLink(fromLink);
