/**
 * The lobby: the ways into a call (quick match, a private call, a bot), waiting for a
 * partner, the workshop box for a participant, and the page-wide settings (name,
 * language, reduced motion). Renders from the store; its buttons send requests.
 */
import type { Personality } from '../../../shared/wire';
import { fill, lang, setLang, strings } from '../i18n';
import { $, toast } from '../page';
import type { AppState } from '../store';
import type { Ui } from './context';
import { defaultLine, selectedLine, teaching } from './settings';

export function mountLobby(ui: Ui): void {
  const { socket, store } = ui;
  $<HTMLSelectElement>('line').value = defaultLine();
  $('quick').addEventListener('click', () => {
    ui.sayHello();
    socket.emit('queue:join', { line: selectedLine(), teaching: teaching() });
  });
  $('create').addEventListener('click', () => {
    ui.sayHello();
    socket.emit('call:create', { line: selectedLine(), teaching: teaching() });
  });
  $('practice').addEventListener('click', () => {
    ui.sayHello();
    socket.emit('call:practice', { line: selectedLine(), teaching: teaching(), personality: $<HTMLSelectElement>('personality').value as Personality });
  });
  $('join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const code = $<HTMLInputElement>('join-code').value.trim();
    if (code.length < 4) return toast(strings().errors['call/not-found']);
    ui.sayHello();
    socket.emit('call:join', { code });
  });
  $('accept-bot').addEventListener('click', () => socket.emit('queue:accept-bot', {}));
  $('cancel-wait').addEventListener('click', () => {
    socket.emit(store.get().waiting === 'queue' ? 'queue:leave' : 'call:leave', {});
    store.update({ waiting: null });
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
    // The hello below carries no name: the server makes one up.
    ui.sayHello();
  });
  $('name').addEventListener('change', () => ui.sayHello());
  $('lang-switch').addEventListener('click', () => setLang(lang() === 'en' ? 'zh' : 'en'));
  $<HTMLInputElement>('reduced-motion').checked = store.get().reducedMotion;
  $('reduced-motion').addEventListener('change', () => {
    const reducedMotion = $<HTMLInputElement>('reduced-motion').checked;
    localStorage.setItem('cyhm.reducedMotion', reducedMotion ? '1' : '0');
    store.update({ reducedMotion });
  });

  socket.on('queue:waiting', () => startWaiting(ui, 'queue'));
  socket.on('queue:bot-offer', () => {
    $('accept-bot').hidden = false;
    $('waiting-hint').textContent = strings().lobby.botOffer;
  });
  socket.on('queue:left', () => store.update({ waiting: null }));
  socket.on('call:created', ({ code, link }) => {
    startWaiting(ui, 'private');
    $('share-code').textContent = code;
    $('copy-link').dataset.link = new URL(link, location.origin).href;
  });
  socket.on('workshop:status', (workshop) => store.update({ workshop, waiting: null }));
  socket.on('workshop:removed', () => {
    toast(strings().workshop.participant.removed);
    store.update({ workshop: null });
  });

  let last: AppState | null = null;
  store.subscribe((state) => {
    renderLobby(state, last);
    last = state;
  });
}

function startWaiting(ui: Ui, kind: 'queue' | 'private'): void {
  const s = strings().lobby;
  ui.store.update({ waiting: kind });
  $('accept-bot').hidden = true;
  $('waiting-text').textContent = kind === 'queue' ? s.waitingPartner : s.waitingFriend;
  $('waiting-hint').textContent = kind === 'queue' ? s.waitingPartnerHint : '';
  $('cancel-wait').focus();
}

function renderLobby(state: AppState, last: AppState | null): void {
  const el = $('banner');
  el.hidden = state.banner === null;
  el.textContent = state.banner ?? '';
  for (const id of ['quick', 'create', 'practice']) $<HTMLButtonElement>(id).disabled = state.busy;
  for (const input of $('join-form').querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input')) input.disabled = state.busy;
  $('waiting').hidden = state.waiting === null;
  $('share').hidden = state.waiting !== 'private';
  document.body.classList.toggle('reduced-motion', state.reducedMotion);
  if (last !== null && last.reducedMotion !== state.reducedMotion) $<HTMLInputElement>('reduced-motion').checked = state.reducedMotion;
  renderWorkshop(state);
}

function renderWorkshop(state: AppState): void {
  const { workshop, waiting } = state;
  const s = strings().workshop.participant;
  $('workshop').hidden = workshop === null;
  // In a workshop the host decides who plays whom, and sets the line and teaching mode for
  // everyone: the other ways in and those lobby settings step aside.
  $('line').closest('label')!.hidden = workshop !== null;
  $('teaching').closest('label')!.hidden = workshop !== null;
  $('ways').hidden = workshop !== null || waiting !== null;
  $('lessons').hidden = workshop !== null;
  $<HTMLButtonElement>('play-again').textContent = workshop === null ? strings().end.playAgain : s.back;
  if (workshop === null) return;
  $('workshop-title').textContent = fill(s.title, { title: workshop.title });
  $('workshop-state').textContent = !workshop.roundOpen ? s.waiting : state.playedRound === workshop.round ? s.played : fill(s.inRound, { n: workshop.round });
  const ranking = workshop.ranking;
  $('workshop-ranking-box').hidden = ranking === null;
  const key = JSON.stringify([ranking, workshop.name, strings().you]);
  const list = $('workshop-ranking');
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(
    ...(ranking ?? []).map((r) => Object.assign(document.createElement('li'), { textContent: `${r.name} · ${r.score}${r.name === workshop.name ? ` ← ${strings().you}` : ''}`, className: r.name === workshop.name ? 'me' : '' })),
  );
}
