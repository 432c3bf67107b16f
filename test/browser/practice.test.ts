/**
 * Practice with the bot, in real Chromium against the real server: one player, no
 * partner to wait for. The bot is a player: it thinks (a prompt bot 0.4–0.9 s), then
 * answers with the segment TCP would send, judged like anyone's move; it chats back, and
 * it says goodbye when its partner does.
 */
import { describe, expect, it } from 'vitest';
import { browserTests, FRAME_MS, waitForCall } from '../support/browser';

const suite = browserTests();

const HOP = 600;
/** The longest a prompt bot thinks before it answers, talks or says goodbye (0.4–0.9 s). */
const BOT_THINKS = 900;
const BOT_THINKS_LEAST = 400;
/** The reply timer a segment arms when it is sent (the story's 5 seconds). */
const REPLY_TIMEOUT = 5_000;

describe('practice with the bot', () => {
  it('the bot answers the handshake by itself, chats back, and says goodbye', async () => {
    const t = await suite.open('practice');
    const alice = await t.join('Alice', { name: 'Alice' });
    await alice.page.locator('#line').selectOption('perfect');
    await alice.page.locator('#practice').click();
    await waitForCall(t, alice);
    const start = await alice.snapshot();
    expect(start).toMatchObject({ screen: 'call', you: 'a', states: { a: 'LISTEN', b: 'LISTEN' } });

    // Alice asks. The SYN lands after one hop and waits for the bot, which thinks first:
    // nothing comes back at once.
    await alice.page.locator('#act-ask').click();
    await alice.until('Alice in SYN_SENT', (s) => s.states?.a === 'SYN_SENT');
    await t.advance(HOP + BOT_THINKS_LEAST - 1);
    expect(await alice.snapshot()).toMatchObject({ states: { a: 'SYN_SENT', b: 'LISTEN' }, tracks: 1 });

    // Within 0.9 s of the SYN landing it answers with the story's numbers, as a judged move.
    await t.advance(BOT_THINKS - BOT_THINKS_LEAST + 1);
    const answered = await alice.until('the bot’s SYN+ACK', (s) => s.states?.b === 'SYN_RCVD' && s.tracks === 2);
    expect(answered.log.some((l) => l.endsWith('sent <SEQ=3><ACK=2><CTL=SYN,ACK>: “2. And 2 + 2 = ?”.'))).toBe(true);
    const judged = alice.callEvents().filter((e) => e.type === 'move-judged' && e.side === 'b');
    expect(judged).toHaveLength(1);
    expect(judged[0]).toMatchObject({ ok: true, mistakes: [] });
    const landed = alice.callEvents().find((e) => e.type === 'pending' && e.side === 'b');
    expect(judged[0]!.at - landed!.at).toBeGreaterThanOrEqual(BOT_THINKS_LEAST);
    expect(judged[0]!.at - landed!.at).toBeLessThanOrEqual(BOT_THINKS);
    // The bot's SYN+ACK armed its reply timer when it left: that is when it was sent.
    const sentAt = answered.timers!.b.reply! - REPLY_TIMEOUT;
    expect(sentAt).toBe(judged[0]!.at);
    // Picture it half-way along the line, or a frame from now if that is sooner (a page
    // draws only on an animation frame: moving its clock 3 ms may draw nothing).
    await t.advanceTo(Math.max(sentAt + HOP / 2, t.callTime() + FRAME_MS), { animate: true });
    expect((await alice.snapshot()).scene?.envelopes).toBe(1);
    await t.screenshot(alice, 'bot-answer-in-flight');
    await t.advanceTo(sentAt + HOP);
    await alice.choose('<SEQ=2><ACK=4><CTL=ACK>');
    await alice.until('Alice ESTABLISHED', (s) => s.states?.a === 'ESTABLISHED');
    await t.advance(HOP);
    await alice.until('the bot ESTABLISHED', (s) => s.states?.b === 'ESTABLISHED');
    await t.frame();
    expect((await alice.snapshot()).scene?.badges).toEqual({ me: 'ESTABLISHED', partner: 'ESTABLISHED' });
    await t.screenshot(alice, 'established');

    // Alice talks; the bot hears it, thinks, and talks back.
    await alice.page.locator('#chat-input').fill('hello bot');
    await alice.page.locator('#chat-input').press('Enter');
    await alice.until('the message sent', (s) => s.log.some((l) => l.includes('<DATA="hello bot">')));
    await t.advance(HOP);
    await alice.until('the bot heard it', (s) => s.chat.includes('hello bot'));
    await t.advance(BOT_THINKS + HOP);
    const reply = await alice.until('the bot’s reply', (s) => s.chat.length === 2);
    expect(reply.chat).toEqual(['hello bot', 'I can hear you!']);
    expect(await alice.page.locator('#chat-list li:not(.mine)').allTextContents()).toEqual(['I can hear you!']);
    await t.frame();
    await t.screenshot(alice, 'bot-replied');

    // Alice says goodbye; the bot thinks, acknowledges it, thinks again and says goodbye too.
    await alice.page.locator('#act-goodbye').click();
    await alice.until('Alice in FIN_WAIT_1', (s) => s.states?.a === 'FIN_WAIT_1');
    await t.advance(HOP);
    await t.advance(BOT_THINKS);
    // Its ACK has gone by now, and its own FIN too if it thought quickly both times.
    await alice.until('the bot’s ACK of the goodbye', (s) => s.states?.b === 'CLOSE_WAIT' || s.states?.b === 'LAST_ACK');
    await t.advance(BOT_THINKS + HOP);
    await alice.until('the bot’s FIN waiting for Alice', (s) => s.states?.b === 'LAST_ACK' && s.pending === 1);
    // It acknowledged first, then thought again before its own FIN.
    const botStates = alice.callEvents().flatMap((e) => (e.type === 'endpoint' && e.side === 'b' && e.event.type === 'state' ? [{ to: e.event.to, at: e.at }] : []));
    const closeWait = botStates.find((s) => s.to === 'CLOSE_WAIT');
    const lastAck = botStates.find((s) => s.to === 'LAST_ACK');
    expect(lastAck!.at - closeWait!.at).toBeGreaterThanOrEqual(BOT_THINKS_LEAST);
    expect(lastAck!.at - closeWait!.at).toBeLessThanOrEqual(BOT_THINKS);
    // Every segment the bot built was judged right: the SYN+ACK and the ACK of Alice's FIN.
    expect(alice.callEvents().filter((e) => e.type === 'move-judged' && e.side === 'b').map((e) => e.type === 'move-judged' && e.ok)).toEqual([true, true]);
    await alice.page.locator('#let-tcp').click();
    const waiting = await alice.until('Alice in TIME_WAIT', (s) => s.states?.a === 'TIME_WAIT');
    await t.advance(HOP);
    await t.advanceTo(waiting.timers!.a.timeWait!);
    await alice.until('the call summary', (s) => s.summary !== null);
    await t.advance(1_500);
    const end = await alice.until('the end screen', (s) => s.screen === 'end');
    expect(end.outcome).toBe('polite');
    expect(await alice.page.locator('#end-outcome').textContent()).toBe('A polite goodbye. Well done!');
    await t.screenshot(alice, 'end');

    expect(await t.errors()).toEqual([]);
  });
});
