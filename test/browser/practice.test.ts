/**
 * Practice with the bot, in real Chromium against the real server: one player, no
 * partner to wait for. The bot's TCP answers by itself, it chats back, and it says
 * goodbye when its partner does.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, Table, waitForCall } from '../support/browser';

let browser: Browser;
let table: Table | null = null;

beforeAll(async () => {
  browser = await launchChromium();
});
afterEach(async () => {
  await table?.close();
  table = null;
});
afterAll(async () => {
  await browser?.close();
});

const HOP = 600;
/** How long the bot "thinks" before it talks or says goodbye (the server's default). */
const BOT_THINKS = 1_200;

describe('practice with the bot', () => {
  it('the bot answers the handshake by itself, chats back, and says goodbye', async () => {
    table = await Table.open(browser, 'practice');
    const t = table;
    const alice = await t.join('Alice', { name: 'Alice' });
    await alice.page.locator('#line').selectOption('perfect');
    await alice.page.locator('#practice').click();
    await waitForCall(t, alice);
    const start = await alice.snapshot();
    expect(start).toMatchObject({ screen: 'call', you: 'a', states: { a: 'LISTEN', b: 'LISTEN' } });

    // Alice asks; the bot's TCP answers the moment the SYN lands, with the story's numbers.
    await alice.page.locator('#act-ask').click();
    await alice.until('Alice in SYN_SENT', (s) => s.states?.a === 'SYN_SENT');
    await t.advance(HOP);
    const answered = await alice.until('the bot’s SYN+ACK', (s) => s.states?.b === 'SYN_RCVD' && s.tracks === 2);
    expect(answered.log.some((l) => l.endsWith('sent <SEQ=3><ACK=2><CTL=SYN,ACK>: “2. And 2 + 2 = ?”.'))).toBe(true);
    await t.advance(HOP / 2, { animate: true });
    expect((await alice.snapshot()).scene?.envelopes).toBe(1);
    await t.screenshot(alice, 'bot-answer-in-flight');
    await t.advance(HOP / 2);
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

    // Alice says goodbye; the bot's TCP acknowledges it, the bot says goodbye too; Alice answers.
    await alice.page.locator('#act-goodbye').click();
    await alice.until('Alice in FIN_WAIT_1', (s) => s.states?.a === 'FIN_WAIT_1');
    await t.advance(HOP);
    await alice.until('the bot in CLOSE_WAIT', (s) => s.states?.b === 'CLOSE_WAIT');
    await t.advance(BOT_THINKS + HOP);
    await alice.until('the bot’s FIN waiting for Alice', (s) => s.states?.b === 'LAST_ACK' && s.pending === 1);
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
