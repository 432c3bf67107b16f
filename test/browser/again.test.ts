/**
 * Replay value, in real Chromium against the real server: a party when the call connects
 * and after a polite goodbye, a badge for a lesson done, and "Call again" with the same
 * partner once both say yes (a bot always does).
 */
import { describe, expect, it } from 'vitest';
import { browserTests, quickMatch, waitForCall } from '../support/browser';

const suite = browserTests();
const HOP = 600;
const BOT_THINKS = 900;

describe('celebration, badges and calling again', () => {
  it('lesson 1 with the bot: a party on connecting and on goodbye, a badge, then "Call again" with the same bot', async () => {
    const t = await suite.open('again-bot');
    const alice = await t.join('Alice', { name: 'Alice' });
    expect(await alice.page.locator('#badges-count').textContent()).toBe('Your badges: 0 of 10');
    expect(await alice.page.locator('#badges .medal.earned').count()).toBe(0);
    await alice.press('#lesson-list button[data-level="hello"]');
    await alice.press('#lesson-bot');
    await waitForCall(t, alice);
    await alice.press('#act-ask');
    await t.advance(HOP + BOT_THINKS + HOP);
    await alice.choose('<SEQ=2><ACK=4><CTL=ACK>');
    await alice.until('Alice ESTABLISHED', (s) => s.states?.a === 'ESTABLISHED');
    await t.frame();
    expect((await alice.snapshot()).scene?.celebrating).toBe('connected');
    await t.screenshot(alice, 'connected-party');
    // It is short.
    await t.advance(2_000, { animate: true });
    expect((await alice.snapshot()).scene?.celebrating).toBeNull();

    // Lesson 1 asks for a chat and a polite goodbye.
    await alice.page.locator('#chat-input').fill('hi');
    await alice.page.locator('#chat-input').press('Enter');
    await t.advance(HOP + BOT_THINKS + HOP);
    await alice.until('the bot’s reply', (s) => s.chat.length === 2);
    await t.advance(HOP);
    await alice.press('#act-goodbye');
    await t.advance(HOP + BOT_THINKS + BOT_THINKS + HOP);
    await alice.until('the bot’s FIN waiting', (s) => s.pending === 1);
    await alice.press('#let-tcp');
    const waiting = await alice.until('Alice in TIME_WAIT', (s) => s.states?.a === 'TIME_WAIT');
    await t.advance(HOP);
    await t.advanceTo(waiting.timers!.a.timeWait!);
    await alice.until('the call over', (s) => s.outcome === 'polite');
    await t.frame();
    expect((await alice.snapshot()).scene?.celebrating).toBe('goodbye');
    await t.advance(1_500);
    await alice.until('the end screen', (s) => s.screen === 'end');
    expect(await alice.page.locator('#celebrate span').count()).toBeGreaterThan(10);
    expect(await alice.page.locator('#badge-earned').isVisible()).toBe(true);
    expect(await alice.page.locator('#badge-earned-text').textContent()).toBe('Badge earned: Lesson 1: Hello?');
    expect(await alice.page.locator('#rematch').isVisible()).toBe(true);
    await t.screenshot(alice, 'end-party');

    // "Call again": the bot agrees at once; the same lesson, the same bot, a new call.
    const first = alice.wire.find((m) => m.event === 'call:started')?.payload as { callId: string; players: { b: { name: string } } };
    await alice.press('#rematch');
    const again = await alice.until('a new call', (s) => s.screen === 'call' && s.states?.a === 'LISTEN');
    expect(again.tracks).toBe(0);
    const second = alice.wire.filter((m) => m.event === 'call:started').at(-1)?.payload as { callId: string; level: string; players: { b: { name: string } } };
    expect(second.callId).not.toBe(first.callId);
    expect(second).toMatchObject({ level: 'hello', players: { b: { name: first.players.b.name } } });

    // Back in the lobby, the badge shelf shows the badge.
    await alice.press('#act-hangup');
    await alice.until('the call over', (s) => s.outcome === 'hung-up');
    await t.advance(2_000);
    await alice.until('the end screen', (s) => s.screen === 'end');
    await alice.press('#play-again');
    expect(await alice.page.locator('#badges-count').textContent()).toBe('Your badges: 1 of 10');
    expect(await alice.page.locator('#badges .medal.earned').allTextContents()).toEqual(['1']);
    await t.screenshot(alice, 'badges');
    expect(await t.errors()).toEqual([]);
  });

  it('two players: "Call again" waits for the other to say yes, then both are in a new call together', async () => {
    const t = await suite.open('again-pair');
    const alice = await t.join('Alice', { name: 'Alice' });
    const bob = await t.join('Bob', { name: 'Bob' });
    await quickMatch(t, alice, bob, 'perfect');
    await alice.press('#act-hangup');
    for (const p of [alice, bob]) await p.until('the call over', (s) => s.outcome !== null);
    await t.advance(2_000);
    for (const p of [alice, bob]) await p.until('the end screen', (s) => s.screen === 'end');

    await alice.press('#rematch');
    await alice.page.locator('#rematch:disabled').waitFor();
    expect(await alice.page.locator('#rematch-note').textContent()).toBe('Waiting for Bob to say yes…');
    await bob.page.locator('#rematch-note:not(:empty)').waitFor();
    expect(await bob.page.locator('#rematch-note').textContent()).toBe('Alice wants to call again! Press “Call again” to say yes.');
    await t.screenshot(bob, 'offer');
    await bob.press('#rematch');
    for (const p of [alice, bob]) await p.until('the new call', (s) => s.screen === 'call' && s.tracks === 0 && s.outcome === null);
    const ids = [alice, bob].map((p) => (p.wire.filter((m) => m.event === 'call:started').at(-1)?.payload as { callId: string }).callId);
    expect(ids[0]).toBe(ids[1]);
    expect((await alice.snapshot()).you).toBe('a');
    expect(await t.errors()).toEqual([]);
  });
});
