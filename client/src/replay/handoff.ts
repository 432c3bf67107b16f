/**
 * Opening a call in the replay viewer from another page of the game (the end screen, the
 * host's dashboard): the record goes through localStorage under one key, and the viewer
 * opens in a new tab, reads it once and removes it. Small on purpose: the game's pages
 * import only this, not the viewer.
 */
import type { CallRecord } from '../../../shared/call';

/** The localStorage key the record waits under until the viewer takes it. */
export const HANDOFF_KEY = 'cyhm.replay.handoff';

/** What waits under HANDOFF_KEY. */
export interface Handoff {
  readonly record: CallRecord;
  readonly names: { readonly a: string; readonly b: string } | null;
}

/**
 * Open `record` in the replay viewer, in a new tab. `names` are the two sides' names, for
 * the viewer to show (without them it says A and B).
 *
 * @example openReplay(ended.record, { a: 'Alice', b: 'Bob' })
 */
export function openReplay(record: CallRecord, names?: { a: string; b: string }): void {
  const handoff: Handoff = { record, names: names === undefined ? null : { a: names.a, b: names.b } };
  localStorage.setItem(HANDOFF_KEY, JSON.stringify(handoff));
  window.open('/replay.html?from=handoff', '_blank', 'noopener');
}

/** The handoff waiting for the viewer, as unparsed JSON text (removed as it is read), or null. */
export function takeHandoff(): string | null {
  const text = localStorage.getItem(HANDOFF_KEY);
  localStorage.removeItem(HANDOFF_KEY);
  return text;
}
