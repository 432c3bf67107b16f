/**
 * The first call's coach: the first time a segment waits for this player's answer, three
 * notes point at it, at the choices and at the countdown ring. They cover nothing (clicks
 * go through them; on a narrow screen they take turns, "Next" going on); "Got it", Esc or
 * the first answer puts them away for good (remembered on this device).
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
  // On a narrow screen the notes take turns (each would cover the next one's target):
  // "Next" goes on to the following one, the last says "Got it".
  const next = Object.assign(document.createElement('button'), { type: 'button', id: 'coach-next', className: 'primary' });
  const order = [notes.pending, notes.choices, notes.countdown];
  let step = 0;
  box.append(notes.pending, notes.choices, notes.countdown);
  document.body.append(box);

  const hide = (): void => {
    if (box.hidden) return;
    localStorage.setItem(SEEN_KEY, '1');
    box.hidden = true;
  };
  dismiss.addEventListener('click', hide);
  next.addEventListener('click', () => {
    step = Math.min(order.length - 1, step + 1);
    render(ui.store.get());
    dismiss.focus();
    if (step < order.length - 1) next.focus();
  });
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
    next.textContent = s.next;
    box.hidden = false;
    const narrow = document.documentElement.clientWidth < NARROW_PX;
    const choices = $('choices');
    const canvas = $('game').getBoundingClientRect();
    // The ring that counts down is on the tile of whoever waits for a reply: the partner, while this player is to answer.
    const scene = ui.game()?.describe();
    const tile = model !== null && model.view[model.you].timers.reply === null ? scene?.partnerTile : scene?.myTile;
    const targets = [$('pending').getBoundingClientRect(), choices.getBoundingClientRect(), tile === undefined || tile.width === 0 ? canvas : new DOMRect(canvas.x + tile.x, canvas.y + tile.y, tile.width, tile.height)];
    // The buttons first: a note is placed by its full height.
    const current = narrow ? order[step] : notes.countdown;
    if (narrow && step < order.length - 1) current?.append(next);
    else next.remove();
    if (current !== undefined && dismiss.parentElement !== current) current.append(dismiss);
    for (const [i, el] of order.entries()) {
      el.hidden = narrow ? i !== step : i === 1 && choices.childElementCount === 0;
      if (!el.hidden) place(el, targets[i] ?? canvas, narrow);
    }
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
/** Below this width the notes take turns. */
const NARROW_PX = 700;

/**
 * Put a note beside `target` (viewport pixels): to its left if there is room, else to its
 * right, else (and always on a narrow screen) above it, or below it if there is no room
 * above; its arrow points at the target.
 */
function place(el: HTMLElement, target: DOMRect, narrow: boolean): void {
  const viewport = document.documentElement.clientWidth;
  const width = Math.min(narrow ? 320 : NOTE_WIDTH, viewport - 16);
  el.style.width = `${width}px`;
  let side: 'left' | 'right' | 'above' | 'below';
  let x: number;
  let y = target.top + window.scrollY + Math.min(target.height / 2, 40) - 20;
  if (!narrow && target.left - width - 16 >= 0) {
    side = 'left';
    x = target.left - width - 14;
  } else if (!narrow && target.right + width + 16 <= viewport) {
    side = 'right';
    x = target.right + 14;
  } else {
    x = Math.max(8, Math.min(viewport - width - 8, target.left + target.width / 2 - width / 2));
    const height = el.offsetHeight;
    side = target.top - height - 12 >= 0 ? 'above' : 'below';
    // The arrow under (or over) the middle of the target, wherever the note had to go.
    el.style.setProperty('--arrow-x', `${Math.round(Math.min(width - 20, Math.max(20, target.left + target.width / 2 - x)))}px`);
    y = side === 'above' ? target.top + window.scrollY - height - 12 : target.bottom + window.scrollY + 12;
  }
  el.dataset.side = side;
  el.style.left = `${Math.round(x + window.scrollX)}px`;
  el.style.top = `${Math.round(y)}px`;
}
