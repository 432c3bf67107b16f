/**
 * Narration: every segment, loss, state change and message of the call told in plain
 * words in the live log (which screen readers read), and the chat list. It follows the
 * server's events as they come; it decides nothing.
 */
import type { CallEvent, Side } from '../../../shared/call';
import { formatSegment } from '../../../shared/protocol';
import { fill, strings } from '../i18n';
import { callTime, other, type CallModel } from '../model';
import { $ } from '../page';
import { humanLine } from '../story';

/** "You", or the player's name. */
export function who(model: CallModel | null, side: Side): string {
  if (model === null) return side;
  return side === model.you ? strings().you : model.players[side].name;
}

export function log(text: string, tone: 'good' | 'warn' | '' = ''): void {
  const item = Object.assign(document.createElement('li'), { textContent: text, className: tone });
  const list = $('log');
  list.append(item);
  while (list.children.length > 200) list.firstElementChild?.remove();
  list.scrollTop = list.scrollHeight;
}

/** A new call: an empty log and chat. */
export function clearNarration(): void {
  $('log').replaceChildren();
  $('chat-list').replaceChildren();
}

export interface NarrationHooks {
  /** This player's move was judged. */
  judged(ok: boolean, mistakes: readonly { code: string; expected?: unknown; got?: unknown }[]): void;
}

/**
 * Tell `events` (just absorbed into `model`) in the log. `replay`: events from before this
 * page joined the call, told without waiting for their losses to happen.
 */
export function narrate(model: CallModel, events: readonly CallEvent[], hooks: NarrationHooks, replay = false): void {
  const s = strings();
  const name = (side: Side): string => who(model, side);
  for (const e of events) {
    if (e.type === 'segment-sent') {
      const track = model.tracks.find((t) => t.id === e.id);
      const segment = formatSegment(e.segment);
      if (e.wrong) log(fill(s.log.wrong, { who: name(e.from), segment }), 'warn');
      else if (e.retransmit) {
        const n = model.events.filter((x) => x.type === 'segment-sent' && x.retransmit && x.from === e.from && x.at <= e.at && x.segment.seq === e.segment.seq).length;
        log(fill(s.log.resent, { who: name(e.from), segment, n }), 'warn');
      } else log(fill(s.log.sent, { who: name(e.from), segment, line: track === undefined ? '' : humanLine(track, model) }));
      if (!replay) for (const lost of e.lost) later(model, lost.lostAt, () => log(fill(lost.reason === 'freeze' ? s.log.frozen : s.log.lost, { segment }), 'warn'));
      if (e.copies.length > 1 && !replay) later(model, e.copies[1]?.arriveAt ?? e.at, () => log(fill(s.log.duplicated, { segment })));
    } else if (e.type === 'segment-injected') {
      log(fill(e.fake ? s.lessons.injectedFake : s.lessons.injectedGhost, { segment: formatSegment(e.segment) }), 'warn');
    } else if (e.type === 'backlog-drop') {
      log(s.lessons.backlogFull, 'warn');
    } else if (e.type === 'move-judged' && e.side === model.you && !replay) {
      hooks.judged(e.ok, e.mistakes);
    } else if (e.type === 'endpoint') {
      const ev = e.event;
      if (ev.type === 'state') log(fill(s.log.state, { who: name(e.side), from: ev.from, to: ev.to }), ev.to === 'ESTABLISHED' ? 'good' : '');
      else if (ev.type === 'delivered') {
        log(fill(s.log.delivered, { who: name(e.side), text: ev.data }));
        addChat(model, other(e.side), ev.data);
      } else if (ev.type === 'gave-up') log(fill(s.log.gaveUp, { who: name(e.side) }), 'warn');
      else if (ev.type === 'retry-allowed') log(fill(s.log.retryAllowed, { who: name(e.side) }));
      else if (ev.type === 'closed' && ev.reason === 'reset') log(fill(s.log.reset, { who: name(e.side) }), 'warn');
      else if (ev.type === 'dropped' && ev.reply !== null) log(fill(s.log.dropped, { who: name(e.side), segment: formatSegment(ev.segment), why: s.drops[ev.code] }));
    }
  }
}

/** Run `fn` at call time `at` (now, if that is past). */
function later(model: CallModel, at: number, fn: () => void): void {
  const wait = at - callTime(model, performance.now());
  if (wait <= 0) fn();
  else window.setTimeout(fn, wait);
}

function addChat(model: CallModel, from: Side, text: string): void {
  const item = document.createElement('li');
  item.textContent = text;
  if (from === model.you) item.className = 'mine';
  const list = $('chat-list');
  list.append(item);
  list.scrollTop = list.scrollHeight;
}
