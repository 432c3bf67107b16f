/**
 * A segment on the line, as a call's events tell it: who put it there, when, and what
 * became of each copy. Small on purpose: pages that draw a call import only this.
 */
import type { CallEvent, LostCopyInfo, SentCopy, Side } from './call';
import type { Segment } from '../protocol';

export interface Trip {
  readonly id: number;
  /** Sent by a side, or put on the line from elsewhere: an old duplicate, a fake caller. */
  readonly origin: 'sent' | 'old' | 'fake';
  readonly from: Side;
  readonly to: Side;
  readonly segment: Segment;
  readonly sentAt: number;
  readonly retransmit: boolean;
  readonly wrong: boolean;
  readonly copies: readonly SentCopy[];
  readonly lost: readonly LostCopyInfo[];
}

const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');

/** The segment an event puts on the line (sent by a side, or injected from elsewhere), or null for any other event. */
export function tripOf(e: CallEvent): Trip | null {
  if (e.type === 'segment-sent') {
    return { id: e.id, origin: 'sent', from: e.from, to: other(e.from), segment: e.segment, sentAt: e.at, retransmit: e.retransmit, wrong: e.wrong, copies: e.copies, lost: e.lost };
  }
  if (e.type === 'segment-injected') {
    const copies = [{ arriveAt: e.arriveAt, duplicate: false, reordered: false }];
    return { id: e.id, origin: e.fake ? 'fake' : 'old', from: other(e.to), to: e.to, segment: e.segment, sentAt: e.at, retransmit: false, wrong: false, copies, lost: [] };
  }
  return null;
}
