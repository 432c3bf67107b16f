/**
 * The page: lobby, call panel and end screen in the DOM, the call scene in Phaser. It
 * turns clicks into requests and draws what the server says; it decides nothing.
 */
import type { CallEvent, Side } from '../../shared/call';
import { toPcapng } from '../../shared/export';
import { checkGoal, LEVELS, levelById, type GoalResult, type Level, type LevelId } from '../../shared/game/levels';
import { formatSegment, makeSegment } from '../../shared/protocol';
import type { Segment } from '../../shared/protocol';
import type { CallStarted, ErrorCode, LineName, Personality, WireError, WorkshopStatus } from '../../shared/wire';
import { ladderPng, ladderSvg, type LadderNames } from './ladder';
import { fill, lang, onLangChange, setLang, strings } from './i18n';
import { applyUpdate, callTime, createModel, other, type CallModel } from './model';
import { connect, savedName } from './net';
import { $, toast, translateStatic } from './page';
import { humanLine } from './story';
import type { GameView } from './scenes/game';

/** Phaser is big: it loads after the lobby is usable, not before. */
let gameModule: Promise<typeof import('./scenes/game')> | null = null;
const loadGame = () => (gameModule ??= import('./scenes/game'));

declare const __TEST_HOOKS__: boolean;

type Screen = 'lobby' | 'call' | 'end';
let screen: Screen = 'lobby';
let model: CallModel | null = null;
let game: GameView | null = null;
let playerName = '';
let waiting: 'queue' | 'private' | null = null;
let reducedMotion = localStorage.getItem('cyhm.reducedMotion') === '1' || matchMedia('(prefers-reduced-motion: reduce)').matches;
const consoleErrors: string[] = [];

// ---------------------------------------------------------------- text

function translatePage(): void {
  const s = strings();
  translateStatic(s.app.title);
  $('how-list').replaceChildren(...s.lobby.how.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
  $('scoring-list').replaceChildren(...s.lessons.scoring.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
  renderLessons();
  renderWorkshop();
  $<HTMLInputElement>('join-code').placeholder = s.lobby.joinPlaceholder;
  $<HTMLInputElement>('chat-input').placeholder = s.chat.placeholder;
  for (const flag of ['syn', 'ack', 'fin', 'rst'] as const) {
    const label = document.querySelector<HTMLElement>(`.flag.${flag}`);
    if (label !== null) label.title = s.builder.flagHelp[flag.toUpperCase() as 'SYN' | 'ACK' | 'FIN' | 'RST'];
  }
  if (model !== null) renderCall();
  game?.refresh();
}

function errorText(error: WireError): string {
  const table = strings().errors as Record<string, string>;
  return table[error.code] ?? error.message;
}

function show(next: Screen): void {
  screen = next;
  $('lobby').hidden = next !== 'lobby';
  $('call').hidden = next !== 'call';
  $('end').hidden = next !== 'end';
}

// ---------------------------------------------------------------- connection

const connection = connect((welcome) => {
  playerName = welcome.name;
  const input = $<HTMLInputElement>('name');
  if (document.activeElement !== input) input.value = welcome.name;
  setBanner(null);
  setLobbyBusy(false);
});
const socket = connection.socket;
setBanner(strings().app.connecting);
setLobbyBusy(true);
socket.on('connect_error', () => setBanner(strings().app.offline));
socket.on('disconnect', () => setBanner(strings().app.offline));
socket.on('server:closing', () => setBanner(strings().app.closing));
socket.on('error', (error) => {
  if (error.code === 'session/unknown-resume') return;
  toast(errorText(error));
  if (error.event === 'call:join' || error.event === 'call:create' || error.event === 'queue:join') stopWaiting();
});

socket.on('queue:waiting', () => startWaiting('queue'));
socket.on('queue:bot-offer', () => {
  $('accept-bot').hidden = false;
  $('waiting-hint').textContent = strings().lobby.botOffer;
});
socket.on('queue:left', () => stopWaiting());
socket.on('call:created', ({ code, link }) => {
  startWaiting('private');
  $('share').hidden = false;
  $('share-code').textContent = code;
  $('copy-link').dataset.link = new URL(link, location.origin).href;
});
socket.on('call:started', (started) => beginCall(started));

// ---------------------------------------------------------------- workshops (as a participant)

let workshop: WorkshopStatus | null = null;
/** The workshop round this player already played its call in. */
let playedRound = 0;

socket.on('workshop:status', (status) => {
  workshop = status;
  stopWaiting();
  renderWorkshop();
});
socket.on('workshop:removed', () => {
  workshop = null;
  toast(strings().workshop.participant.removed);
  renderWorkshop();
});

function renderWorkshop(): void {
  const s = strings().workshop.participant;
  const box = $('workshop');
  box.hidden = workshop === null;
  if (workshop === null) {
    $('line').closest('label')!.hidden = false;
    $('teaching').closest('label')!.hidden = false;
  }
  // In a workshop the host decides who plays whom: the other ways in step aside.
  $('ways').hidden = workshop !== null || waiting !== null;
  $('lessons').hidden = workshop !== null;
  $<HTMLButtonElement>('play-again').textContent = workshop === null ? strings().end.playAgain : s.back;
  if (workshop === null) return;
  $('workshop-title').textContent = fill(s.title, { title: workshop.title });
  $('workshop-state').textContent = !workshop.roundOpen ? s.waiting : playedRound === workshop.round ? s.played : fill(s.inRound, { n: workshop.round });
  // The host sets the line and teaching mode for everyone: those lobby settings step aside.
  $('line').closest('label')!.hidden = true;
  $('teaching').closest('label')!.hidden = true;
  const ranking = workshop.ranking;
  $('workshop-ranking-box').hidden = ranking === null;
  $('workshop-ranking').replaceChildren(
    ...(ranking ?? []).map((r) => Object.assign(document.createElement('li'), { textContent: `${r.name} · ${r.score}${r.name === workshop?.name ? ` ← ${strings().you}` : ''}`, className: r.name === workshop?.name ? 'me' : '' })),
  );
}
socket.on('call:update', (update) => {
  if (model === null || update.callId !== model.callId) return;
  applyUpdate(model, update, performance.now());
  narrate(update.events);
  renderCall();
  game?.refresh();
});
socket.on('call:partner', (status) => {
  if (model === null || status.callId !== model.callId) return;
  const who = model.players[status.side].name;
  if (status.connected) {
    delete model.away[status.side];
    if (status.bot === true) model.players[status.side] = { ...model.players[status.side], bot: true };
    log(fill(strings().log.partnerBack, { who }), 'good');
  } else {
    model.away[status.side] = status.graceUntil ?? 0;
    log(fill(strings().log.partnerAway, { who }), 'warn');
  }
  renderCall();
  game?.refresh();
});
socket.on('call:ended', ({ callId, summary, goal, record }) => {
  if (model === null || callId !== model.callId) return;
  model.summary = summary;
  model.goal = goal;
  model.record = record;
  if (model.level !== null && goal?.met === true) markDone(model.level);
  renderCall();
  game?.refresh();
  // Let the last envelope land before the end screen.
  window.setTimeout(() => showEnd(), reducedMotion ? 300 : 1_500);
});

function setBanner(text: string | null): void {
  const el = $('banner');
  el.hidden = text === null;
  el.textContent = text ?? '';
}

function sayHello(): void {
  const name = $<HTMLInputElement>('name').value.trim();
  connection.hello(name === '' ? undefined : name, lang());
}

// ---------------------------------------------------------------- lobby

function selectedLine(): LineName {
  return $<HTMLSelectElement>('line').value as LineName;
}

function teaching(): boolean {
  return $<HTMLInputElement>('teaching').checked;
}

function setLobbyBusy(busy: boolean): void {
  for (const id of ['quick', 'create', 'practice']) $<HTMLButtonElement>(id).disabled = busy;
  for (const el of $('join-form').querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input')) el.disabled = busy;
}

function startWaiting(kind: 'queue' | 'private'): void {
  waiting = kind;
  const s = strings().lobby;
  $('ways').hidden = true;
  $('waiting').hidden = false;
  $('share').hidden = kind !== 'private';
  $('accept-bot').hidden = true;
  $('waiting-text').textContent = kind === 'queue' ? s.waitingPartner : s.waitingFriend;
  $('waiting-hint').textContent = kind === 'queue' ? s.waitingPartnerHint : '';
  $('cancel-wait').focus();
}

function stopWaiting(): void {
  waiting = null;
  $('ways').hidden = false;
  $('waiting').hidden = true;
}

$('quick').addEventListener('click', () => {
  sayHello();
  socket.emit('queue:join', { line: selectedLine(), teaching: teaching() });
});
$('create').addEventListener('click', () => {
  sayHello();
  socket.emit('call:create', { line: selectedLine(), teaching: teaching() });
});
$('practice').addEventListener('click', () => {
  sayHello();
  socket.emit('call:practice', { line: selectedLine(), teaching: teaching(), personality: $<HTMLSelectElement>('personality').value as Personality });
});

// ---------------------------------------------------------------- lessons

const PROGRESS_KEY = 'cyhm.lessonsDone';
let chosenLesson: Level | null = null;

function lessonsDone(): Set<LevelId> {
  try {
    const saved = JSON.parse(localStorage.getItem(PROGRESS_KEY) ?? '[]') as unknown;
    return new Set(Array.isArray(saved) ? saved.filter((id): id is LevelId => LEVELS.some((l) => l.id === id)) : []);
  } catch {
    return new Set();
  }
}

function markDone(id: LevelId): void {
  const done = lessonsDone();
  done.add(id);
  localStorage.setItem(PROGRESS_KEY, JSON.stringify([...done]));
}

function renderLessons(): void {
  const s = strings().lessons;
  const done = lessonsDone();
  $('lesson-list').replaceChildren(
    ...LEVELS.map((level) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.level = level.id;
      button.className = done.has(level.id) ? 'is-done' : '';
      button.append(
        Object.assign(document.createElement('span'), { className: 'n', textContent: fill(s.lesson, { n: level.number }) }),
        Object.assign(document.createElement('span'), { className: 't', textContent: s.levels[level.id].title }),
      );
      if (done.has(level.id)) button.append(Object.assign(document.createElement('span'), { className: 'done', textContent: `✓ ${s.done}` }));
      button.addEventListener('click', () => openLesson(level));
      item.append(button);
      return item;
    }),
  );
}

function stepList(target: HTMLElement, level: Level, goal: GoalResult | null): void {
  const s = strings().lessons;
  const steps = goal?.steps ?? stepsOf(level);
  target.replaceChildren(
    ...steps.map((step) => Object.assign(document.createElement('li'), { textContent: (s.steps as Record<string, string>)[step.id] ?? step.id, className: step.done ? 'done' : '' })),
  );
}

/** The goal's steps before anything happened (the shared goal check, on no events). */
function stepsOf(level: Level): readonly { id: string; done: boolean }[] {
  return checkGoal(level, []).steps;
}

function openLesson(level: Level): void {
  chosenLesson = level;
  const s = strings().lessons;
  $('lesson-dialog-number').textContent = fill(s.lesson, { n: level.number });
  $('lesson-dialog-title').textContent = s.levels[level.id].title;
  $('lesson-dialog-intro').textContent = s.levels[level.id].intro;
  stepList($('lesson-dialog-steps'), level, null);
  $<HTMLDialogElement>('lesson-dialog').showModal();
  $('lesson-bot').focus();
}

$('lesson-bot').addEventListener('click', () => {
  if (chosenLesson === null) return;
  $<HTMLDialogElement>('lesson-dialog').close();
  sayHello();
  socket.emit('call:practice', { level: chosenLesson.id, teaching: teaching(), personality: 'prompt' });
});
$('lesson-partner').addEventListener('click', () => {
  if (chosenLesson === null) return;
  $<HTMLDialogElement>('lesson-dialog').close();
  sayHello();
  socket.emit('queue:join', { level: chosenLesson.id, teaching: teaching() });
});
$('join-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const code = $<HTMLInputElement>('join-code').value.trim();
  if (code.length < 4) return toast(strings().errors['call/not-found']);
  sayHello();
  socket.emit('call:join', { code });
});
$('accept-bot').addEventListener('click', () => socket.emit('queue:accept-bot', {}));
$('cancel-wait').addEventListener('click', () => {
  socket.emit(waiting === 'queue' ? 'queue:leave' : 'call:leave', {});
  stopWaiting();
});
$('copy-link').addEventListener('click', () => {
  const link = $('copy-link').dataset.link ?? '';
  void navigator.clipboard?.writeText(link).then(
    () => toast(strings().lobby.copied),
    () => toast(link),
  );
});
$('new-name').addEventListener('click', () => {
  $<HTMLInputElement>('name').value = '';
  connection.hello(undefined, lang());
});
$('name').addEventListener('change', () => sayHello());
$('lang-switch').addEventListener('click', () => setLang(lang() === 'en' ? 'zh' : 'en'));
$<HTMLInputElement>('reduced-motion').checked = reducedMotion;
$('reduced-motion').addEventListener('change', () => {
  reducedMotion = $<HTMLInputElement>('reduced-motion').checked;
  localStorage.setItem('cyhm.reducedMotion', reducedMotion ? '1' : '0');
  document.body.classList.toggle('reduced-motion', reducedMotion);
  game?.setReducedMotion(reducedMotion);
});
document.body.classList.toggle('reduced-motion', reducedMotion);
onLangChange(() => {
  translatePage();
  sayHello();
});

// ---------------------------------------------------------------- the call

function beginCall(started: CallStarted): void {
  const resumed = model !== null && model.callId === started.callId;
  model = createModel(started, performance.now());
  stopWaiting();
  show('call');
  if (!resumed) {
    $('log').replaceChildren();
    $('chat-list').replaceChildren();
    $('verdict').textContent = '';
    narrate(started.events, true);
  }
  renderCall();
  // Focus without scrolling: on a phone the call picture stays in view.
  $('act-ask').focus({ preventScroll: true });
  if (game === null) {
    $('turn').textContent = strings().app.loading;
    void loadGame().then(({ mountGame }) => {
      game ??= mountGame($('game'), () => model, reducedMotion);
      game.refresh();
      renderCall();
    });
  } else {
    game.refresh();
  }
}

function mine(): Side {
  return model?.you ?? 'a';
}

function renderCall(): void {
  if (model === null) return;
  const s = strings();
  const me = model.view[mine()];
  const partner = model.players[other(mine())];
  const pending = me.pending[0];
  const established = me.state === 'ESTABLISHED' || me.state === 'CLOSE_WAIT';
  const over = model.summary !== null;
  $('pending').textContent = pending === undefined ? '' : fill(s.builder.pending, { segment: formatSegment(pending.segment) });
  let turn: string = s.call.startHint;
  if (pending !== undefined) turn = fill(s.call.yourTurn, { name: partner.name });
  else if (established) turn = s.call.establishedHint;
  else if (me.state !== 'LISTEN' && me.state !== 'CLOSED') turn = s.states[me.state];
  $('turn').textContent = over ? '' : turn;
  $<HTMLButtonElement>('act-ask').disabled = over || !(me.state === 'LISTEN' || me.state === 'CLOSED');
  $<HTMLButtonElement>('act-goodbye').disabled = over || !(me.state === 'ESTABLISHED' || me.state === 'CLOSE_WAIT' || me.state === 'SYN_RCVD');
  $<HTMLButtonElement>('act-hangup').disabled = over || me.state === 'TIME_WAIT' || me.state === 'CLOSED';
  $<HTMLButtonElement>('let-tcp').disabled = over || pending === undefined;
  $<HTMLButtonElement>('hint').disabled = over || me.hint === null;
  const chatInput = $<HTMLInputElement>('chat-input');
  chatInput.disabled = over || !established;
  $<HTMLButtonElement>('chat-form').querySelector('button')!.disabled = over || !established;
  $('chat-note').textContent = established || over ? '' : s.chat.notYet;
  const prompts = workshop?.prompts ?? [];
  const prompt = prompts.length === 0 ? undefined : prompts[Math.max(0, (workshop?.round ?? 1) - 1) % prompts.length];
  $('chat-prompt').hidden = prompt === undefined || !established;
  $('chat-prompt').textContent = prompt === undefined ? '' : fill(s.workshop.participant.prompt, { prompt });
  const level = model.level === null ? null : levelById(model.level);
  $('goal-box').hidden = level === null;
  if (level !== null) {
    $('goal-title').textContent = `${fill(s.lessons.lesson, { n: level.number })}: ${s.lessons.levels[level.id].title}`;
    stepList($('goal-steps'), level, model.goal);
  }
  const away = other(mine());
  $('away-box').hidden = over || model.away[away] === undefined;
  $('away-text').textContent = fill(s.lessons.partnerAway, { who: model.players[away].name });
  renderChoices();
  // A button that just disabled itself (Ask, once asked) must not drop the keyboard focus.
  const focused = document.activeElement;
  if (focused instanceof HTMLButtonElement && focused.disabled) {
    const next = $('choices').querySelector('button') ?? $<HTMLInputElement>('packet').querySelector<HTMLInputElement>('input[name="syn"]');
    next?.focus();
  }
}

function expert(): boolean {
  return document.querySelector<HTMLInputElement>('input[name="mode"][value="expert"]')?.checked === true;
}

/** Guided mode offers choices; expert mode a blank packet to fill in. One way at a time. */
function renderMode(): void {
  $('packet').hidden = !expert();
}

/** Guided mode: the segment TCP would send (from the server's view) and a few near misses, shuffled. */
function renderChoices(): void {
  const box = $('choices');
  const hint = model?.view[mine()].hint ?? null;
  if (model === null || expert() || hint === null || model.summary !== null) {
    box.replaceChildren();
    delete box.dataset.key;
    return;
  }
  const options = [hint, ...nearMisses(hint)];
  const key = options.map(formatSegment).join('|');
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  const order = [...options].sort((x, y) => hash(formatSegment(x) + model!.callId) - hash(formatSegment(y) + model!.callId));
  const label = Object.assign(document.createElement('p'), { className: 'muted small', textContent: strings().builder.choices });
  box.replaceChildren(
    label,
    ...order.map((segment, i) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `${i + 1}. ${formatSegment(segment)}`;
      button.dataset.segment = JSON.stringify(segment);
      button.addEventListener('click', () => sendMove(segment));
      return button;
    }),
  );
}

function nearMisses(right: Segment): Segment[] {
  const misses: Segment[] = [];
  const pending = model?.view[mine()].pending[0]?.segment;
  if (right.rst) {
    // The tempting mistake: accept the answer as if it were to your own question.
    if (pending?.ack === true) misses.push(makeSegment({ ack: true, seq: pending.ackNo, ackNo: (pending.seq + 1) >>> 0 }));
    misses.push({ ...right, seq: (right.seq + 0xffffffff) >>> 0 });
    return misses;
  }
  if (right.ack) misses.push({ ...right, ackNo: (right.ackNo + 0xffffffff) >>> 0 });
  if (right.ack && right.syn) misses.push({ ...right, ack: false, ackNo: 0 });
  else if (!right.ack && right.syn) misses.push({ ...right, ack: true, ackNo: right.seq + 1 });
  else if (right.ack) misses.push({ ...right, seq: right.ackNo, ackNo: right.seq });
  return misses.filter((m, i, all) => all.findIndex((o) => formatSegment(o) === formatSegment(m)) === i && formatSegment(m) !== formatSegment(right)).slice(0, 2);
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function readPacket(): Segment | null {
  const form = $<HTMLFormElement>('packet');
  const data = new FormData(form);
  const seq = Number(data.get('seq'));
  const ackRaw = String(data.get('ackNo') ?? '');
  const ack = data.get('ack') !== null;
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff) return null;
  const ackNo = ackRaw === '' ? 0 : Number(ackRaw);
  if (!Number.isInteger(ackNo) || ackNo < 0 || ackNo > 0xffffffff) return null;
  return makeSegment({ syn: data.get('syn') !== null, ack, fin: data.get('fin') !== null, rst: data.get('rst') !== null, seq, ackNo: ack ? ackNo : 0 });
}

function sendMove(segment: Segment): void {
  $('verdict').textContent = '';
  socket.emit('call:move', { segment });
}

$('packet').addEventListener('submit', (event) => {
  event.preventDefault();
  const segment = readPacket();
  if (segment === null) return toast(strings().errors['input/invalid']);
  sendMove(segment);
});
$('hint').addEventListener('click', () => {
  const hint = model?.view[mine()].hint;
  if (hint === null || hint === undefined) return;
  fillPacket(hint);
});
$('let-tcp').addEventListener('click', () => socket.emit('call:action', { action: 'answer' }));
$('takeover').addEventListener('click', () => socket.emit('call:takeover', {}));
$('act-ask').addEventListener('click', () => socket.emit('call:action', { action: 'ask' }));
$('act-goodbye').addEventListener('click', () => socket.emit('call:action', { action: 'goodbye' }));
$('act-hangup').addEventListener('click', () => socket.emit('call:action', { action: 'hang-up' }));
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) {
  radio.addEventListener('change', () => {
    renderMode();
    renderChoices();
  });
}
renderMode();
$('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('chat-input');
  const text = input.value.trim();
  if (text === '') return;
  socket.emit('call:chat', { text });
  input.value = '';
});

function fillPacket(segment: Segment): void {
  const form = $<HTMLFormElement>('packet');
  for (const flag of ['syn', 'ack', 'fin', 'rst'] as const) (form.elements.namedItem(flag) as HTMLInputElement).checked = segment[flag];
  (form.elements.namedItem('seq') as HTMLInputElement).value = String(segment.seq);
  (form.elements.namedItem('ackNo') as HTMLInputElement).value = segment.ack ? String(segment.ackNo) : '';
}

// Keyboard: S/A/F/R toggle flags, 1–3 pick a guided choice (not while typing).
document.addEventListener('keydown', (event) => {
  if (screen !== 'call' || event.ctrlKey || event.metaKey || event.altKey) return;
  if (!expert() && !/^[1-3]$/.test(event.key)) return;
  const target = event.target as HTMLElement;
  if (target instanceof HTMLInputElement && (target.type === 'text' || target.type === 'number' || target.id === 'chat-input')) return;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
  const flags: Record<string, string> = { s: 'syn', a: 'ack', f: 'fin', r: 'rst' };
  const flag = flags[event.key.toLowerCase()];
  if (flag !== undefined) {
    const box = $<HTMLFormElement>('packet').elements.namedItem(flag) as HTMLInputElement;
    box.checked = !box.checked;
    event.preventDefault();
    return;
  }
  if (/^[1-3]$/.test(event.key)) {
    const button = $('choices').querySelectorAll('button')[Number(event.key) - 1];
    if (button !== undefined) {
      button.click();
      event.preventDefault();
    }
  }
});

// ---------------------------------------------------------------- narration

function who(side: Side): string {
  if (model === null) return side;
  return side === model.you ? strings().you : model.players[side].name;
}

function log(text: string, tone: 'good' | 'warn' | '' = ''): void {
  const item = Object.assign(document.createElement('li'), { textContent: text, className: tone });
  const list = $('log');
  list.append(item);
  while (list.children.length > 200) list.firstElementChild?.remove();
  list.scrollTop = list.scrollHeight;
}

function narrate(events: readonly CallEvent[], replay = false): void {
  if (model === null) return;
  const s = strings();
  for (const e of events) {
    if (e.type === 'segment-sent') {
      const track = model.tracks.find((t) => t.id === e.id);
      const segment = formatSegment(e.segment);
      if (e.wrong) log(fill(s.log.wrong, { who: who(e.from), segment }), 'warn');
      else if (e.retransmit) {
        const n = model.events.filter((x) => x.type === 'segment-sent' && x.retransmit && x.from === e.from && x.at <= e.at && x.segment.seq === e.segment.seq).length;
        log(fill(s.log.resent, { who: who(e.from), segment, n }), 'warn');
      } else log(fill(s.log.sent, { who: who(e.from), segment, line: track === undefined ? '' : humanLine(track, model) }));
      if (!replay) for (const lost of e.lost) later(lost.lostAt, () => log(fill(lost.reason === 'freeze' ? s.log.frozen : s.log.lost, { segment }), 'warn'));
      if (e.copies.length > 1 && !replay) later(e.copies[1]?.arriveAt ?? e.at, () => log(fill(s.log.duplicated, { segment })));
    } else if (e.type === 'segment-injected') {
      log(fill(e.fake ? s.lessons.injectedFake : s.lessons.injectedGhost, { segment: formatSegment(e.segment) }), 'warn');
    } else if (e.type === 'backlog-drop') {
      log(s.lessons.backlogFull, 'warn');
    } else if (e.type === 'move-judged' && e.side === mine() && !replay) {
      showVerdict(e.ok, e.mistakes);
    } else if (e.type === 'endpoint') {
      const ev = e.event;
      if (ev.type === 'state') log(fill(s.log.state, { who: who(e.side), from: ev.from, to: ev.to }), ev.to === 'ESTABLISHED' ? 'good' : '');
      else if (ev.type === 'delivered') {
        log(fill(s.log.delivered, { who: who(e.side), text: ev.data }));
        addChat(other(e.side), ev.data);
      } else if (ev.type === 'gave-up') log(fill(s.log.gaveUp, { who: who(e.side) }), 'warn');
      else if (ev.type === 'retry-allowed') log(fill(s.log.retryAllowed, { who: who(e.side) }));
      else if (ev.type === 'closed' && ev.reason === 'reset') log(fill(s.log.reset, { who: who(e.side) }), 'warn');
      else if (ev.type === 'dropped' && ev.reply !== null) log(fill(s.log.dropped, { who: who(e.side), segment: formatSegment(ev.segment), why: s.drops[ev.code] }));
    }
  }
}

function later(at: number, fn: () => void): void {
  if (model === null) return;
  const wait = at - callTime(model, performance.now());
  if (wait <= 0) fn();
  else window.setTimeout(fn, wait);
}

function addChat(from: Side, text: string): void {
  const item = document.createElement('li');
  item.textContent = text;
  if (from === mine()) item.className = 'mine';
  const list = $('chat-list');
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

function showVerdict(ok: boolean, mistakes: readonly { code: string; expected?: unknown; got?: unknown }[]): void {
  const s = strings();
  const el = $('verdict');
  el.className = `verdict ${ok ? 'ok' : 'bad'}`;
  if (ok) {
    el.textContent = s.builder.correct;
    return;
  }
  const table = s.mistakes as Record<string, string>;
  el.textContent = mistakes
    .map((m) => fill(table[m.code] ?? m.code, { expected: String(m.expected ?? ''), got: String(m.got ?? '') }))
    .join(' ');
}

// ---------------------------------------------------------------- end

function showEnd(): void {
  if (model?.summary === null || model === null) return;
  const s = strings();
  const summary = model.summary;
  const me = summary.sides[mine()];
  const seconds = (ms: number | null) => (ms === null ? s.end.never : fill(s.end.seconds, { s: (ms / 1000).toFixed(1) }));
  $('end-outcome').textContent = fill(s.end.outcomes[summary.outcome], { who: summary.by === null ? '' : who(summary.by) });
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
  image.src = ladderPng(model, endOfCall(), ladderNames());
  const level = model.level === null ? null : levelById(model.level);
  $('debrief').hidden = level === null;
  const next = level === null ? undefined : LEVELS.find((l) => l.number === level.number + 1);
  // In a workshop the host decides what comes next: only "Back to the workshop".
  $('next-lesson').hidden = next === undefined || model.goal?.met !== true || workshop !== null;
  if (workshop !== null) playedRound = workshop.round;
  if (level !== null) {
    const met = model.goal?.met === true;
    $('debrief-title').textContent = met ? s.lessons.debriefTitle : s.lessons.notMetTitle;
    $('debrief-text').textContent = met ? s.lessons.levels[level.id].debrief : s.lessons.notMet;
    stepList($('debrief-steps'), level, model.goal);
  }
  show('end');
  ($('next-lesson').hidden ? $('play-again') : $('next-lesson')).focus();
}

function ladderNames(): LadderNames {
  const s = strings();
  return { you: s.call.you, partner: model === null ? '' : model.players[other(model.you)].name, title: s.call.ladderTitle, old: s.call.old, fake: s.call.fake };
}

/** The call time by which everything of the call has happened (for the exported ladder). */
function endOfCall(): number {
  if (model === null) return 0;
  return Math.max(callTime(model, performance.now()), ...model.tracks.flatMap((t) => [t.sentAt, ...t.copies.map((c) => c.arriveAt), ...t.lost.map((l) => 2 * l.lostAt - t.sentAt)]));
}

function download(name: string, href: string): void {
  const link = Object.assign(document.createElement('a'), { href, download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

function fileName(extension: string): string {
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
  return `can-you-hear-me-${model?.level ?? 'call'}-${stamp}.${extension}`;
}

function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  download(name, url);
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

$('export-png').addEventListener('click', () => {
  if (model !== null) download(fileName('png'), ladderPng(model, endOfCall(), ladderNames()));
});
$('export-svg').addEventListener('click', () => {
  if (model !== null) downloadBlob(fileName('svg'), new Blob([ladderSvg(model, endOfCall(), ladderNames())], { type: 'image/svg+xml' }));
});
$('export-pcapng').addEventListener('click', () => {
  if (model === null) return;
  const segments = model.tracks.filter((t) => t.origin === 'sent').map((t) => ({ at: t.sentAt, from: t.from, segment: t.segment }));
  const start = Date.now() - callTime(model, performance.now());
  downloadBlob(fileName('pcapng'), new Blob([toPcapng(segments, start)], { type: 'application/octet-stream' }));
});
$('export-replay').addEventListener('click', () => {
  if (model?.record !== null && model?.record !== undefined) downloadBlob(fileName('json'), new Blob([JSON.stringify(model.record, null, 2)], { type: 'application/json' }));
});
$('next-lesson').addEventListener('click', () => {
  const current = model?.level;
  const next = current === null || current === undefined ? undefined : LEVELS.find((l) => l.number === levelById(current).number + 1);
  socket.emit('call:leave', {});
  model = null;
  renderLessons();
  show('lobby');
  if (next !== undefined) openLesson(next);
});

$('play-again').addEventListener('click', () => {
  socket.emit('call:leave', {});
  model = null;
  renderLessons();
  renderWorkshop();
  show('lobby');
  if (workshop === null) $('quick').focus();
});

// ---------------------------------------------------------------- start

const joinCode = new URLSearchParams(location.search).get('join');
$<HTMLInputElement>('name').value = savedName() ?? '';
translatePage();
sayHello();
if (joinCode !== null) {
  $<HTMLInputElement>('join-code').value = joinCode;
  socket.once('welcome', () => socket.emit('call:join', { code: joinCode }));
}

// Fetch the game scene in the background once the lobby is up.
window.addEventListener('load', () => window.setTimeout(() => void loadGame(), 500));

if (__TEST_HOOKS__) {
  window.addEventListener('error', (e) => consoleErrors.push(String(e.message)));
  Object.defineProperty(window, '__game', {
    value: Object.freeze({
      snapshot: () => ({
        screen,
        name: playerName,
        lang: lang(),
        you: model?.you ?? null,
        states: model === null ? null : { a: model.view.a.state, b: model.view.b.state },
        pending: model?.view[mine()].pending.length ?? 0,
        retries: model === null ? null : { a: model.view.a.retries, b: model.view.b.retries },
        timers: model === null ? null : { a: model.view.a.timers, b: model.view.b.timers },
        chat: [...document.querySelectorAll('#chat-list li')].map((li) => li.textContent ?? ''),
        verdict: $('verdict').textContent ?? '',
        choices: [...document.querySelectorAll<HTMLButtonElement>('#choices button')].map((b) => b.textContent ?? ''),
        log: [...document.querySelectorAll('#log li')].map((li) => li.textContent ?? ''),
        summary: model?.summary ?? null,
        tracks: model?.tracks.length ?? 0,
        retransmissions: model?.tracks.filter((t) => t.retransmit).length ?? 0,
        outcome: model?.summary?.outcome ?? null,
        scene: game?.describe() ?? null,
      }),
      errors: () => [...consoleErrors],
    }),
  });
}

export type { ErrorCode };
