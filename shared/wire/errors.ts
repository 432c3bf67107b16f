/**
 * Every refusal the server sends: a namespaced code and a plain English message. Clients
 * show their own translation of the code; the message is for logs and for anyone reading
 * the wire.
 */
import type { RefusalCode } from '../protocol';

export const ERRORS = {
  'input/invalid': 'That request did not have the right shape.',
  'input/control-characters': 'Text cannot contain control characters.',
  'input/invalid-unicode': 'Text has a broken character in it (half of an emoji or a symbol).',
  'input/too-large': 'That request is too large.',
  'input/unknown-event': 'The server does not know that request.',
  'rate/limited': 'Too many requests at once. Slow down a little.',
  'session/no-hello': 'Say hello first.',
  'session/already-hello': 'This connection already holds another seat.',
  'session/unknown-resume': 'That seat is no longer held. You have a new one.',
  'session/name-in-call': 'You can change your name once this call is over.',
  'session/lost': 'Your seat was on a server that stopped. Say hello again for a new one.',
  'queue/already-waiting': 'You are already waiting for a partner.',
  'queue/not-waiting': 'You are not waiting for a partner.',
  'call/already-in-call': 'You are already in a call. Leave it first.',
  'call/not-in-call': 'You are not in a call.',
  'call/not-found': 'No call has that code. Check it and try again.',
  'call/full': 'That call already has two people in it.',
  'call/ended': 'That call has ended.',
  'call/partner-here': 'Your partner is still here: no bot can take their place.',
  'call/not-over': 'The call is still on. Finish it before calling again.',
  'call/partner-gone': 'Your partner has left. Find a new partner instead.',
  'call/rematch-workshop': 'In a workshop the host decides who plays whom.',
  'join/rate-limited': 'Too many tries with codes. Wait a minute and try again.',
  'move/nothing-pending': 'Nothing is waiting for an answer.',
  'workshop/not-found': 'No workshop has that code.',
  'workshop/bad-token': 'That is not the host’s key for this workshop.',
  'workshop/removed': 'The host removed you from this workshop.',
  'workshop/no-participant': 'Nobody in this workshop has that id.',
  'workshop/call-not-found': 'No call of this workshop has that id.',
  'workshop/round-open': 'A round is already on. End it first.',
  'workshop/no-round': 'No round is on.',
  'workshop/too-few': 'At least one participant is needed to start a round.',
  'workshop/unavailable': 'Workshops cannot be reached right now. Try again in a moment.',
  'server/closing': 'The server is shutting down. Try again in a minute.',
  'server/unavailable': 'The game cannot find other players right now. Try again in a moment.',
  'server/internal': 'Something went wrong on the server.',
  // The endpoint refusing a user call: nothing changed.
  'state/already-open': 'You are already listening or in a call.',
  'state/already-listening': 'You are already listening for a call.',
  'state/not-open': 'There is no connection to close.',
  'state/not-established': 'You can only talk once the connection is ESTABLISHED.',
  'state/closing': 'You have already said goodbye.',
  'open/too-soon': 'The line was judged down. Wait before asking again.',
  'send/empty': 'There is nothing to send.',
} as const satisfies Record<string, string> & Record<RefusalCode, string>;

export type ErrorCode = keyof typeof ERRORS;

export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  /** The request that was refused, when there was one. */
  readonly event?: string;
  /** Details for a developer: which field was wrong. */
  readonly detail?: string;
}

/**
 * @example wireError('call/not-found', 'call:join') // { code, message: 'No call has that code…', event }
 */
export function wireError(code: ErrorCode, event?: string, detail?: string): WireError {
  return {
    code,
    message: ERRORS[code],
    ...(event === undefined ? {} : { event }),
    ...(detail === undefined ? {} : { detail }),
  };
}
