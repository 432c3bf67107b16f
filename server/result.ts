/**
 * What handling a request comes to: the answer sent to the player who asked (one of
 * `ANSWERS[request]`), or the refusal, which changed nothing. The socket layer turns a
 * refusal into an `error` event, and either into the acknowledgement when there is one.
 */
import { wireError } from '../shared/wire';
import type { ErrorCode, ServerMessage, ServerToClientEvents, WireError } from '../shared/wire';

export type RequestResult = { readonly ok: true; readonly answer: ServerMessage } | { readonly ok: false; readonly error: WireError };

/** The request was done, and this is what its player was sent. */
export function answer<E extends keyof ServerToClientEvents>(event: E, payload: Parameters<ServerToClientEvents[E]>[0]): RequestResult {
  return { ok: true, answer: { event, payload } as ServerMessage };
}

/** The request was refused: nothing changed. */
export function fail(code: ErrorCode, event?: string): { readonly ok: false; readonly error: WireError } {
  return { ok: false, error: wireError(code, event) };
}

/** A result now, or (when the store is involved) later. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * `then` for a value that may or may not be a promise: a value now is handed on now, in
 * the same turn, so what needs no store keeps its synchronous order.
 */
export function whenDone<T, R>(value: MaybePromise<T>, next: (value: T) => R): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
