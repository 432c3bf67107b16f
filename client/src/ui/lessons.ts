/**
 * The lessons: the list in the lobby (with the ones finished on this device ticked), the
 * intro dialog that starts one, and the goal checklist the call panel and debrief show.
 */
import { checkGoal, LEVELS, type GoalResult, type Level, type LevelId } from '../../../shared/game/levels';
import { fill, lang, strings } from '../i18n';
import { $ } from '../page';
import type { Ui } from './context';
import { teaching } from './settings';

const PROGRESS_KEY = 'cyhm.lessonsDone';
let chosenLesson: Level | null = null;
/** What the list shows now (language and lessons done), so it is only rebuilt when that changes. */
let drawn = '';

export function lessonsDone(): Set<LevelId> {
  try {
    const saved = JSON.parse(localStorage.getItem(PROGRESS_KEY) ?? '[]') as unknown;
    return new Set(Array.isArray(saved) ? saved.filter((id): id is LevelId => LEVELS.some((l) => l.id === id)) : []);
  } catch {
    return new Set();
  }
}

export function markDone(id: LevelId): void {
  const done = lessonsDone();
  done.add(id);
  localStorage.setItem(PROGRESS_KEY, JSON.stringify([...done]));
}

export function renderLessons(ui: Ui): void {
  const s = strings().lessons;
  const done = lessonsDone();
  const key = `${lang()}|${[...done].join(',')}`;
  if (key === drawn) return;
  drawn = key;
  // A badge per lesson: earned ones shine, the rest wait.
  $('badges-count').textContent = fill(s.badges, { n: done.size, total: LEVELS.length });
  $('badges').replaceChildren(
    ...LEVELS.map((level) => {
      const item = document.createElement('li');
      const title = fill(s.badgeTitle, { n: level.number, title: s.levels[level.id].title });
      item.append(Object.assign(document.createElement('span'), { className: done.has(level.id) ? 'medal earned' : 'medal', textContent: String(level.number), title }));
      item.setAttribute('aria-label', done.has(level.id) ? `${title} ✓` : title);
      return item;
    }),
  );
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
      button.addEventListener('click', () => openLesson(ui, level));
      item.append(button);
      return item;
    }),
  );
}

/** A lesson's goal steps as a checklist, ticked as far as `goal` says (none before the call). */
export function stepList(target: HTMLElement, level: Level, goal: GoalResult | null): void {
  const s = strings().lessons;
  // Before anything happened: the shared goal check, on no events.
  const steps = goal?.steps ?? checkGoal(level, []).steps;
  target.replaceChildren(
    ...steps.map((step) => Object.assign(document.createElement('li'), { textContent: (s.steps as Record<string, string>)[step.id] ?? step.id, className: step.done ? 'done' : '' })),
  );
}

export function openLesson(_ui: Ui, level: Level): void {
  chosenLesson = level;
  const s = strings().lessons;
  $('lesson-dialog-number').textContent = fill(s.lesson, { n: level.number });
  $('lesson-dialog-title').textContent = s.levels[level.id].title;
  $('lesson-dialog-intro').textContent = s.levels[level.id].intro;
  stepList($('lesson-dialog-steps'), level, null);
  $<HTMLDialogElement>('lesson-dialog').showModal();
  $('lesson-bot').focus();
}

export function mountLessons(ui: Ui): void {
  $('lesson-bot').addEventListener('click', () => {
    if (chosenLesson === null) return;
    $<HTMLDialogElement>('lesson-dialog').close();
    ui.sayHello();
    ui.socket.emit('call:practice', { level: chosenLesson.id, teaching: teaching(), personality: 'prompt' });
  });
  $('lesson-partner').addEventListener('click', () => {
    if (chosenLesson === null) return;
    $<HTMLDialogElement>('lesson-dialog').close();
    ui.sayHello();
    ui.socket.emit('queue:join', { level: chosenLesson.id, teaching: teaching() });
  });
  ui.store.subscribe((state) => {
    if (state.screen === 'lobby') renderLessons(ui);
  });
}
