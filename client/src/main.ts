/**
 * The page: puts the parts together around one store. The connection's messages change
 * the store; the lobby, the call panel, the narration and the end screen render from it
 * (client/src/ui/); the call scene (Phaser) draws the call model. Nothing here decides
 * an outcome: the server does.
 */
import type { CallStarted, ErrorCode, WireError } from '../../shared/wire';
import { fill, lang, onLangChange, strings } from './i18n';
import { applyUpdate, createModel } from './model';
import { connect, savedName } from './net';
import { $, toast, translateStatic } from './page';
import type { GameView } from './scenes/game';
import { createStore, initialState, type Screen } from './store';
import { clearVerdict, showVerdict } from './ui/callPanel';
import { mountCallPanel } from './ui/callPanel';
import type { Ui } from './ui/context';
import { focusEnd, mountEndScreen, renderEnd } from './ui/endScreen';
import { markDone, mountLessons } from './ui/lessons';
import { mountCoach } from './ui/coach';
import { mountLobby } from './ui/lobby';
import { markCallFinished } from './ui/settings';
import { mountTabs } from './ui/tabs';
import { mountSound, soundEvents } from './ui/sounds';
import { clearNarration, log, narrate } from './ui/narration';

/** Phaser is big: it loads after the lobby is usable, not before. */
let gameModule: Promise<typeof import('./scenes/game')> | null = null;
const loadGame = () => (gameModule ??= import('./scenes/game'));

declare const __TEST_HOOKS__: boolean;

const store = createStore(initialState(localStorage.getItem('cyhm.reducedMotion') === '1' || matchMedia('(prefers-reduced-motion: reduce)').matches));
let game: GameView | null = null;
const consoleErrors: string[] = [];

const connection = connect((welcome) => {
  const input = $<HTMLInputElement>('name');
  if (document.activeElement !== input) input.value = welcome.name;
  store.update({ playerName: welcome.name, banner: null, busy: false });
});
const socket = connection.socket;
const ui: Ui = {
  store,
  socket,
  sayHello() {
    const name = $<HTMLInputElement>('name').value.trim();
    connection.hello(name === '' ? undefined : name, lang());
  },
  game: () => game,
};
const judged = { judged: showVerdict };

// ---------------------------------------------------------------- rendering

/** Which screen shows, and the texts that come with the language. */
let shown: Screen | null = null;
store.subscribe((state) => {
  if (state.screen !== shown) {
    shown = state.screen;
    $('lobby').hidden = state.screen !== 'lobby';
    $('call').hidden = state.screen !== 'call';
    $('end').hidden = state.screen !== 'end';
    for (const name of ['lobby', 'call', 'end'] as const) document.body.classList.toggle(`screen-${name}`, state.screen === name);
  }
  game?.setReducedMotion(state.reducedMotion);
});

function translatePage(): void {
  const s = strings();
  translateStatic(s.app.title);
  $('how-list').replaceChildren(...s.lobby.how.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
  $('scoring-list').replaceChildren(...s.lessons.scoring.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
  $<HTMLInputElement>('join-code').placeholder = s.lobby.joinPlaceholder;
  $<HTMLInputElement>('chat-input').placeholder = s.chat.placeholder;
  for (const flag of ['syn', 'ack', 'fin', 'rst'] as const) {
    const label = document.querySelector<HTMLElement>(`.flag.${flag}`);
    if (label !== null) label.title = s.builder.flagHelp[flag.toUpperCase() as 'SYN' | 'ACK' | 'FIN' | 'RST'];
  }
  store.changed();
  game?.refresh();
}

mountLobby(ui);
mountLessons(ui);
mountCallPanel(ui);
mountEndScreen(ui);
mountCoach(ui);
mountTabs(ui);
const sound = mountSound(ui);

// ---------------------------------------------------------------- the connection

function errorText(error: WireError): string {
  const table = strings().errors as Record<string, string>;
  return table[error.code] ?? error.message;
}

store.update({ banner: strings().app.connecting });
socket.on('connect_error', () => store.update({ banner: strings().app.offline }));
socket.on('disconnect', () => store.update({ banner: strings().app.offline }));
socket.on('server:closing', () => store.update({ banner: strings().app.closing }));
socket.on('error', (error) => {
  if (error.code === 'session/unknown-resume') return;
  toast(errorText(error));
  if (error.event === 'call:join' || error.event === 'call:create' || error.event === 'queue:join') store.update({ waiting: null });
  // The seat (and its call) went with a server that stopped: back to the lobby, with a new seat (net.ts says hello again).
  if (error.code === 'session/lost') store.update({ model: null, screen: 'lobby', waiting: null });
});
socket.on('call:started', (started) => beginCall(started));
socket.on('call:update', (update) => {
  const model = store.get().model;
  if (model === null || update.callId !== model.callId) return;
  const waitingForMe = model.view[model.you].pending.length > 0;
  applyUpdate(model, update, performance.now());
  narrate(model, update.events, judged);
  soundEvents(sound, model, update.events);
  // The partner's TCP asked again while this player still had its question to answer:
  // they took longer than the reply timeout. Say so, or a second "Answer this" is a riddle.
  const askedAgain = waitingForMe && update.events.some((e) => e.type === 'segment-sent' && e.retransmit && e.from !== model.you);
  if (askedAgain) log(fill(strings().call.askedAgain, { s: Math.round(model.replyTimeoutMs / 1000) }), 'warn');
  const stillWaiting = model.view[model.you].pending.length > 0;
  if (askedAgain || !stillWaiting) store.update({ askedAgain: askedAgain || (store.get().askedAgain && stillWaiting) });
  else store.changed();
  game?.refresh();
});
socket.on('call:shown', ({ callId, on }) => {
  if (store.get().model?.callId === callId) store.update({ shown: on });
});
socket.on('call:partner', (status) => {
  const model = store.get().model;
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
  store.changed();
  game?.refresh();
});
socket.on('call:ended', ({ callId, summary, goal, record }) => {
  const model = store.get().model;
  if (model === null || callId !== model.callId) return;
  model.summary = summary;
  model.goal = goal;
  model.record = record;
  if (model.level !== null && goal?.met === true) markDone(model.level);
  markCallFinished();
  if (summary.outcome === 'polite') sound.play('jingle');
  store.changed();
  game?.refresh();
  // Let the last envelope land before the end screen.
  window.setTimeout(() => showEnd(), store.get().reducedMotion ? 300 : 1_500);
});

function beginCall(started: CallStarted): void {
  const previous = store.get().model;
  const resumed = previous !== null && previous.callId === started.callId;
  const model = createModel(started, performance.now());
  if (!resumed) {
    sound.play('ring');
    clearNarration();
    clearVerdict();
    narrate(model, started.events, judged, true);
  }
  store.update({ model, waiting: null, screen: 'call', sceneLoading: game === null, askedAgain: false, rematch: null, shown: started.shown, ...(resumed ? {} : { tab: 'call' as const }) });
  // Focus without scrolling: on a phone the call picture stays in view.
  $('act-ask').focus({ preventScroll: true });
  if (game === null) {
    void loadGame().then(({ mountGame }) => {
      game ??= mountGame($('game'), () => store.get().model, store.get().reducedMotion);
      game.refresh();
      store.update({ sceneLoading: false });
    });
  } else {
    game.refresh();
  }
}

function showEnd(): void {
  const state = store.get();
  if (state.model === null || state.model.summary === null) return;
  renderEnd(state);
  store.update({ screen: 'end', ...(state.workshop === null ? {} : { playedRound: state.workshop.round }) });
  focusEnd();
}

onLangChange(() => {
  translatePage();
  ui.sayHello();
});

// ---------------------------------------------------------------- start

const joinCode = new URLSearchParams(location.search).get('join');
$<HTMLInputElement>('name').value = savedName() ?? '';
translatePage();
ui.sayHello();
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
      snapshot: () => {
        const { screen, model, playerName } = store.get();
        const mine = model?.you ?? 'a';
        return {
          screen,
          name: playerName,
          lang: lang(),
          you: model?.you ?? null,
          states: model === null ? null : { a: model.view.a.state, b: model.view.b.state },
          pending: model?.view[mine].pending.length ?? 0,
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
        };
      },
      errors: () => [...consoleErrors],
      sounds: () => [...sound.played],
    }),
  });
}

export type { ErrorCode };
