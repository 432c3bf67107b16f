/**
 * Plain words for a replay: what happened at a moment, and what one segment says, in the
 * words of the story, for someone meeting TCP for the first time.
 */
import type { MomentThing, Side, Trip } from '../../../shared/call';
import { segmentLength, seqAdd } from '../../../shared/protocol';
import type { Segment } from '../../../shared/protocol';
import { fill, strings } from '../i18n';
import type { CallModel } from '../model';
import { envelopeLabel, humanLine } from '../story';

/** `SYN,ACK seq=300 ack=101`, with the data in quotes if any. */
export function segmentText(segment: Segment): string {
  const { flags, numbers } = envelopeLabel(segment);
  return `${flags} ${numbers}${segment.data === '' ? '' : ` "${segment.data.length > 24 ? `${segment.data.slice(0, 23)}…` : segment.data}"`}`;
}

/** Call time in seconds, to the millisecond but without trailing zeros: 5300 → "5.3", 5347 → "5.347". */
export function seconds(ms: number): string {
  return (Math.round(ms) / 1000).toFixed(3).replace(/0{1,2}$/, '');
}

/** One sentence for one thing at a moment. */
export function describeThing(thing: MomentThing, trips: ReadonlyMap<number, Trip>, names: Record<Side, string>): string {
  const s = strings().replay.things;
  const seg = (id: number): string => {
    const trip = trips.get(id);
    return trip === undefined ? `#${id}` : segmentText(trip.segment);
  };
  switch (thing.kind) {
    case 'sent':
      return fill(thing.wrong ? s.wrong : thing.retransmit ? s.resent : s.sent, { from: names[thing.from], segment: segmentText(thing.segment) });
    case 'injected':
      return fill(thing.fake ? s.fake : s.old, { to: names[thing.to], segment: segmentText(thing.segment) });
    case 'arrived':
      return fill(thing.duplicate ? s.arrivedAgain : s.arrived, { to: names[thing.to], segment: seg(thing.id) });
    case 'lost':
      return fill(thing.reason === 'freeze' ? s.frozen : s.lost, { from: names[thing.from], segment: seg(thing.id) });
    case 'state':
      return fill(s.state, { side: names[thing.side], from: thing.from, to: thing.to });
    case 'timer':
      return fill(s.timer[thing.timer], { side: names[thing.side] });
  }
}

/**
 * What a segment says, in plain words: what it asks or answers and what its numbers mean,
 * the story's line for it, and what became of it on the line.
 *
 * @example explainTrip(trip, model, { a: 'Alice', b: 'Bob' })
 * // ['Alice asks to start: SYN with Alice’s first number, 100. …', 'In the story: “100 + 1 = ?”', 'It reaches Bob at 0.7 s, 700 ms after it left.']
 */
export function explainTrip(trip: Trip, model: CallModel, names: Record<Side, string>): string[] {
  const s = strings().replay.explain;
  const seg = trip.segment;
  const v = { from: names[trip.from], to: names[trip.to], seq: seg.seq, ack: seg.ackNo, heard: seqAdd(seg.ackNo, -1), data: seg.data, bytes: segmentLength(seg) };
  const lines: string[] = [];
  if (trip.origin === 'old') lines.push(fill(s.old, v));
  else if (trip.origin === 'fake') lines.push(fill(s.fake, v));
  else if (seg.rst) lines.push(fill(s.rst, v));
  else if (seg.syn && !seg.ack) lines.push(fill(s.ask, v));
  else if (seg.syn) lines.push(fill(s.answerAsk, v));
  else if (seg.fin) lines.push(seg.ack ? `${fill(s.fin, v)} ${fill(s.finAck, v)}` : fill(s.fin, v));
  else if (seg.data !== '') lines.push(fill(s.data, v));
  else if (seg.ack) lines.push(fill(s.ack, v));
  else lines.push(s.empty);
  const track = model.tracks.find((t) => t.id === trip.id);
  if (track !== undefined && trip.origin === 'sent' && seg.data === '') lines.push(fill(s.story, { line: humanLine(track, model) }));
  if (trip.retransmit) lines.push(fill(s.resent, v));
  if (trip.wrong) lines.push(fill(s.wrong, v));
  const first = trip.copies[0];
  if (trip.copies.length > 1 && first !== undefined) lines.push(fill(s.arrivesTwice, { ...v, at: trip.copies.map((c) => seconds(c.arriveAt)).join(', ') }));
  else if (first !== undefined) lines.push(fill(s.arrives, { ...v, at: seconds(first.arriveAt), ms: first.arriveAt - trip.sentAt }));
  for (const lost of trip.lost) if (trip.copies.length === 0) lines.push(fill(lost.reason === 'freeze' ? s.frozen : s.lost, { ...v, at: seconds(lost.lostAt) }));
  return lines;
}
