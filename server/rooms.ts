/**
 * The socket.io rooms the server speaks to: one per player (all its tabs), one per call
 * (both players, and a host who watches); and how a server alone speaks to one.
 */
import type { Namespace } from 'socket.io';
import { afterTimerRound, inTimerRound, type Clock } from './clock';
import { PacketType } from './encoder';

export function callRoom(callId: string): string {
  return `call:${callId}`;
}

export function playerRoom(playerId: string): string {
  return `player:${playerId}`;
}

/** No socket left out of a broadcast (never changed). */
const NOBODY = new Set<string>();

/**
 * Say something to everyone in a room of a server alone. The message goes straight to the
 * adapter (encoded once, written to each socket), without the broadcast operators that
 * `io.to(room)` makes on the way.
 *
 * What a round of timers says is sent once the round is over (the clock's `afterRound`),
 * so a call due late in the round is not held back by the sends of the calls before it. It
 * goes to the sockets in the room when it was said, whoever left since. Payloads are
 * values that nothing changes once said. Outside a round it goes at once.
 */
export function roomSender(adapter: Namespace['adapter'], clock: Clock): (room: string, event: string, payload: unknown) => void {
  // Each socket is also a room of its own, named by its id: the room's members name its sockets.
  const send = (sockets: Set<string>, event: string, payload: unknown): void =>
    adapter.broadcast({ type: PacketType.EVENT, nsp: '/', data: [event, payload] }, { rooms: sockets, except: NOBODY, flags: {} });
  return (room, event, payload) => {
    const members = adapter.rooms.get(room);
    if (members === undefined) return;
    if (!inTimerRound(clock)) return send(members, event, payload);
    const sockets = new Set(members);
    afterTimerRound(clock, () => send(sockets, event, payload));
  };
}
