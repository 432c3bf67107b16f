/**
 * Every lesson, played through the real server (port 0, a real socket.io client) by a
 * scripted player against the bot, on a fake clock. The player plays as a careful pupil
 * would: it asks when the lesson says so, answers each waiting segment with the segment
 * TCP would send, says hello, and says goodbye. Each test checks that the lesson's point
 * actually happens, and that the server says the goal was met.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../shared/call';
import { replay } from '../../shared/call';
import { LEVELS, levelById, type LevelId } from '../../shared/game/levels';
import { formatSegment } from '../../shared/protocol';
import type { CallEnded, CallUpdate } from '../../shared/wire';
import { roundTrip, startServer, TestClient, type TestServer } from '../support/server';

let srv: TestServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv.close();
});

const STEP_MS = 100;
const LIMIT_MS = 120_000;

interface Played {
  readonly events: CallEvent[];
  readonly ended: CallEnded;
}

/** A careful pupil plays one lesson against the bot, from the lobby to the end of the call. */
async function playLesson(id: LevelId): Promise<Played> {
  const level = levelById(id);
  const pupil = await TestClient.connect(srv.url);
  pupil.send('hello', { name: 'Pupil', lang: 'en' });
  await pupil.next('welcome');
  pupil.send('call:practice', { level: id });
  const started = await pupil.next('call:started');
  expect(started.level).toBe(id);
  expect(started.you).toBe('a');
  const events: CallEvent[] = [...started.events];
  let view = started.view;
  let answered = -1;
  let chatted = false;
  let saidGoodbye = false;
  let connectedAt: number | null = null;
  let now = 0;
  let seen = 0;
  // Too early to talk: refused, and (as the replay check below shows) it changes nothing.
  pupil.send('call:chat', { text: 'hello?' });
  await pupil.next('error', (e) => e.code === 'state/not-established');
  if (level.partner.asker === 'player') pupil.send('call:action', { action: 'ask' });

  for (; now < LIMIT_MS; now += STEP_MS) {
    await roundTrip(pupil);
    const updates = pupil.received.filter((r) => r.event === 'call:update').map((r) => r.payload as CallUpdate);
    const fresh = updates.slice(seen);
    seen = updates.length;
    for (const u of fresh) {
      events.push(...u.events);
      view = u.view;
    }
    if (pupil.all('call:ended').length > 0) break;
    const pending = view.a.pending[0];
    if (pending !== undefined && pending.id !== answered && view.a.hint !== null) {
      answered = pending.id;
      pupil.send('call:move', { segment: view.a.hint });
    }
    if (view.a.state === 'ESTABLISHED' && view.b.state === 'ESTABLISHED' && connectedAt === null) connectedAt = now;
    if (connectedAt !== null && !chatted && view.a.state === 'ESTABLISHED') {
      chatted = true;
      pupil.send('call:chat', { text: 'can you hear me?' });
    }
    // A polite pupil says goodbye a little after talking (not to a partner who vanished).
    const wantsGoodbye = id !== 'silent';
    if (wantsGoodbye && connectedAt !== null && !saidGoodbye && now - connectedAt >= 3_000 && view.a.state === 'ESTABLISHED') {
      saidGoodbye = true;
      pupil.send('call:action', { action: 'goodbye' });
    }
    srv.clock.advance(STEP_MS);
  }
  const ended = pupil.all('call:ended')[0] ?? (await pupil.next('call:ended', () => true, 100));
  pupil.close();
  return { events, ended };
}

const sent = (events: CallEvent[], from: 'a' | 'b') =>
  events.filter((e): e is Extract<CallEvent, { type: 'segment-sent' }> => e.type === 'segment-sent' && e.from === from);
const statesOf = (events: CallEvent[], side: 'a' | 'b') =>
  events.flatMap((e) => (e.type === 'endpoint' && e.side === side && e.event.type === 'state' ? [e.event.to] : []));

describe('lessons against the bot, through the real server', () => {
  it('covers all ten lessons', () => {
    expect(LEVELS.map((l) => l.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it.each(LEVELS.map((l) => [l.number, l.id] as const))('lesson %i (%s): the goal is met, and the call replays exactly', async (_n, id) => {
    const { events, ended } = await playLesson(id);
    expect(ended.goal?.met, JSON.stringify(ended.goal)).toBe(true);
    expect(ended.goal?.steps.every((s) => s.done)).toBe(true);
    // The record plays the very same call again.
    const again = replay(ended.record);
    expect(again.events).toEqual(events.slice(events.length - again.events.length));
    expect(again.events.length).toBe(events.length);

    const a = sent(events, 'a');
    const b = sent(events, 'b');
    switch (id) {
      case 'hello':
        expect(formatSegment(a[0]!.segment)).toBe('<SEQ=1><CTL=SYN>');
        expect(formatSegment(b[0]!.segment)).toBe('<SEQ=3><ACK=2><CTL=SYN,ACK>');
        expect(ended.summary.outcome).toBe('polite');
        break;
      case 'random':
        expect(a[0]!.segment.seq).not.toBe(1);
        expect(ended.summary.outcome).toBe('polite');
        break;
      case 'bad-line':
        expect(a[0]!.copies).toHaveLength(0);
        expect(a.some((e) => e.segment.syn && e.retransmit)).toBe(true);
        break;
      case 'ghost': {
        // The stale SYN reaches the bot, which answers it; the pupil resets that answer.
        const ghost = events.find((e) => e.type === 'segment-injected' && !e.fake);
        expect(ghost).toBeDefined();
        const ghostSeq = ghost?.type === 'segment-injected' ? ghost.segment.seq : -1;
        expect(b.some((e) => e.segment.syn && e.segment.ack && e.segment.ackNo === ghostSeq + 1)).toBe(true);
        expect(a.some((e) => e.segment.rst && e.segment.seq === ghostSeq + 1)).toBe(true);
        expect(statesOf(events, 'b')).toContain('LISTEN');
        break;
      }
      case 'both-open':
        expect(statesOf(events, 'a')).toEqual(expect.arrayContaining(['SYN_SENT', 'SYN_RCVD', 'ESTABLISHED']));
        expect(statesOf(events, 'b')).toEqual(expect.arrayContaining(['SYN_SENT', 'SYN_RCVD', 'ESTABLISHED']));
        break;
      case 'goodbye':
        expect(events.some((e) => e.type === 'endpoint' && e.side === 'a' && e.event.type === 'delivered' && e.event.data.includes('555-0199'))).toBe(true);
        expect(ended.summary.outcome).toBe('polite');
        break;
      case 'both-close':
        // Both goodbyes leave at the same call time; the player sees the other's FIN before
        // its own is acknowledged: CLOSING. (The bot, which holds the FIN while it thinks,
        // may see the ACK of its own FIN first and go FIN_WAIT_2 instead.)
        expect(sent(events, 'a').find((e) => e.segment.fin)?.at).toBe(sent(events, 'b').find((e) => e.segment.fin)?.at);
        expect(statesOf(events, 'a')).toContain('CLOSING');
        expect(statesOf(events, 'b')).toContain('TIME_WAIT');
        expect(ended.summary.outcome).toBe('polite');
        break;
      case 'last-word': {
        // The last ACK is lost; the bot's FIN comes again during TIME_WAIT and is answered again.
        const finAgain = b.find((e) => e.segment.fin && e.retransmit);
        expect(finAgain).toBeDefined();
        const aState = [...events].reverse().find((e) => e.type === 'endpoint' && e.side === 'a' && e.event.type === 'state' && e.at <= (finAgain?.at ?? 0));
        expect(aState?.type === 'endpoint' && aState.event.type === 'state' ? aState.event.to : null).toBe('TIME_WAIT');
        expect(ended.summary.outcome).toBe('polite');
        break;
      }
      case 'flood':
        expect(events.filter((e) => e.type === 'segment-injected' && e.fake)).toHaveLength(4);
        expect(events.some((e) => e.type === 'backlog' && e.used === 3)).toBe(true);
        expect(events.some((e) => e.type === 'backlog-drop')).toBe(true);
        expect(statesOf(events, 'a')).toContain('ESTABLISHED');
        break;
      case 'silent':
        expect(events.filter((e) => e.type === 'endpoint' && e.side === 'a' && e.event.type === 'keepalive-probe')).toHaveLength(3);
        expect(ended.summary.outcome).toBe('keepalive');
        break;
    }
  }, 60_000);
});
