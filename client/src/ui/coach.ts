/**
 * The first call's coach: the first time a segment waits for this player's answer, three
 * notes point at it, at the choices and at the countdown ring. They cover nothing (clicks
 * go through them); "Got it", Esc or the first answer puts them away for good (remembered on
 * this device).
 */
import { fill, strings } from '../i18n';
import { $ } from '../page';
import type { AppState } from '../store';
import type { Ui } from './context';

const SEEN_KEY = 'cyhm.coachSeen';

export function coachSeen(): boolean {
  return localStorage.getItem(SEEN_KEY) === '1';
}

export function mountCoach(ui: Ui): void {
  const box = document.createElement('div');
  box.id = 'coach';
  box.className = 'coach';
  box.hidden = true;
  box.setAttribute('role', 'note');
  const notes = {
    pending: note('pending'),
    choices: note('choices'),
    countdown: note('countdown'),
  };
  const dismiss = Object.assign(document.createElement('button'), { type: 'button', id: 'coach-dismiss', className: 'primary' });
  notes.countdown.append(dismiss);
  box.append(notes.pending, notes.choices, notes.countdown);
  document.body.append(box);

  const hide = (): void => {
    if (box.hidden) return;
    localStorage.setItem(SEEN_KEY, '1');
    box.hidden = true;
  };
  dismiss.addEventListener('click', hide);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !box.hidden) {
      hide();
      event.preventDefault();
    }
  });

  const render = (state: AppState): void => {
    const model = state.model;
    const pending = model === null ? 0 : model.view[model.you].pending.length;
    const wanted = state.screen === 'call' && model !== null && model.summary === null && !coachSeen() && pending > 0;
    if (!wanted) {
      // Answered with the notes showing: they did their job, and do not come back.
      if (!box.hidden && pending === 0) hide();
      box.hidden = true;
      return;
    }
    const s = strings().coach;
    notes.pending.firstChild!.textContent = s.pending;
    notes.choices.firstChild!.textContent = s.choices;
    notes.countdown.firstChild!.textContent = fill(s.countdown, { s: Math.round((model?.replyTimeoutMs ?? 5_000) / 1000) });
    dismiss.textContent = s.dismiss;
    box.hidden = false;
    place(notes.pending, $('pending').getBoundingClientRect());
    const choices = $('choices');
    notes.choices.hidden = choices.childElementCount === 0;
    if (!notes.choices.hidden) place(notes.choices, choices.getBoundingClientRect());
    const canvas = $('game').getBoundingClientRect();
    // The ring that counts down is on the tile of whoever waits for a reply: the partner, while this player is to answer.
    const scene = ui.game()?.describe();
    const tile = model !== null && model.view[model.you].timers.reply === null ? scene?.partnerTile : scene?.myTile;
    place(notes.countdown, tile === undefined || tile.width === 0 ? canvas : new DOMRect(canvas.x + tile.x, canvas.y + tile.y, tile.width, tile.height));
  };
  ui.store.subscribe(render);
  window.addEventListener('resize', () => render(ui.store.get()));
  window.addEventListener('scroll', () => render(ui.store.get()), { passive: true });
}

function note(name: string): HTMLElement {
  const el = document.createElement('div');
  el.className = `coach-note coach-${name}`;
  el.dataset.target = name;
  el.append(document.createElement('p'));
  return el;
}

const NOTE_WIDTH = 230;

/**
 * Put a note beside `target` (viewport pixels): to its left if there is room, else to its
 * right, else below it; its arrow points at the target.
 */
function place(el: HTMLElement, target: DOMRect): void {
  const width = Math.min(NOTE_WIDTH, document.documentElement.clientWidth - 16);
  el.style.width = `${width}px`;
  const viewport = document.documentElement.clientWidth;
  let side: 'left' | 'right' | 'below';
  let x: number;
  let y = target.top + window.scrollY + Math.min(target.height / 2, 40) - 20;
  if (target.left - width - 16 >= 0) {
    side = 'left';
    x = target.left - width - 14;
  } else if (target.right + width + 16 <= viewport) {
    side = 'right';
    x = target.right + 14;
  } else {
    side = 'below';
    x = Math.max(8, Math.min(viewport - width - 8, target.left + target.width / 2 - width / 2));
    y = target.bottom + window.scrollY + 12;
  }
  el.dataset.side = side;
  el.style.left = `${Math.round(x + window.scrollX)}px`;
  el.style.top = `${Math.round(y)}px`;
}
