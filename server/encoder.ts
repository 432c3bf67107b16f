/**
 * How the server writes socket.io packets: the same text as socket.io's own encoder
 * (protocol 5: the packet type, the namespace unless it is `/`, the acknowledgement id,
 * then the data as JSON), without first walking the whole payload to look for binary
 * attachments. The game sends only plain JSON data (every server payload is typed in
 * shared/wire), so that walk, made for every message, never finds any. Reading packets
 * from clients stays socket.io's own decoder.
 */
import { createRequire } from 'node:module';
import type { Packet } from 'socket.io-parser';

// The very copy socket.io itself loads (its CommonJS build), not a second one.
const parser = createRequire(import.meta.url)('socket.io-parser') as typeof import('socket.io-parser');
export const PacketType = parser.PacketType;

export class JsonEncoder {
  encode(packet: Packet): [string] {
    let text = String(packet.type);
    if (packet.nsp !== undefined && packet.nsp !== '' && packet.nsp !== '/') text += `${packet.nsp},`;
    if (packet.id !== undefined && packet.id !== null) text += String(packet.id);
    if (packet.data !== undefined && packet.data !== null) text += JSON.stringify(packet.data);
    return [text];
  }
}

/** The `parser` option of the game's socket.io server. */
export const gameParser = { Encoder: JsonEncoder, Decoder: parser.Decoder };
