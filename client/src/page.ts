/**
 * What both pages (the game and the host's dashboard) need from the DOM: elements by id,
 * a toast, the page's language, and the `data-i18n` texts filled in from the locale files.
 */
import { lang, strings } from './i18n';

/** The element with this id; a missing one is a bug in the page, so it throws. */
export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} missing`);
  return el as T;
};

/** A short message at the bottom of the page, gone after a few seconds. */
export function toast(text: string): void {
  const el = $('toast');
  el.textContent = text;
  el.hidden = false;
  window.clearTimeout(Number(el.dataset.timer ?? 0));
  el.dataset.timer = String(window.setTimeout(() => (el.hidden = true), 4_500));
}

/**
 * Set the page's language and title, and give every element with `data-i18n="a.b.c"` the
 * text at that path of the current strings; the language switch shows the other language.
 */
export function translateStatic(title: string): void {
  const s = strings();
  document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
  document.title = title;
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const value = (el.dataset.i18n ?? '').split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], s);
    if (typeof value === 'string') el.textContent = value;
  }
  $('lang-switch').textContent = s.meta.switchTo;
  $('lang-switch').setAttribute('aria-label', s.meta.switchLabel);
}
