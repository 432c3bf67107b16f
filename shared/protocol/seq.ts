/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4) and segment lengths.
 */
import type { Segment } from './types';

/** `a + n` in sequence space. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Signed distance `a - b` in sequence space (valid while |a - b| < 2^31). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/**
 * UTF-8 byte length of a string, without TextEncoder (not available in a pure module).
 * A lone surrogate counts as 3 bytes, as TextEncoder would encode U+FFFD.
 *
 * @example utf8Length('hi') // 2
 * @example utf8Length('你好') // 6
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Sequence space a segment takes: one for SYN, one for FIN, one per data byte.
 * A bare ACK (or a RST) takes none.
 *
 * @example segmentLength({ syn: true, ack: false, fin: false, rst: false, seq: 1, ackNo: 0, data: '' }) // 1
 */
export function segmentLength(segment: Segment): number {
  return (segment.data === '' ? 0 : utf8Length(segment.data)) + (segment.syn ? 1 : 0) + (segment.fin ? 1 : 0);
}
