/**
 * The connection to the game server: one typed socket.io client over WebSocket, the
 * resume token kept for this tab (sessionStorage), and `hello` sent on every connect so a
 * reload or a dropped connection gets the same seat back.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, Lang, ServerToClientEvents, Welcome } from '../../shared/wire';

export type GameSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const TOKEN_KEY = 'cyhm.resumeToken';
const NAME_KEY = 'cyhm.name';

export interface Connection {
  readonly socket: GameSocket;
  /** Say hello (again) with a name and language; the server answers with `welcome`. */
  hello(name: string | undefined, lang: Lang): void;
}

export function connect(onWelcome: (welcome: Welcome) => void): Connection {
  const socket: GameSocket = io({ transports: ['websocket'], reconnectionDelayMax: 4_000 });
  let hello: { name: string | undefined; lang: Lang } | null = null;
  /** What this connection last said, so an unchanged hello is not sent twice. */
  let said: string | null = null;
  socket.on('disconnect', () => {
    said = null;
  });
  const sayHello = (): void => {
    if (hello === null) return;
    const key = JSON.stringify(hello);
    if (key === said) return;
    said = key;
    const token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
    socket.emit('hello', {
      lang: hello.lang,
      ...(hello.name === undefined || hello.name === '' ? {} : { name: hello.name }),
      ...(token === undefined ? {} : { resumeToken: token }),
    });
  };
  socket.on('connect', sayHello);
  // The server that held this seat stopped: a new seat, from a fresh hello without the old token.
  socket.on('error', (error) => {
    if (error.code !== 'session/lost') return;
    sessionStorage.removeItem(TOKEN_KEY);
    said = null;
    sayHello();
  });
  socket.on('welcome', (welcome) => {
    sessionStorage.setItem(TOKEN_KEY, welcome.resumeToken);
    localStorage.setItem(NAME_KEY, welcome.name);
    onWelcome(welcome);
  });
  return {
    socket,
    hello(name, lang) {
      hello = { name, lang };
      if (socket.connected) sayHello();
    },
  };
}

export function savedName(): string | undefined {
  return localStorage.getItem(NAME_KEY) ?? undefined;
}
