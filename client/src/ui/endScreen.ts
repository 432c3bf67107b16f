/**
 * The end of a call: the outcome, the figures, a lesson's debrief, the whole ladder, the
 * downloads (PNG, SVG, pcapng, replay), the replay viewer, and the ways on (next lesson, play again).
 */
import { toPcapng } from '../../../shared/export';
import { LEVELS, levelById } from '../../../shared/game/levels';
import { fill, strings } from '../i18n';
import type { LadderNames } from '../ladder';
import { ladderPng, ladderSvg } from '../ladderImage';
import { callTime, other, type CallModel } from '../model';
import { $ } from '../page';
import type { AppState } from '../store';
import type { Ui } from './context';
import { openLesson, stepList } from './lessons';
import { mine } from './callPanel';
import { who } from './narration';
import { openReplay } from '../replay/handoff';

export function mountEndScreen(ui: Ui): void {
  const { socket, store } = ui;
  const model = (): CallModel | null => store.get().model;
  $('export-png').addEventListener('click', () => {
    const m = model();
    if (m !== null) download(fileName(m, 'png'), ladderPng(m, endOfCall(m), ladderNames(m)));
  });
  $('export-svg').addEventListener('click', () => {
    const m = model();
    if (m !== null) downloadBlob(fileName(m, 'svg'), new Blob([ladderSvg(m, endOfCall(m), ladderNames(m))], { type: 'image/svg+xml' }));
  });
  $('export-pcapng').addEventListener('click', () => {
    const m = model();
    if (m === null) return;
    const segments = m.tracks.filter((t) => t.origin === 'sent').map((t) => ({ at: t.sentAt, from: t.from, segment: t.segment }));
    const start = Date.now() - callTime(m, performance.now());
    downloadBlob(fileName(m, 'pcapng'), new Blob([toPcapng(segments, start)], { type: 'application/octet-stream' }));
  });
  $('export-replay').addEventListener('click', () => {
    const m = model();
    if (m?.record !== null && m?.record !== undefined) downloadBlob(fileName(m, 'json'), new Blob([JSON.stringify(m.record, null, 2)], { type: 'application/json' }));
  });
  $('watch-replay').addEventListener('click', () => {
    const m = model();
    if (m?.record !== null && m?.record !== undefined) openReplay(m.record, { a: m.players.a.name, b: m.players.b.name });
  });
  $('next-lesson').addEventListener('click', () => {
    const current = model()?.level;
    const next = current === null || current === undefined ? undefined : LEVELS.find((l) => l.number === levelById(current).number + 1);
    socket.emit('call:leave', {});
    store.update({ model: null, screen: 'lobby' });
    if (next !== undefined) openLesson(ui, next);
  });
  $('rematch').addEventListener('click', () => socket.emit('call:rematch', {}));
  socket.on('call:rematch-status', (status) => {
    const m = model();
    if (m !== null && status.callId === m.callId) store.update({ rematch: status });
  });
  store.subscribe((state) => {
    if (state.screen === 'end') renderRematch(state);
  });
  $('play-again').addEventListener('click', () => {
    socket.emit('call:leave', {});
    store.update({ model: null, screen: 'lobby' });
    if (store.get().workshop === null) $('quick').focus();
  });
}

/** Fill the end screen from the call that just ended, and focus the way on. */
export function renderEnd(state: AppState): void {
  const { model, workshop } = state;
  if (model === null || model.summary === null) return;
  const s = strings();
  const summary = model.summary;
  const me = summary.sides[mine(model)];
  const seconds = (ms: number | null) => (ms === null ? s.end.never : fill(s.end.seconds, { s: (ms / 1000).toFixed(1) }));
  $('end-outcome').textContent = fill(s.end.outcomes[summary.outcome], { who: summary.by === null ? '' : who(model, summary.by) });
  const figures: [string, string | number][] = [
    [s.end.score, me.score],
    [s.end.handshake, seconds(summary.handshakeMs)],
    [s.end.callTime, seconds(summary.callMs)],
    [s.end.retries, summary.sides.a.retransmissions + summary.sides.b.retransmissions],
    [s.end.lost, summary.lostSegments],
    [s.end.mistakes, me.wrongMoves],
  ];
  $('end-figures').replaceChildren(
    ...figures.map(([label, value]) => {
      const div = document.createElement('div');
      div.append(Object.assign(document.createElement('dt'), { textContent: label }), Object.assign(document.createElement('dd'), { textContent: String(value) }));
      return div;
    }),
  );
  const image = $<HTMLImageElement>('end-ladder');
  image.alt = s.call.ladderTitle;
  image.src = ladderPng(model, endOfCall(model), ladderNames(model));
  const level = model.level === null ? null : levelById(model.level);
  $('debrief').hidden = level === null;
  celebrate(summary.outcome === 'polite');
  const earned = level !== null && model.goal?.met === true;
  $('badge-earned').hidden = !earned;
  if (earned) {
    $('badge-earned-medal').textContent = String(level.number);
    $('badge-earned-medal').className = 'medal earned';
    $('badge-earned-text').textContent = fill(s.lessons.badgeEarned, { title: fill(s.lessons.badgeTitle, { n: level.number, title: s.lessons.levels[level.id].title }) });
  }
  const next = level === null ? undefined : LEVELS.find((l) => l.number === level.number + 1);
  // In a workshop the host decides what comes next: only "Back to the workshop".
  $('next-lesson').hidden = next === undefined || model.goal?.met !== true || workshop !== null;
  if (level !== null) {
    const met = model.goal?.met === true;
    $('debrief-title').textContent = met ? s.lessons.debriefTitle : s.lessons.notMetTitle;
    $('debrief-text').textContent = met ? s.lessons.levels[level.id].debrief : s.lessons.notMet;
    stepList($('debrief-steps'), level, model.goal);
  }
}

/** "Call again": offered after any call but a workshop's; says who asked, or who left. */
function renderRematch({ model, workshop, rematch }: AppState): void {
  if (model === null) return;
  const s = strings().end;
  const me = mine(model);
  const partner = other(me);
  const name = model.players[partner].name;
  const button = $<HTMLButtonElement>('rematch');
  button.hidden = workshop !== null;
  button.disabled = rematch !== null && (rematch.left !== null || rematch.wants[me]);
  let note = '';
  if (rematch?.left === partner) note = fill(s.rematchLeft, { name });
  else if (rematch?.wants[me] === true) note = fill(s.rematchWaiting, { name });
  else if (rematch?.wants[partner] === true) note = fill(s.rematchOffer, { name });
  $('rematch-note').textContent = note;
}

/** A polite goodbye: confetti falls over the end screen (not with reduced motion). */
function celebrate(on: boolean): void {
  const box = $('celebrate');
  box.hidden = !on;
  if (!on) return box.replaceChildren();
  const colors = ['#2457d6', '#17803d', '#f2a900', '#c2261f', '#6b3fb8'];
  box.replaceChildren(
    ...Array.from({ length: 36 }, (_, i) => {
      const piece = document.createElement('span');
      piece.style.left = `${(i * 37) % 100}%`;
      piece.style.background = colors[i % colors.length] ?? '#2457d6';
      piece.style.animationDelay = `${(i % 9) * 0.08}s`;
      return piece;
    }),
  );
}

/** Focus the way on from the end screen. */
export function focusEnd(): void {
  ($('next-lesson').hidden ? $('play-again') : $('next-lesson')).focus();
}

function ladderNames(model: CallModel): LadderNames {
  const s = strings();
  return { you: s.call.you, partner: model.players[other(model.you)].name, title: s.call.ladderTitle, old: s.call.old, fake: s.call.fake };
}

/** The call time by which everything of the call has happened (for the exported ladder). */
function endOfCall(model: CallModel): number {
  return Math.max(callTime(model, performance.now()), ...model.tracks.flatMap((t) => [t.sentAt, ...t.copies.map((c) => c.arriveAt), ...t.lost.map((l) => 2 * l.lostAt - t.sentAt)]));
}

function download(name: string, href: string): void {
  const link = Object.assign(document.createElement('a'), { href, download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

function fileName(model: CallModel, extension: string): string {
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
  return `can-you-hear-me-${model.level ?? 'call'}-${stamp}.${extension}`;
}

function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  download(name, url);
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
