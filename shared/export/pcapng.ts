/**
 * A call as a capture file that Wireshark opens: pcapng with one interface of raw IPv4
 * packets, one TCP/IPv4 packet per segment sent, at the time it was sent (a capture "on
 * the wire", so segments later lost on the line are in it too). Pure: bytes in, bytes out.
 */
import type { Side } from '../call';
import type { Segment } from '../protocol';

/** Made-up addresses from the documentation ranges (RFC 5737) and ports for the two sides. */
export const CAPTURE_HOSTS = {
  a: { ip: [192, 0, 2, 1] as const, port: 49_152 },
  b: { ip: [198, 51, 100, 2] as const, port: 8_080 },
} as const;

export interface CapturedSegment {
  /** Call time in ms. */
  readonly at: number;
  readonly from: Side;
  readonly segment: Segment;
}

const LINKTYPE_RAW = 101;
const TCP_FLAGS = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10 } as const;

/**
 * @example toPcapng([{ at: 0, from: 'a', segment: makeSegment({ syn: true, seq: 1 }) }], Date.UTC(2026, 0, 1))
 */
export function toPcapng(segments: readonly CapturedSegment[], startEpochMs: number, comment = 'Can You Hear Me? call'): Uint8Array<ArrayBuffer> {
  const blocks: Uint8Array[] = [sectionHeader(comment), interfaceDescription()];
  for (const [i, s] of segments.entries()) blocks.push(enhancedPacket(tcpIpv4Packet(s.from, s.segment, i), startEpochMs + s.at));
  return concat(blocks);
}

/** UTF-8 bytes of a string (TextEncoder is not part of a pure module's world). */
export function encodeUtf8(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

/** One IPv4 packet holding one TCP segment, checksums filled in. */
export function tcpIpv4Packet(from: Side, segment: Segment, id: number): Uint8Array {
  const src = CAPTURE_HOSTS[from];
  const dst = CAPTURE_HOSTS[from === 'a' ? 'b' : 'a'];
  const payload = encodeUtf8(segment.data);
  const tcpLength = 20 + payload.length;
  const total = 20 + tcpLength;
  const packet = new Uint8Array(total);
  const view = new DataView(packet.buffer);
  // IPv4 header.
  view.setUint8(0, 0x45);
  view.setUint16(2, total);
  view.setUint16(4, id & 0xffff);
  view.setUint16(6, 0x4000); // don't fragment
  view.setUint8(8, 64); // TTL
  view.setUint8(9, 6); // TCP
  packet.set(src.ip, 12);
  packet.set(dst.ip, 16);
  view.setUint16(10, checksum(packet.subarray(0, 20)));
  // TCP header.
  const tcp = 20;
  view.setUint16(tcp, src.port);
  view.setUint16(tcp + 2, dst.port);
  view.setUint32(tcp + 4, segment.seq >>> 0);
  view.setUint32(tcp + 8, segment.ack ? segment.ackNo >>> 0 : 0);
  view.setUint8(tcp + 12, 5 << 4);
  let flags = 0;
  if (segment.fin) flags |= TCP_FLAGS.fin;
  if (segment.syn) flags |= TCP_FLAGS.syn;
  if (segment.rst) flags |= TCP_FLAGS.rst;
  if (segment.ack) flags |= TCP_FLAGS.ack;
  if (payload.length > 0) flags |= TCP_FLAGS.psh;
  view.setUint8(tcp + 13, flags);
  view.setUint16(tcp + 14, 65_535);
  packet.set(payload, tcp + 20);
  const pseudo = new Uint8Array(12 + tcpLength);
  pseudo.set(src.ip, 0);
  pseudo.set(dst.ip, 4);
  pseudo[9] = 6;
  new DataView(pseudo.buffer).setUint16(10, tcpLength);
  pseudo.set(packet.subarray(tcp), 12);
  view.setUint16(tcp + 16, checksum(pseudo));
  return packet;
}

/** The Internet checksum (RFC 1071). */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  if (bytes.length % 2 === 1) sum += (bytes[bytes.length - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---------------------------------------------------------------- pcapng blocks (little-endian)

function block(type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const length = 12 + padded;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, length, true);
  out.set(body, 8);
  view.setUint32(length - 4, length, true);
  return out;
}

function option(code: number, value: Uint8Array): Uint8Array {
  const padded = (value.length + 3) & ~3;
  const out = new Uint8Array(4 + padded);
  const view = new DataView(out.buffer);
  view.setUint16(0, code, true);
  view.setUint16(2, value.length, true);
  out.set(value, 4);
  return out;
}

const END_OF_OPTIONS = new Uint8Array(4);

function sectionHeader(comment: string): Uint8Array {
  const fixed = new Uint8Array(16);
  const view = new DataView(fixed.buffer);
  view.setUint32(0, 0x1a2b3c4d, true); // byte-order magic
  view.setUint16(4, 1, true);
  view.setUint16(6, 0, true);
  view.setInt32(8, -1, true); // section length unknown
  view.setInt32(12, -1, true);
  return block(0x0a0d0d0a, concat([fixed, option(1, encodeUtf8(comment)), option(4, encodeUtf8('Can You Hear Me?')), END_OF_OPTIONS]));
}

function interfaceDescription(): Uint8Array {
  const fixed = new Uint8Array(8);
  const view = new DataView(fixed.buffer);
  view.setUint16(0, LINKTYPE_RAW, true);
  view.setUint32(4, 0, true); // no snap length limit
  // if_tsresol 3: timestamps in milliseconds.
  return block(0x00000001, concat([fixed, option(2, encodeUtf8('the line')), option(9, Uint8Array.of(3)), END_OF_OPTIONS]));
}

function enhancedPacket(packet: Uint8Array, epochMs: number): Uint8Array {
  const fixed = new Uint8Array(20);
  const view = new DataView(fixed.buffer);
  const ts = Math.round(epochMs);
  view.setUint32(0, 0, true); // interface 0
  view.setUint32(4, Math.floor(ts / 2 ** 32), true);
  view.setUint32(8, ts >>> 0, true);
  view.setUint32(12, packet.length, true);
  view.setUint32(16, packet.length, true);
  const padded = new Uint8Array((packet.length + 3) & ~3);
  padded.set(packet);
  return block(0x00000006, concat([fixed, padded]));
}

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
