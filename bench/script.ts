/**
 * What a benchmark player does when a call update comes in, as a pure function: the script
 * the server benchmark's players follow (bench/client-node.ts), also played by the runner
 * benchmark (bench/runner.ts) with no sockets at all.
 *
 *   A asks (when the call starts); each side answers every `pending` for its side; A chats
 *   once ESTABLISHED; B chats back once A's message is delivered; A says goodbye once B's
 *   is delivered; B says goodbye on reaching CLOSE_WAIT.
 */
import type { CallEvent, Side } from '../shared/call';
import type { CallUpdate } from '../shared/wire';

/** How far one player is through the script of one call. */
export interface ScriptState {
  chatted: boolean;
  wantChat: boolean;
  byeSent: boolean;
}

export type ScriptMove =
  | { readonly event: 'call:action'; readonly payload: { readonly action: 'answer' | 'goodbye' } }
  | { readonly event: 'call:chat'; readonly payload: { readonly text: string } };

export const newScript = (): ScriptState => ({ chatted: false, wantChat: false, byeSent: false });

const ANSWER: ScriptMove = { event: 'call:action', payload: { action: 'answer' } };
const GOODBYE: ScriptMove = { event: 'call:action', payload: { action: 'goodbye' } };
const CHAT: Record<Side, ScriptMove> = {
  a: { event: 'call:chat', payload: { text: 'can you hear me?' } },
  b: { event: 'call:chat', payload: { text: 'yes, loud and clear' } },
};

const delivered = (side: Side) => (e: CallEvent) => e.type === 'endpoint' && e.side === side && e.event.type === 'delivered';

/** The requests `side` sends in answer to an update (in order), moving `state` on. */
export function scriptMoves(side: Side, state: ScriptState, u: CallUpdate): ScriptMove[] {
  const moves: ScriptMove[] = [];
  for (const e of u.events) if (e.type === 'pending' && e.side === side) moves.push(ANSWER);
  const me = u.view[side];
  if (side === 'a') {
    if (!state.chatted && me.state === 'ESTABLISHED') {
      state.chatted = true;
      moves.push(CHAT.a);
    }
    if (state.chatted && !state.byeSent && me.state === 'ESTABLISHED' && u.events.some(delivered('a'))) {
      state.byeSent = true;
      moves.push(GOODBYE);
    }
  } else {
    if (!state.chatted && u.events.some(delivered('b'))) state.wantChat = true;
    if (state.wantChat && !state.chatted && me.state === 'ESTABLISHED') {
      state.chatted = true;
      moves.push(CHAT.b);
    }
    if (!state.byeSent && me.state === 'CLOSE_WAIT') {
      state.byeSent = true;
      moves.push(GOODBYE);
    }
  }
  return moves;
}
