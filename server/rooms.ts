/** The socket.io rooms the server speaks to: one per player (all its tabs), one per call (both players, and a host who watches). */
export function callRoom(callId: string): string {
  return `call:${callId}`;
}

export function playerRoom(playerId: string): string {
  return `player:${playerId}`;
}
