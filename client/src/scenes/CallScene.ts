/**
 * The call scene: two call tiles with their state badges and countdown rings, the line
 * between them with envelopes flying at their real timing, speech bubbles with the human
 * line of each segment, and the ladder diagram growing beside it. It draws the model the
 * server filled in, every frame; it decides nothing.
 */
import * as Phaser from 'phaser';
import type { Side } from '../../../shared/call';
import type { Segment, TimerName } from '../../../shared/protocol';
import { fill, strings } from '../i18n';
import { COLORS, FONT_FAMILY, layoutLadder, segmentColor, type LadderLayout, type Measure, type Rect, type Shape } from '../ladder';
import { canvasMeasure } from '../ladderImage';
import { callTime, other, type CallModel, type Track } from '../model';
import { envelopeLabel, humanLine } from '../story';

export const SCENES = { call: 'call' } as const;

const wideArea = (width: number): boolean => width >= 480;

const TIMER_COLORS: Record<TimerName, number> = { reply: 0x2457d6, timeWait: 0xa15c00, keepalive: 0x6b3fb8, retryWait: 0xc2261f };
const STATE_COLORS: Record<string, number> = { ESTABLISHED: 0x17803d, CLOSED: 0x8a93a6, LISTEN: 0x5a6478 };
const LOST_FALL_MS = 900;
const BUBBLE_MS = 3_500;
/** How long a side's mic shows it speaking after it sends, and its picture stays frozen after the line froze. */
const SPEAKING_MS = 900;
const FROZEN_MS = 1_500;
/** How long the party lasts. */
const CELEBRATE_MS = 1_800;

/** A small integer hash (for snow and pixel blocks that look random but repeat exactly). */
function hash32(n: number): number {
  let h = Math.imul(n | 0, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  return (h ^ (h >>> 13)) >>> 0;
}

interface TextStyle {
  readonly size: number;
  readonly color: number;
  readonly align?: 'left' | 'center' | 'right';
  readonly bold?: boolean;
  readonly wrap?: number;
  readonly alpha?: number;
  readonly background?: string;
  /** Place the text's bottom edge at y (it grows upwards). */
  readonly bottom?: boolean;
}

export interface SceneDescription {
  readonly envelopes: number;
  readonly lostFalling: number;
  readonly frozen: boolean;
  readonly badges: { readonly me: string; readonly partner: string };
  readonly rings: number;
  readonly ladderArrows: number;
  readonly ladder: LadderDescription;
  /** The player's own call tile, and the partner's (where their countdown rings are), in canvas pixels. */
  readonly myTile: Rect;
  readonly partnerTile: Rect;
  /** What each video window shows: a picture, a frozen one, or no signal; and whether its mic is lit. */
  readonly video: { readonly me: TileState; readonly partner: TileState };
  /** A short party on screen: just connected, or just said goodbye politely. */
  readonly celebrating: 'connected' | 'goodbye' | null;
}

export interface TileState {
  readonly signal: 'ok' | 'frozen' | 'no-signal';
  readonly speaking: boolean;
}

/** The ladder as drawn in the last frame: what a test checks for overlaps and following. */
export interface LadderDescription {
  /** The ladder labels on screen now, as Phaser drew them (their real bounds). */
  readonly visible: readonly (Rect & { readonly key: string })[];
  /** Every label of the whole ladder as laid out, on screen or scrolled away. */
  readonly all: readonly (Rect & { readonly key: string })[];
  /** How far the ladder is scrolled, and how far it could be (0: it all fits). */
  readonly scrollY: number;
  readonly maxScroll: number;
  /** The newest segment's label key (`t<id>`), if any. */
  readonly newest: string | null;
}

const NO_LADDER: LadderDescription = { visible: [], all: [], scrollY: 0, maxScroll: 0, newest: null };

export class CallScene extends Phaser.Scene {
  private g!: Phaser.GameObjects.Graphics;
  private readonly texts = new Map<string, Phaser.GameObjects.Text>();
  private readonly used = new Set<string>();
  private armed = new Map<string, number>();
  private armedFor = -1;
  private wasFrozen = false;
  reducedMotion = false;
  /** What to draw: the call and the ladder side by side (or stacked), or one of them filling the canvas. */
  view: 'both' | 'call' | 'ladder' = 'both';
  private last: SceneDescription = { envelopes: 0, lostFalling: 0, frozen: false, badges: { me: '', partner: '' }, rings: 0, ladderArrows: 0, ladder: NO_LADDER, myTile: { x: 0, y: 0, width: 0, height: 0 }, partnerTile: { x: 0, y: 0, width: 0, height: 0 }, video: { me: { signal: 'ok', speaking: false }, partner: { signal: 'ok', speaking: false } }, celebrating: null };
  private tileStates: { me: TileState; partner: TileState } = { me: { signal: 'ok', speaking: false }, partner: { signal: 'ok', speaking: false } };
  private readonly measure: Measure = canvasMeasure();
  /** Where the ladder is on screen, for the mouse wheel. */
  private ladderArea: Rect = { x: 0, y: 0, width: 0, height: 0 };
  /** Scrolled back by the player (px up from the newest), or null: follow the newest segment. */
  private ladderBack: number | null = null;
  private ladderMaxScroll = 0;
  /** When each side's picture froze (its video shows that moment until the line is back). */
  private readonly frozenAt = new Map<Side, number>();
  /** When this scene first drew the polite goodbye (its party lasts CELEBRATE_MS from then). */
  private goodbyeSeenAt: number | null = null;
  /** The canvas is short (a phone's call tab): some texts move to save room. */
  private compact = false;

  constructor(private readonly getModel: () => CallModel | null) {
    super({ key: SCENES.call });
  }

  create(): void {
    this.g = this.add.graphics();
    this.cameras.main.setBackgroundColor('#ffffff');
    // The wheel over the ladder scrolls it back through the call; back at the bottom, it follows again.
    this.input.on('wheel', (pointer: Phaser.Input.Pointer, _over: unknown, _dx: number, dy: number) => {
      const a = this.ladderArea;
      if (pointer.x < a.x || pointer.x > a.x + a.width || pointer.y < a.y || pointer.y > a.y + a.height) return;
      const back = Math.min(this.ladderMaxScroll, Math.max(0, (this.ladderBack ?? 0) - dy));
      this.ladderBack = back <= 0 ? null : back;
    });
  }

  override update(): void {
    this.draw();
  }

  describe(): SceneDescription {
    return this.last;
  }

  /** Forget cached timer starts when the model changes. */
  invalidate(): void {
    this.armedFor = -1;
  }

  private draw(): void {
    const g = this.g;
    g.clear();
    this.used.clear();
    const model = this.getModel();
    if (model === null) return this.hideUnused();
    const now = callTime(model, performance.now());
    const width = this.scale.width;
    const height = this.scale.height;
    const wide = width >= 640;
    // On a phone the page shows the call or the ladder, one at a time (its tabs say which).
    const area = this.view === 'ladder' ? null : this.view === 'call' ? { x: 0, y: 0, w: width, h: height } : wide ? { x: 0, y: 0, w: width * 0.58, h: height } : { x: 0, y: 0, w: width, h: height * 0.5 };
    const ladder = this.view === 'call' ? null : this.view === 'ladder' ? { x: 0, y: 0, width, height } : wide ? { x: width * 0.58, y: 0, width: width * 0.42, height } : { x: 0, y: height * 0.5, width, height: height * 0.5 };
    if (area !== null && ladder !== null) {
      g.lineStyle(1, COLORS.line, 1);
      if (wide) g.lineBetween(ladder.x, 12, ladder.x, height - 12);
      else g.lineBetween(12, ladder.y, width - 12, ladder.y);
    }
    const description = area === null ? { ...this.last, envelopes: 0, lostFalling: 0 } : this.drawCall(model, now, area);
    let ladderArrows = 0;
    let ladderDescription: LadderDescription = NO_LADDER;
    if (ladder !== null) {
      const s = strings();
      const layout = layoutLadder(model, now, { x: ladder.x, y: 0, width: ladder.width }, { you: model.spectator ? model.players[model.you].name : s.call.you, partner: model.players[other(model.you)].name, title: s.call.ladderTitle, old: s.call.old, fake: s.call.fake }, this.measure);
      ladderDescription = { ...this.drawLadder(layout, ladder), visible: [] };
      ladderArrows = layout.shapes.filter((x) => x.kind === 'arrow').length;
    }
    this.hideUnused();
    this.last = { ...description, ladderArrows, ladder: { ...ladderDescription, visible: ladder === null ? [] : this.visibleLadderLabels() } };
  }

  private drawCall(model: CallModel, now: number, area: { x: number; y: number; w: number; h: number }): Omit<SceneDescription, 'ladderArrows' | 'ladder'> {
    const g = this.g;
    const s = strings();
    const me = model.you;
    const partner = other(me);
    const frozen = Object.keys(model.away).length > 0;
    if (frozen && !this.wasFrozen && !this.reducedMotion) this.cameras.main.shake(350, 0.006);
    this.wasFrozen = frozen;

    // A short canvas (a phone's call tab) keeps just room for a speech bubble above the tiles;
    // a tall one gets portrait video windows.
    const compact = area.h < 300;
    this.compact = compact;
    const tileW = Math.min(160, area.w * (wideArea(area.w) ? 0.29 : 0.3));
    const tileH = tileW * (compact ? 0.85 : 1.1);
    const cy = area.y + (compact ? tileH / 2 + 62 : wideArea(area.w) ? Math.max(tileH / 2 + 80, area.h * 0.38) : tileH / 2 + 84);
    const xs: Record<Side, number> = { [me]: area.x + area.w * 0.19, [partner]: area.x + area.w * 0.81 } as Record<Side, number>;

    // The line.
    const x1 = xs[me] + tileW / 2 + 8;
    const x2 = xs[partner] - tileW / 2 - 8;
    if (frozen) {
      g.lineStyle(3, 0xb4bccb, 1);
      for (let x = x1; x < x2; x += 14) g.lineBetween(x, cy, Math.min(x + 7, x2), cy);
      this.text('frozen', (x1 + x2) / 2, cy + 14, `❄ ${s.call.frozen}`, { size: 12, color: 0x5a6478, align: 'center', bold: true, wrap: Math.max(40, x2 - x1 - 8) });
    } else {
      g.lineStyle(3, COLORS.line, 1);
      g.lineBetween(x1, cy, x2, cy);
    }
    if (!compact) this.text('linename', area.x + area.w / 2, area.y + area.h - 22, fill(s.call.lineName, { line: s.call.lines[model.line] }), { size: 12, color: COLORS.muted, align: 'center', wrap: area.w * 0.9 });

    let rings = 0;
    for (const side of [me, partner] as const) rings += this.drawTile(model, side, xs[side], cy, tileW, tileH, now, frozen && model.away[side] !== undefined);

    // The listen queue (the flood lesson): one box per half-open slot.
    if (model.backlog !== null) {
      const { used, size } = model.backlog;
      const boxW = 16;
      const left = xs[me] - (size * (boxW + 4)) / 2;
      const top = area.y + area.h - 64;
      for (let i = 0; i < size; i++) {
        g.fillStyle(i < used ? 0xc2261f : 0xe8ecf3, 1);
        g.fillRect(left + i * (boxW + 4), top, boxW, 12);
      }
      this.text(`backlog`, xs[me], top - 16, fill(s.lessons.backlog, { used, size }), { size: 11, color: used >= size ? 0xc2261f : COLORS.muted, align: 'center', bold: used >= size });
    }


    // Envelopes on the line.
    let envelopes = 0;
    let lostFalling = 0;
    const lanes = new Map<number, number>();
    const half = 36; // half an envelope: it starts beside the sender's tile, not on it
    for (const track of model.tracks) {
      const from = xs[track.from] === xs[me] ? x1 + half : x2 - half;
      const to = from === x1 + half ? x2 - half : x1 + half;
      for (const copy of track.copies) {
        if (now < track.sentAt || now >= copy.arriveAt) continue;
        const p = (now - track.sentAt) / Math.max(1, copy.arriveAt - track.sentAt);
        const lane = lanes.get(Math.round(p * 10)) ?? 0;
        lanes.set(Math.round(p * 10), lane + 1);
        this.drawEnvelope(`e${track.id}${copy.duplicate ? 'd' : ''}`, track, from + (to - from) * p, cy - 4 + lane * 30 + (copy.duplicate ? 18 : 0), 1, false);
        envelopes++;
      }
      for (const [i, lost] of track.lost.entries()) {
        if (now < track.sentAt || now >= lost.lostAt + LOST_FALL_MS) continue;
        const fullMs = Math.max(1, 2 * (lost.lostAt - track.sentAt));
        const p = Math.min(0.5, (now - track.sentAt) / fullMs);
        const x = from + (to - from) * p;
        if (now < lost.lostAt) {
          this.drawEnvelope(`l${track.id}.${i}`, track, x, cy - 4, 1, false);
          envelopes++;
        } else {
          const k = (now - lost.lostAt) / LOST_FALL_MS;
          const drop = this.reducedMotion ? 0 : 70 * k * k;
          this.drawEnvelope(`l${track.id}.${i}`, track, x, cy - 4 + drop, 1 - k, true);
          lostFalling++;
        }
      }
    }
    return {
      envelopes,
      lostFalling,
      frozen,
      badges: { me: model.view[me].state, partner: model.view[partner].state },
      rings,
      myTile: { x: xs[me] - tileW / 2, y: cy - tileH / 2, width: tileW, height: tileH },
      partnerTile: { x: xs[partner] - tileW / 2, y: cy - tileH / 2, width: tileW, height: tileH },
      video: { ...this.tileStates },
      celebrating: this.celebrate(model, now, area),
    };
  }

  /** One call tile, its badge, its countdown rings and its latest speech bubble. Returns the rings drawn. */
  private drawTile(model: CallModel, side: Side, cx: number, cy: number, w: number, h: number, now: number, away: boolean): number {
    const g = this.g;
    const s = strings();
    const view = model.view[side];
    const mine = side === model.you && !model.spectator;
    const accent = (model.spectator ? side === 'a' : mine) ? 0x2457d6 : 0x6b3fb8;

    const signal = this.signalOf(model, side, now, away);
    const speaking = signal === 'ok' && this.speaking(model, side, now);
    this.tileStates[side === model.you ? 'me' : 'partner'] = { signal, speaking };
    this.drawVideo(side, mine, cx, cy, w, h, now, signal, speaking, accent);
    const label = mine ? `${model.players[side].name} (${s.call.you})` : `${model.players[side].name}${model.players[side].bot ? ` · ${s.call.bot}` : ''}`;
    this.text(`name.${side}`, cx, cy - h / 2 - 22, label, { size: 14, color: COLORS.ink, align: 'center', bold: true, wrap: w + 60 });

    // Countdown rings inside the tile, around the person: the remaining share of each wait.
    const timers = view.timers;
    const starts = this.timerStarts(model);
    let ring = 0;
    let below = cy + h / 2 + 8;
    const state = view.state;
    const badgeColor = STATE_COLORS[state] ?? 0xa15c00;
    const badgeW = Math.max(92, state.length * 9 + 18);
    g.fillStyle(badgeColor, 1);
    g.fillRoundedRect(cx - badgeW / 2, below, badgeW, 24, 12);
    this.text(`badge.${side}`, cx, below + 4, state, { size: 13, color: 0xffffff, align: 'center', bold: true });
    below += 30;
    for (const name of ['reply', 'timeWait', 'retryWait', 'keepalive'] as const) {
      const end = timers[name];
      if (end === null) continue;
      const start = starts.get(`${side}.${name}`) ?? now;
      const total = Math.max(1, end - start);
      const left = Math.max(0, Math.min(1, (end - now) / total));
      const radius = h * 0.44 - ring * 8;
      g.lineStyle(6, 0xe8ecf3, 1);
      g.strokeCircle(cx, cy, radius);
      g.lineStyle(6, TIMER_COLORS[name], 1);
      g.beginPath();
      g.arc(cx, cy, radius, -Math.PI / 2, -Math.PI / 2 + Math.PI * 2 * left, false);
      g.strokePath();
      const secs = Math.max(0, (end - now) / 1000).toFixed(1);
      // While an answer waits for this player, the reply timer is how long they have before TCP asks again.
      const what = name === 'reply' && view.pending.length > 0 ? s.call.timers.answerBy : s.call.timers[name];
      this.text(`ring.${side}.${name}`, cx, below, `${secs} s · ${what}`, { size: 12, color: TIMER_COLORS[name], align: 'center', bold: true });
      below += 17;
      ring++;
    }
    if (view.retries > 0 && this.compact) {
      // No room below on a short canvas: on the window's top edge instead.
      this.text(`retries.${side}`, cx, cy - h / 2 - 2, fill(s.call.retries, { n: view.retries, max: model.maxRetries }), { size: 11, color: 0xffffff, align: 'center', bold: true, background: '#c2261f' });
    } else if (view.retries > 0) {
      this.text(`retries.${side}`, cx, below, fill(s.call.retries, { n: view.retries, max: model.maxRetries }), { size: 12, color: 0xc2261f, align: 'center', bold: true });
      below += 17;
    }
    // On a narrow screen the page says what the state means; here there is no room.
    if (this.scale.width >= 640) this.text(`meaning.${side}`, cx, below + 2, s.states[state], { size: 11, color: COLORS.muted, align: 'center', wrap: Math.max(120, w + 40) });

    // Speech bubble: the human line of this side's latest segment.
    const latest = [...model.tracks].reverse().find((t) => t.from === side && t.origin === 'sent' && t.sentAt <= now);
    if (!mine && view.pending.length > 0 && (latest === undefined || now - latest.sentAt >= BUBBLE_MS)) {
      // The partner has something to answer: they are thinking.
      this.text(`bubble.${side}`, cx, cy - h / 2 - 28, '…', { size: 18, color: COLORS.muted, align: 'center', bold: true, background: '#eef1f6', bottom: true });
    } else if (latest !== undefined && now - latest.sentAt < BUBBLE_MS) {
      const alpha = this.reducedMotion ? 1 : Math.min(1, (BUBBLE_MS - (now - latest.sentAt)) / 600);
      this.text(`bubble.${side}`, cx, cy - h / 2 - 28, humanLine(latest, model), {
        size: 15,
        color: COLORS.ink,
        align: 'center',
        bold: true,
        wrap: w + 70,
        alpha,
        background: '#fff6d8',
        bottom: true,
      });
    }
    return ring;
  }

  /**
   * Confetti and a banner for a moment after this player's side connected, and after a
   * polite goodbye (until the end screen comes). With reduced motion, the banner alone.
   */
  private celebrate(model: CallModel, now: number, area: { x: number; y: number; w: number; h: number }): 'connected' | 'goodbye' | null {
    const s = strings().end;
    let what: 'connected' | 'goodbye' | null = null;
    let elapsed = 0;
    if (model.summary?.outcome === 'polite') {
      this.goodbyeSeenAt ??= now;
      what = 'goodbye';
      elapsed = now - this.goodbyeSeenAt;
    } else {
      this.goodbyeSeenAt = null;
      const connected = [...model.states].reverse().find((m) => m.side === model.you && m.to === 'ESTABLISHED');
      if (connected !== undefined && now >= connected.at && now - connected.at < CELEBRATE_MS) {
        what = 'connected';
        elapsed = now - connected.at;
      }
    }
    if (what === null || elapsed >= CELEBRATE_MS) return null;
    const g = this.g;
    const k = elapsed / CELEBRATE_MS;
    if (!this.reducedMotion) {
      const colors = [0x2457d6, 0x17803d, 0xf2a900, 0xc2261f, 0x6b3fb8];
      for (let i = 0; i < 40; i++) {
        const x = area.x + (((i * 53) % 100) / 100) * area.w + Math.sin(elapsed / 200 + i) * 8;
        const y = area.y - 10 + k * area.h * (0.7 + (i % 5) * 0.08) - (i % 7) * 12;
        const spin = Math.abs(Math.sin(elapsed / 150 + i));
        g.fillStyle(colors[i % colors.length] ?? 0x2457d6, 1 - k * 0.6);
        g.fillRect(x, y, 4 + 5 * spin, 9);
      }
    }
    this.text('celebrate', area.x + area.w / 2, area.y + area.h * 0.72, what === 'connected' ? `★ ${s.celebrateConnected} ★` : `★ ${s.celebrateGoodbye} ★`, {
      size: 20,
      color: 0x17803d,
      align: 'center',
      bold: true,
      background: '#eafbef',
    });
    return what;
  }

  /**
   * What a side's video window shows: no signal while that player is away, a frozen
   * picture for a moment after the line froze on something they said, else the picture.
   */
  private signalOf(model: CallModel, side: Side, now: number, away: boolean): TileState['signal'] {
    if (away) return 'no-signal';
    for (let i = model.tracks.length - 1; i >= 0 && i >= model.tracks.length - 12; i--) {
      const t = model.tracks[i];
      if (t === undefined || t.from !== side) continue;
      if (t.lost.some((l) => l.reason === 'freeze' && now >= l.lostAt && now < l.lostAt + FROZEN_MS)) return 'frozen';
    }
    return 'ok';
  }

  /** A side is speaking while its latest segment is just leaving. */
  private speaking(model: CallModel, side: Side, now: number): boolean {
    for (let i = model.tracks.length - 1; i >= 0; i--) {
      const t = model.tracks[i];
      if (t === undefined || t.sentAt > now) continue;
      if (now - t.sentAt > SPEAKING_MS) return false;
      if (t.from === side && t.origin === 'sent') return true;
    }
    return false;
  }

  /**
   * A video window: a little person drawn by the game (they bob, blink, and move their
   * mouth while speaking), a mic that lights up, and what the line does to the picture:
   * frozen and pixelated, or "no signal" snow.
   */
  private drawVideo(side: Side, mine: boolean, cx: number, cy: number, w: number, h: number, now: number, signal: TileState['signal'], speaking: boolean, accent: number): void {
    const g = this.g;
    const s = strings();
    const left = cx - w / 2;
    const top = cy - h / 2;
    const motion = !this.reducedMotion;
    // The picture stops where it froze.
    const t = signal === 'frozen' ? (this.frozenAt.get(side) ?? now) : now;
    if (signal === 'frozen' && !this.frozenAt.has(side)) this.frozenAt.set(side, now);
    if (signal !== 'frozen') this.frozenAt.delete(side);
    const seed = side === 'a' ? 0 : 1_700;

    g.fillStyle(0x1f2a3d, 1);
    g.fillRoundedRect(left - 4, top - 4, w + 8, h + 8, 16);
    if (signal === 'no-signal') {
      // Snow: grey blocks that change every 80 ms.
      const cell = Math.max(6, Math.round(w / 14));
      const frame = motion ? Math.floor(now / 80) : 0;
      for (let y = top; y < top + h; y += cell) {
        for (let x = left; x < left + w; x += cell) {
          const v = hash32(x * 31 + y * 17 + frame * 7919 + seed) & 0xff;
          const grey = 0x40 + (v >> 1);
          g.fillStyle((grey << 16) | (grey << 8) | grey, 1);
          g.fillRect(x, y, Math.min(cell, left + w - x), Math.min(cell, top + h - y));
        }
      }
      this.text(`signal.${side}`, cx, cy - 10, s.call.noSignal, { size: 13, color: 0xffffff, align: 'center', bold: true, background: '#1f2a3d' });
      return;
    }
    g.fillStyle(mine ? 0xdce6fb : 0xe9e1f8, 1);
    g.fillRoundedRect(left, top, w, h, 12);
    // The person: shoulders, neck, head, hair, eyes, mouth.
    const bob = motion ? Math.sin((t + seed) / 420) * h * 0.012 : 0;
    const headR = Math.min(w, h) * 0.2;
    const headY = cy - h * 0.08 + bob;
    g.fillStyle(accent, 1);
    const shoulders = h - (headY + headR * 1.15 - top);
    g.fillRoundedRect(cx - w * 0.36, top + h - shoulders, w * 0.72, shoulders, { tl: w * 0.2, tr: w * 0.2, bl: 0, br: 0 });
    g.fillStyle(side === 'a' ? 0xf1c7a1 : 0xd9a07a, 1);
    g.fillRect(cx - headR * 0.3, headY + headR * 0.7, headR * 0.6, headR * 0.6);
    g.fillCircle(cx, headY, headR);
    g.fillStyle(side === 'a' ? 0x4a3426 : 0x1d1d2b, 1);
    g.beginPath();
    g.arc(cx, headY - headR * 0.1, headR * 1.04, Math.PI * 1.05, Math.PI * 1.95, false);
    g.fillPath();
    const blink = motion && (t + seed * 3) % 3_300 < 130;
    g.fillStyle(0x1b2437, 1);
    for (const dx of [-0.38, 0.38]) {
      if (blink) g.fillRect(cx + dx * headR - headR * 0.13, headY - headR * 0.05, headR * 0.26, headR * 0.06);
      else g.fillCircle(cx + dx * headR, headY - headR * 0.02, headR * 0.1);
    }
    const mouthY = headY + headR * 0.45;
    if (speaking) {
      const open = motion ? 0.12 + 0.16 * Math.abs(Math.sin(t / 70)) : 0.2;
      g.fillStyle(0x8a2f2f, 1);
      g.fillEllipse(cx, mouthY, headR * 0.45, headR * open * 1.6);
    } else {
      g.lineStyle(2, 0x8a2f2f, 1);
      g.beginPath();
      g.arc(cx, mouthY - headR * 0.12, headR * 0.22, Math.PI * 0.2, Math.PI * 0.8, false);
      g.strokePath();
    }
    // The mic, lit while speaking, with sound bars.
    const mx = left + 14;
    const my = top + h - 14;
    g.fillStyle(speaking ? 0x17803d : 0x5a6478, 0.9);
    g.fillCircle(mx, my, 9);
    g.fillStyle(0xffffff, 1);
    g.fillRoundedRect(mx - 2.5, my - 6, 5, 8, 2.5);
    g.fillRect(mx - 0.75, my + 2, 1.5, 3);
    if (speaking) {
      for (let i = 0; i < 3; i++) {
        const bar = motion ? 3 + 6 * Math.abs(Math.sin(t / 90 + i * 1.3)) : 6;
        g.fillStyle(0x17803d, 1);
        g.fillRect(mx + 13 + i * 5, my + 4 - bar, 3, bar);
      }
    }
    if (signal === 'frozen') {
      // Pixelated: the picture under big translucent blocks, and a frost label.
      const cell = Math.max(8, Math.round(w / 9));
      for (let y = top; y < top + h; y += cell) {
        for (let x = left; x < left + w; x += cell) {
          // Blue-grey blocks, each a little lighter or darker.
          const v = 0xb8 + (hash32(x * 13 + y * 29 + seed) & 0x37);
          g.fillStyle(((v - 24) << 16) | ((v - 12) << 8) | v, 0.55);
          g.fillRect(x, y, Math.min(cell, left + w - x), Math.min(cell, top + h - y));
        }
      }
      this.text(`signal.${side}`, cx, top + 8, `❄ ${s.call.frozenPicture}`, { size: 12, color: 0xffffff, align: 'center', bold: true, background: '#1f2a3d' });
    }
  }

  private drawEnvelope(key: string, track: Track, x: number, y: number, alpha: number, lost: boolean): void {
    const g = this.g;
    const seg: Segment = track.segment;
    const color = track.wrong ? COLORS.wrong : track.origin === 'sent' ? segmentColor(seg) : COLORS.muted;
    const w = 66;
    const h = 40;
    g.fillStyle(0xffffff, alpha);
    g.lineStyle(3, color, alpha);
    g.fillRoundedRect(x - w / 2, y - h / 2, w, h, 5);
    g.strokeRoundedRect(x - w / 2, y - h / 2, w, h, 5);
    g.lineStyle(1.5, color, alpha * 0.6);
    g.lineBetween(x - w / 2 + 3, y - h / 2 + 3, x, y + 2);
    g.lineBetween(x + w / 2 - 3, y - h / 2 + 3, x, y + 2);
    // Flag marks by shape as well as colour: ● SYN, ✓ ACK, ⚑ FIN, ✕ RST.
    let mx = x - w / 2 + 8;
    const my = y + h / 2 - 9;
    if (seg.syn) {
      g.fillStyle(COLORS.syn, alpha);
      g.fillCircle(mx, my, 4);
      mx += 12;
    }
    if (seg.ack) {
      g.lineStyle(2.5, COLORS.ack, alpha);
      g.lineBetween(mx - 4, my, mx - 1, my + 3);
      g.lineBetween(mx - 1, my + 3, mx + 5, my - 4);
      mx += 12;
    }
    if (seg.fin) {
      g.fillStyle(COLORS.fin, alpha);
      g.fillTriangle(mx - 3, my - 5, mx - 3, my + 1, mx + 5, my - 2);
      g.lineStyle(2, COLORS.fin, alpha);
      g.lineBetween(mx - 3, my - 5, mx - 3, my + 5);
      mx += 12;
    }
    if (seg.rst || lost) {
      g.lineStyle(3, COLORS.rst, alpha);
      const cx = lost ? x : mx;
      const cy = lost ? y : my;
      const r = lost ? 12 : 4;
      g.lineBetween(cx - r, cy - r, cx + r, cy + r);
      g.lineBetween(cx + r, cy - r, cx - r, cy + r);
    }
    const { flags, numbers } = envelopeLabel(seg);
    const tag = track.origin === 'old' ? `${strings().call.old} ` : track.origin === 'fake' ? `${strings().call.fake} ` : track.retransmit ? '↻ ' : '';
    this.text(`${key}.f`, x, y - h / 2 - 18, `${tag}${flags}`, { size: 13, color, align: 'center', bold: true, alpha });
    this.text(`${key}.n`, x, y + h / 2 + 3, numbers, { size: 11, color: COLORS.ink, align: 'center', alpha });
    if (seg.data !== '') this.text(`${key}.d`, x, y + h / 2 + 17, `"${seg.data.length > 12 ? `${seg.data.slice(0, 11)}…` : seg.data}"`, { size: 11, color: COLORS.data, align: 'center', alpha });
  }

  /**
   * Draw the ladder into `area`: the header stays put; below it a window on the ladder,
   * following the newest row unless the player scrolled back. Shapes outside the window
   * are clipped (lines) or left out (labels, crosses).
   */
  private drawLadder(layout: LadderLayout, area: Rect): Omit<LadderDescription, 'visible'> {
    this.ladderArea = area;
    const viewBottom = area.height - 6;
    const maxScroll = Math.max(0, layout.height - viewBottom);
    this.ladderMaxScroll = maxScroll;
    const back = Math.min(this.ladderBack ?? 0, maxScroll);
    const scrollY = maxScroll - back;
    const lo = layout.top;
    const shift = (y: number): number => y - scrollY + area.y;
    const shapes: Shape[] = [];
    for (const shape of layout.shapes) {
      if (shape.kind === 'text') {
        const header = shape.box.y < lo;
        if (header) shapes.push({ ...shape, y: shape.y + area.y });
        else if (shape.box.y - scrollY >= lo && shape.box.y + shape.box.height - scrollY <= viewBottom) shapes.push({ ...shape, y: shift(shape.y) });
      } else if (shape.kind === 'cross') {
        if (shape.y - shape.size - scrollY >= lo && shape.y + shape.size - scrollY <= viewBottom) shapes.push({ ...shape, y: shift(shape.y) });
      } else {
        const clipped = clip(shape.x1, shape.y1 - scrollY, shape.x2, shape.y2 - scrollY, lo, viewBottom);
        if (clipped === null) continue;
        // An arrow cut short by the window's edge loses its head.
        const head = shape.kind === 'arrow' && shape.head && clipped.y2 === shape.y2 - scrollY;
        shapes.push({ ...shape, ...clipped, y1: clipped.y1 + area.y, y2: clipped.y2 + area.y, ...(shape.kind === 'arrow' ? { head } : {}) } as Shape);
      }
    }
    this.drawShapes(shapes);
    if (scrollY > 0) this.text('ladder.more', area.x + area.width - 8, area.y + lo, '↑', { size: 13, color: COLORS.muted, align: 'right', bold: true });
    const newest = [...layout.labels].reverse().find((l) => l.key.startsWith('t'));
    return { all: layout.labels, scrollY, maxScroll, newest: newest?.key ?? null };
  }

  /** The ladder's labels on screen now, from the Phaser texts themselves. */
  private visibleLadderLabels(): (Rect & { key: string })[] {
    const out: (Rect & { key: string })[] = [];
    for (const [key, t] of this.texts) {
      if (!t.visible || !/^ladder\.[ts]\d/.test(key)) continue;
      const b = t.getBounds();
      out.push({ key: key.slice('ladder.'.length), x: b.x, y: b.y, width: b.width, height: b.height });
    }
    return out;
  }

  private drawShapes(shapes: readonly Shape[]): void {
    const g = this.g;
    for (const s of shapes) {
      if (s.kind === 'line') {
        g.lineStyle(s.width, s.color, 1);
        g.lineBetween(s.x1, s.y1, s.x2, s.y2);
      } else if (s.kind === 'arrow') {
        g.lineStyle(2, s.color, 1);
        if (s.dashed === true) this.dashed(s.x1, s.y1, s.x2, s.y2);
        else g.lineBetween(s.x1, s.y1, s.x2, s.y2);
        if (s.head) {
          const a = Math.atan2(s.y2 - s.y1, s.x2 - s.x1);
          g.fillStyle(s.color, 1);
          g.fillTriangle(s.x2, s.y2, s.x2 - 10 * Math.cos(a - 0.4), s.y2 - 10 * Math.sin(a - 0.4), s.x2 - 10 * Math.cos(a + 0.4), s.y2 - 10 * Math.sin(a + 0.4));
        }
      } else if (s.kind === 'cross') {
        g.lineStyle(3, s.color, 1);
        g.lineBetween(s.x - s.size, s.y - s.size, s.x + s.size, s.y + s.size);
        g.lineBetween(s.x + s.size, s.y - s.size, s.x - s.size, s.y + s.size);
      } else {
        this.text(`ladder.${s.key}`, s.x, s.y, s.text, { size: s.size, color: s.color, align: s.align, bold: s.bold ?? false });
      }
    }
  }

  /** A dashed line with the current line style. */
  private dashed(x1: number, y1: number, x2: number, y2: number): void {
    const length = Math.hypot(x2 - x1, y2 - y1);
    for (let d = 0; d < length; d += 12) {
      const k1 = d / length;
      const k2 = Math.min(1, (d + 6) / length);
      this.g.lineBetween(x1 + (x2 - x1) * k1, y1 + (y2 - y1) * k1, x1 + (x2 - x1) * k2, y1 + (y2 - y1) * k2);
    }
  }

  /** When each running timer was armed, from the events (cached until the model changes). */
  private timerStarts(model: CallModel): Map<string, number> {
    if (this.armedFor === model.events.length) return this.armed;
    const armed = new Map<string, number>();
    for (const e of model.events) {
      if (e.type === 'endpoint' && e.event.type === 'timer-armed') armed.set(`${e.side}.${e.event.timer}`, e.at);
    }
    this.armed = armed;
    this.armedFor = model.events.length;
    return armed;
  }

  private text(key: string, x: number, y: number, value: string, style: TextStyle): void {
    let t = this.texts.get(key);
    const color = `#${style.color.toString(16).padStart(6, '0')}`;
    if (t === undefined) {
      t = this.add.text(0, 0, '', { fontFamily: FONT_FAMILY });
      t.setResolution(Math.min(2, window.devicePixelRatio || 1));
      this.texts.set(key, t);
    }
    const sizePx = `${style.size}px`;
    if (t.style.fontSize !== sizePx) t.setFontSize(sizePx);
    if (t.style.color !== color) t.setColor(color);
    const weight = style.bold === true ? 'bold' : 'normal';
    if (t.style.fontStyle !== weight) t.setFontStyle(weight);
    const align = style.align ?? 'left';
    if (t.style.align !== align) t.setAlign(align);
    const wrap = style.wrap ?? 0;
    if ((t.style.wordWrapWidth ?? 0) !== wrap) t.setWordWrapWidth(wrap > 0 ? wrap : null, true);
    const background = style.background ?? null;
    if ((t.style.backgroundColor ?? null) !== background) {
      t.setBackgroundColor(background ?? '');
      t.setPadding(background === null ? 0 : 6);
    }
    if (t.text !== value) t.setText(value);
    t.setOrigin(align === 'center' ? 0.5 : align === 'right' ? 1 : 0, style.bottom === true ? 1 : 0);
    // Keep centred text inside the canvas (a long speech bubble near the edge).
    if (align === 'center') x = Math.min(Math.max(x, t.width / 2 + 4), this.scale.width - t.width / 2 - 4);
    t.setPosition(Math.round(x), Math.round(y));
    t.setAlpha(style.alpha ?? 1);
    t.setVisible(true);
    t.setDepth(key.startsWith('bubble') ? 10 : 1);
    this.used.add(key);
  }

  private hideUnused(): void {
    for (const [key, t] of this.texts) if (!this.used.has(key)) t.setVisible(false);
  }
}

/** The part of the line from (x1, y1) to (x2, y2) between y = lo and y = hi, or null. */
function clip(x1: number, y1: number, x2: number, y2: number, lo: number, hi: number): { x1: number; y1: number; x2: number; y2: number } | null {
  if (Math.max(y1, y2) < lo || Math.min(y1, y2) > hi) return null;
  if (y1 === y2) return { x1, y1, x2, y2 };
  const at = (y: number): number => (y2 === y1 ? x1 : x1 + ((x2 - x1) * (y - y1)) / (y2 - y1));
  const cy1 = Math.min(hi, Math.max(lo, y1));
  const cy2 = Math.min(hi, Math.max(lo, y2));
  return { x1: at(cy1), y1: cy1, x2: at(cy2), y2: cy2 };
}
