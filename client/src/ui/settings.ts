/** The lobby's settings as the player left them: line quality and teaching mode. */
import type { LineName } from '../../../shared/wire';
import { $ } from '../page';

export function selectedLine(): LineName {
  return $<HTMLSelectElement>('line').value as LineName;
}

export function teaching(): boolean {
  return $<HTMLInputElement>('teaching').checked;
}

const FINISHED_KEY = 'cyhm.finishedCall';

/**
 * The line a new player starts on: a good one (no losses) until they have finished a call
 * on this device, then the bad line the game is about.
 */
export function defaultLine(): LineName {
  return localStorage.getItem(FINISHED_KEY) === '1' ? 'bad' : 'good';
}

/** This player has finished a call: from now on the lobby starts on the bad line. */
export function markCallFinished(): void {
  localStorage.setItem(FINISHED_KEY, '1');
}
