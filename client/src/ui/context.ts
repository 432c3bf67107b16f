/**
 * What every part of the page is handed: the store it renders from, the socket it sends
 * requests on, and the call scene once it is loaded.
 */
import type { GameSocket } from '../net';
import type { GameView } from '../scenes/game';
import type { Store } from '../store';

export interface Ui {
  readonly store: Store;
  readonly socket: GameSocket;
  /** Say hello again with the name field and the language (the server answers `welcome`). */
  sayHello(): void;
  /** The call scene, once its chunk has loaded. */
  game(): GameView | null;
}
