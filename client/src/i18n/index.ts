/**
 * The player's language: English or Chinese, from the browser by default, switchable at
 * any time. `strings()` is the current table; `fill` puts values into `{name}` holes.
 */
import type { Lang } from '../../../shared/wire';
import { en, type Strings } from './en';
import { zh } from './zh';

const TABLES: Record<Lang, Strings> = { en, zh };
const STORAGE_KEY = 'cyhm.lang';
let current: Lang = detect();
const listeners = new Set<(lang: Lang) => void>();

function detect(): Lang {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  const fromUrl = new URLSearchParams(globalThis.location?.search ?? '').get('lang');
  if (fromUrl === 'en' || fromUrl === 'zh') return fromUrl;
  const languages = globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? 'en'];
  return languages.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh' : 'en';
}

export function lang(): Lang {
  return current;
}

export function strings(): Strings {
  return TABLES[current];
}

export function setLang(next: Lang): void {
  if (next === current) return;
  current = next;
  globalThis.localStorage?.setItem(STORAGE_KEY, next);
  for (const listener of listeners) listener(next);
}

export function onLangChange(listener: (lang: Lang) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export { fill } from './fill';
