/**
 * The call tiles as video windows, in real Chromium: the person speaking has their mic
 * lit while their segment leaves; a partner who drops shows "no signal", and what is said
 * into the frozen line freezes the speaker's picture for a moment.
 */
import { describe, expect, it } from 'vitest';
import { browserTests, quickMatch } from '../support/browser';

const suite = browserTests();
const HOP = 600;

describe('video windows', () => {
  it('the mic lights while a segment leaves; a partner who drops shows no signal', async () => {
    const t = await suite.open('video');
    const alice = await t.join('Alice', { name: 'Alice' });
    const bob = await t.join('Bob', { name: 'Bob' });
    await quickMatch(t, alice, bob, 'perfect');
    expect((await alice.snapshot()).scene?.video).toEqual({ me: { signal: 'ok', speaking: false }, partner: { signal: 'ok', speaking: false } });

    await alice.press('#act-ask');
    await alice.until('the SYN sent', (s) => s.tracks === 1);
    await t.advance(300, { animate: true });
    expect((await alice.snapshot()).scene?.video.me.speaking).toBe(true);
    expect((await bob.snapshot()).scene?.video).toMatchObject({ me: { speaking: false }, partner: { signal: 'ok', speaking: true } });
    await t.screenshot(alice, 'speaking');
    await t.advance(HOP + 400, { animate: true });
    expect((await alice.snapshot()).scene?.video.me.speaking).toBe(false);

    // Bob's page goes away: on Alice's screen his window loses its signal.
    await bob.page.close();
    // The server notices the socket gone and tells Alice; her next frame draws it.
    await alice.until('Bob away in the log', (s) => s.log.some((l) => l.startsWith('Bob') && l.includes('connection')));
    await t.frame();
    expect((await alice.snapshot()).scene?.video.partner.signal).toBe('no-signal');
    expect((await alice.snapshot()).scene?.video.me.signal).toBe('ok');
    await t.screenshot(alice, 'no-signal');

    // Alice's TCP asks again into the frozen line: her own picture freezes for a moment.
    const { timers } = await alice.snapshot();
    await t.advanceTo(timers!.a.reply! + 100, { animate: true });
    await alice.until('the SYN sent again', (s) => s.retransmissions === 1);
    await t.advance(HOP / 2 + 100, { animate: true });
    expect(alice.callEvents().some((e) => e.type === 'segment-sent' && e.lost.some((l) => l.reason === 'freeze'))).toBe(true);
    expect((await alice.snapshot()).scene?.video).toMatchObject({ me: { signal: 'frozen' }, partner: { signal: 'no-signal' } });
    await t.screenshot(alice, 'frozen');
    await t.advance(2_000, { animate: true });
    expect((await alice.snapshot()).scene?.video.me.signal).toBe('ok');
    expect((await alice.allErrors())).toEqual([]);
  });
});
