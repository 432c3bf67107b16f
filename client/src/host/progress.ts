/**
 * How far each pair of a round has got, for the projector: along the handshake and the
 * goodbye, from both ends' states. Pure: the dashboard in, figures out.
 */
import type { State } from '../../../shared/protocol';
import type { Dashboard } from '../../../shared/wire';

export type Pair = Dashboard['pairs'][number];

/** Stages of a call, in order: a tile's progress bar has one segment each. */
export const STAGES = ['idle', 'asking', 'connected', 'goodbye', 'waiting', 'done'] as const;
export type Stage = (typeof STAGES)[number];

const ASKING: ReadonlySet<State> = new Set(['SYN_SENT', 'SYN_RCVD']);
const GOODBYE: ReadonlySet<State> = new Set(['FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK']);

/**
 * The stage of one pair: done once the call has an outcome; TIME_WAIT is the polite wait
 * before closing; goodbye while either end is closing; connected when both ends are
 * ESTABLISHED; asking while the handshake is under way.
 *
 * @example pairStage({ a: { state: 'ESTABLISHED' }, b: { state: 'SYN_RCVD' }, outcome: null }) // 'asking'
 */
export function pairStage(pair: { readonly a: { readonly state: State }; readonly b: { readonly state: State }; readonly outcome: string | null }): Stage {
  if (pair.outcome !== null) return 'done';
  const states = [pair.a.state, pair.b.state];
  if (states.includes('TIME_WAIT')) return 'waiting';
  if (states.some((s) => GOODBYE.has(s))) return 'goodbye';
  if (states.every((s) => s === 'ESTABLISHED')) return 'connected';
  if (states.some((s) => ASKING.has(s) || s === 'ESTABLISHED')) return 'asking';
  return 'idle';
}

/** The class's progress this round: calls finished, and calls that got connected (or finished politely). */
export function classProgress(pairs: readonly Pair[]): { readonly total: number; readonly done: number; readonly connected: number } {
  let done = 0;
  let connected = 0;
  for (const p of pairs) {
    const stage = pairStage(p);
    if (stage === 'done') done++;
    if (STAGES.indexOf(stage) >= STAGES.indexOf('connected') && (stage !== 'done' || p.outcome === 'polite')) connected++;
  }
  return { total: pairs.length, done, connected };
}

/** Calls whose wrong moves went up since the last dashboard: their tiles flash. */
export function newMistakes(before: ReadonlyMap<string, number>, pairs: readonly Pair[]): Set<string> {
  const flashing = new Set<string>();
  for (const p of pairs) if (p.wrongMoves > (before.get(p.callId) ?? p.wrongMoves)) flashing.add(p.callId);
  return flashing;
}
