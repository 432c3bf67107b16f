/**
 * The page's one store: everything the lobby, the call panel and the end screen draw from.
 * Handlers change it (`update`, or `changed` after the call model took a server update in
 * place) and every subscriber renders from it. Nothing here talks to the server.
 *
 * @example
 * const store = createStore(initialState(false));
 * store.subscribe((state) => render(state));
 * store.update({ screen: 'call' });
 */
import type { RematchStatus, WorkshopStatus } from '../../shared/wire';
import type { CallModel } from './model';

export type Screen = 'lobby' | 'call' | 'end';

export interface AppState {
  readonly screen: Screen;
  /** The call on screen (or just ended), as the server told it. */
  readonly model: CallModel | null;
  readonly playerName: string;
  /** Waiting in the queue for a partner, or for a friend to join a private call. */
  readonly waiting: 'queue' | 'private' | null;
  /** Not connected (or not yet welcomed): the lobby's buttons wait. */
  readonly busy: boolean;
  /** A line across the top: connecting, offline, the server closing. */
  readonly banner: string | null;
  /** The workshop this player is in, if any. */
  readonly workshop: WorkshopStatus | null;
  /** The workshop round this player already played its call in. */
  readonly playedRound: number;
  readonly reducedMotion: boolean;
  /** The call scene's code is still on its way (the turn line says so). */
  readonly sceneLoading: boolean;
  /** The partner's TCP asked again while this player's answer was still to come. */
  readonly askedAgain: boolean;
  /** On a phone, which part of the call screen shows: the call, the ladder or the log. */
  readonly tab: 'call' | 'ladder' | 'log';
  /** After the call: who asked to call again, or who left instead. */
  readonly rematch: RematchStatus | null;
  /** A workshop's host is showing this call on the big screen. */
  readonly shown: boolean;
}

export interface Store {
  get(): AppState;
  update(change: Partial<AppState>): void;
  /** The state changed in place (the call model took an update): render again. */
  changed(): void;
  subscribe(listener: (state: AppState) => void): () => void;
}

export function createStore(initial: AppState): Store {
  let state = initial;
  const listeners = new Set<(state: AppState) => void>();
  const notify = (): void => {
    for (const listener of listeners) listener(state);
  };
  return {
    get: () => state,
    update(change) {
      state = { ...state, ...change };
      notify();
    },
    changed: notify,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function initialState(reducedMotion: boolean): AppState {
  return { screen: 'lobby', model: null, playerName: '', waiting: null, busy: true, banner: null, workshop: null, playedRound: 0, reducedMotion, sceneLoading: false, askedAgain: false, tab: 'call', rematch: null, shown: false };
}
