/**
 * How a server alone speaks to a room (server/rooms.ts): a real socket.io server on port
 * 0, real socket.io clients, and the server's own timer wheel with its time moved by hand.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { gameParser } from '../../server/encoder';
import { roomSender } from '../../server/rooms';
import { createTimerWheel } from '../../server/timers';

interface Listener {
  readonly socket: Socket;
  readonly notes: unknown[];
}

describe('speaking to a room', () => {
  it('sends what a round of timers said once the round is over, to the sockets in the room when it was said', async () => {
    let t = 0;
    const clock = createTimerWheel({ now: () => t });
    const http = createServer();
    const io = new Server(http, { transports: ['websocket'], parser: gameParser, serveClient: false });
    io.on('connection', (socket) => void socket.join('room'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const listen = async (): Promise<Listener> => {
      const socket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true });
      const notes: unknown[] = [];
      socket.on('note', (n: unknown) => notes.push(n));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      return { socket, notes };
    };
    const ann = await listen();
    const bob = await listen();
    try {
      const send = roomSender(io.sockets.adapter, clock);
      // One round: a message to the room, Bob leaves the room, another message to it.
      clock.setTimeout(() => {
        send('room', 'note', 1);
        void io.sockets.sockets.get(bob.socket.id!)!.leave('room');
      }, 10);
      clock.setTimeout(() => send('room', 'note', 2), 10);
      t = 10;
      clock.poll();
      // Outside a round, at once: to Bob alone (each socket is a room of its own).
      send(bob.socket.id!, 'note', 3);
      await expect.poll(() => ann.notes.length + bob.notes.length).toBe(4);
      // Bob was in the room when the first was said, and not when the second was.
      expect(ann.notes).toEqual([1, 2]);
      expect(bob.notes).toEqual([1, 3]);
    } finally {
      ann.socket.close();
      bob.socket.close();
      await new Promise<void>((resolve) => void io.close(() => resolve()));
    }
  });
});
