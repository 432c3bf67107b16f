/**
 * RFC 9293's segment notation, `<SEQ=100><ACK=301><CTL=SYN,ACK>`, both ways. Used by the
 * traces in docs/protocol.md, by logs and by the ladder diagram's labels.
 */
import { makeSegment } from './endpoint';
import type { Segment } from './types';

const FLAG_ORDER = ['SYN', 'FIN', 'RST', 'ACK'] as const;
type FlagName = (typeof FLAG_ORDER)[number];
const FLAG_FIELD: Readonly<Record<FlagName, 'syn' | 'fin' | 'rst' | 'ack'>> = {
  SYN: 'syn',
  FIN: 'fin',
  RST: 'rst',
  ACK: 'ack',
};

/** The flags of a segment as RFC 9293 writes them, e.g. `SYN,ACK`. Empty for none. */
export function formatFlags(segment: Segment): string {
  return FLAG_ORDER.filter((name) => segment[FLAG_FIELD[name]]).join(',');
}

/**
 * @example formatSegment(makeSegment({ syn: true, ack: true, seq: 300, ackNo: 101 }))
 * // '<SEQ=300><ACK=101><CTL=SYN,ACK>'
 */
export function formatSegment(segment: Segment): string {
  let text = `<SEQ=${segment.seq}>`;
  if (segment.ack) text += `<ACK=${segment.ackNo}>`;
  const flags = formatFlags(segment);
  if (flags !== '') text += `<CTL=${flags}>`;
  if (segment.data !== '') text += `<DATA=${JSON.stringify(segment.data)}>`;
  return text;
}

/**
 * Parse the notation `formatSegment` writes. Throws a SyntaxError naming the problem.
 *
 * @example parseSegment('<SEQ=1><CTL=SYN>') // SYN seq=1
 */
export function parseSegment(text: string): Segment {
  const fields: { -readonly [K in keyof Segment]?: Segment[K] } = {};
  const pattern = /<(SEQ|ACK|CTL|DATA)=((?:"(?:[^"\\]|\\.)*")|[^>]*)>/gy;
  let rest = text.trim();
  pattern.lastIndex = 0;
  let consumed = 0;
  for (let match = pattern.exec(rest); match !== null; match = pattern.exec(rest)) {
    consumed = pattern.lastIndex;
    const [, key, value = ''] = match;
    if (key === 'SEQ' || key === 'ACK') {
      if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) throw new SyntaxError(`bad ${key} number in ${text}`);
      if (key === 'SEQ') fields.seq = Number(value);
      else (fields.ack = true), (fields.ackNo = Number(value));
    } else if (key === 'CTL') {
      for (const flag of value.split(',')) {
        if (!(flag in FLAG_FIELD)) throw new SyntaxError(`unknown flag ${flag} in ${text}`);
        fields[FLAG_FIELD[flag as FlagName]] = true;
      }
    } else {
      fields.data = JSON.parse(value) as string;
    }
  }
  rest = rest.slice(consumed);
  if (rest !== '' || consumed === 0) throw new SyntaxError(`cannot read segment ${text}`);
  if (fields.seq === undefined) throw new SyntaxError(`segment without SEQ: ${text}`);
  return makeSegment(fields);
}
