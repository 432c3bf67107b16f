/**
 * Which step of a call a wrong move was made at, for the workshop's heat map: asking,
 * answering, confirming, saying goodbye, saying OK to a goodbye, hanging up, talking.
 */
import type { CallEvent } from '../call';

export const STEPS = ['ask', 'answer', 'confirm', 'goodbye', 'ok', 'reset', 'chat', 'other'] as const;
export type Step = (typeof STEPS)[number];

/** The step a judged move belongs to, from the correct move it was compared with. */
export function stepOf(event: Extract<CallEvent, { type: 'move-judged' }>): Step {
  const closest = event.closest;
  if (closest === null) return 'other';
  const seg = closest.segment;
  const first = closest.actions[0];
  const answering = first?.kind === 'receive' ? first.segment : null;
  if (seg.rst) return 'reset';
  if (seg.syn) return seg.ack ? 'answer' : 'ask';
  if (seg.fin) return 'goodbye';
  if (seg.data !== '') return 'chat';
  if (answering?.syn === true) return 'confirm';
  if (answering?.fin === true) return 'ok';
  return 'other';
}
