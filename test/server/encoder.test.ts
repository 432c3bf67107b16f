import fc from 'fast-check';
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { JsonEncoder } from '../../server/encoder';

/** Every text packet the server sends: connect, disconnect, events, acknowledgements, refusals. */
const packet: fc.Arbitrary<Packet> = fc.record(
  {
    type: fc.constantFrom(PacketType.CONNECT, PacketType.DISCONNECT, PacketType.EVENT, PacketType.ACK, PacketType.CONNECT_ERROR),
    nsp: fc.constantFrom('/', '', '/admin', '/a,b'),
    data: fc.oneof(
      fc.tuple(fc.constantFrom('call:update', 'error', 'welcome'), fc.jsonValue()),
      fc.record({ sid: fc.string() }),
      fc.jsonValue(),
      fc.constant(undefined),
      fc.constant(null),
    ),
    id: fc.nat(),
  },
  { requiredKeys: ['type', 'nsp'] },
);

describe('JsonEncoder', () => {
  it('writes every text packet exactly as socket.io’s own encoder does', () => {
    const theirs = new Encoder();
    const ours = new JsonEncoder();
    fc.assert(
      fc.property(packet, (p) => {
        expect(ours.encode(p)).toEqual(theirs.encode(p));
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes a call update that socket.io’s decoder reads back whole', () => {
    const sent: Packet = { type: PacketType.EVENT, nsp: '/', data: ['call:update', { callId: 'c1', time: 600, events: [{ type: 'state', from: 'LISTEN', to: 'SYN_RCVD' }], text: '你好 🙂 "quoted" \\' }] };
    const [text] = new JsonEncoder().encode(sent);
    expect(text).toBe(`2${JSON.stringify(sent.data)}`);
    const decoder = new Decoder();
    const read: Packet[] = [];
    decoder.on('decoded', (p: Packet) => read.push(p));
    decoder.add(text);
    expect(read).toEqual([{ type: PacketType.EVENT, nsp: '/', data: sent.data }]);
  });

  it('writes an acknowledgement with its id and a namespace before it', () => {
    expect(new JsonEncoder().encode({ type: PacketType.ACK, nsp: '/game', id: 12, data: [{ ok: true }] })).toEqual(['3/game,12[{"ok":true}]']);
    expect(new JsonEncoder().encode({ type: PacketType.DISCONNECT, nsp: '/' })).toEqual(['1']);
  });
});
