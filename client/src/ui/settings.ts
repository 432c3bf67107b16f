/** The lobby's settings as the player left them: line quality and teaching mode. */
import type { LineName } from '../../../shared/wire';
import { $ } from '../page';

export function selectedLine(): LineName {
  return $<HTMLSelectElement>('line').value as LineName;
}

export function teaching(): boolean {
  return $<HTMLInputElement>('teaching').checked;
}
