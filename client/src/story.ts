/**
 * The human line a segment speaks in the story ("1 + 1 = ?", "2. And 2 + 2 = ?", "4",
 * "I have to go."…). Presentation only: which words go with a segment that the server
 * already sent.
 */
import type { Segment } from '../../shared/protocol';
import { segmentLength, seqAdd, formatFlags } from '../../shared/protocol';
import { fill, strings } from './i18n';
import type { CallModel, Track } from './model';

export function humanLine(track: Track, model: CallModel): string {
  const s = strings().story;
  const seg = track.segment;
  if (track.origin === 'old') return fill(s.oldAsk, { x: seg.seq });
  if (track.origin === 'fake') return s.fakeAsk;
  const story = model.line === 'perfect' && model.level !== 'random';
  if (seg.rst) {
    // A RST that TCP sent back to a segment it could not accept is a "huh?", not a hang-up.
    const reply = model.events.some((e) => e.type === 'endpoint' && e.side === track.from && e.at === track.sentAt && e.event.type === 'dropped' && e.event.reply === 'rst');
    return reply ? s.confused : s.hangUp;
  }
  if (seg.syn && !seg.ack) return story && seg.seq === 1 ? s.storyAsk : fill(s.ask, { x: seg.seq });
  if (seg.syn) return story && seg.seq === 3 && seg.ackNo === 2 ? s.storyAnswerAndAsk : fill(s.answerAndAsk, { a: seg.ackNo, y: seg.seq });
  if (seg.data !== '') return seg.data;
  const before = model.tracks.slice(0, model.tracks.indexOf(track));
  if (seg.fin) {
    const theyWent = before.some((t) => t.from !== track.from && t.segment.fin);
    return theyWent ? s.byeToo : s.bye;
  }
  // A bare ACK: say what it answers (the other side's latest SYN, FIN or data), even if wrong.
  const exact = [...before].reverse().find((t) => t.from !== track.from && seqAdd(t.segment.seq, segmentLength(t.segment)) === seg.ackNo);
  const answered = exact ?? [...before].reverse().find((t) => t.from !== track.from && !t.segment.rst);
  if (answered === undefined) return s.gotIt;
  if (answered.segment.syn) return fill(s.answer, { a: seg.ackNo });
  if (answered.segment.fin) {
    const iWent = before.some((t) => t.from === track.from && t.segment.fin);
    return iWent ? s.lastOk : s.ok;
  }
  return s.gotIt;
}

/** A short label for an envelope: flags and numbers, e.g. `SYN,ACK 3/2`. */
export function envelopeLabel(seg: Segment): { flags: string; numbers: string } {
  const flags = formatFlags(seg) || '—';
  const numbers = seg.ack ? `seq=${seg.seq} ack=${seg.ackNo}` : `seq=${seg.seq}`;
  return { flags, numbers };
}
