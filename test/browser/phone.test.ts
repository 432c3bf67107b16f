/**
 * The call on a 375 × 667 phone, in real Chromium: with an answer waiting, the call tiles,
 * the answer to give, its choices, the countdown and the moves are all on the first
 * screen, no scrolling; every tap target is at least 44 px; the ladder and the log are
 * tabs.
 */
import { describe, expect, it } from 'vitest';
import { browserTests, quickMatch, type PageGlobal } from '../support/browser';

const suite = browserTests();
const PHONE = { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } as const;
const HOP = 600;

interface Box {
  readonly what: string;
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
  readonly width: number;
  readonly height: number;
}

describe('a call on a phone', () => {
  it('with an answer waiting: tiles, the answer, the choices, the countdown and the moves on one screen; taps ≥ 44 px; ladder and log in tabs', async () => {
    const t = await suite.open('phone-layout');
    const alice = await t.join('Alice', { name: 'Alice', context: PHONE });
    const bob = await t.join('Bob', { name: 'Bob' });
    await quickMatch(t, alice, bob, 'perfect');
    await bob.press('#act-ask');
    await t.advance(HOP);
    await alice.until('the SYN waiting for Alice', (s) => s.pending === 1 && s.choices.length === 3);
    // The first-call notes take turns on a phone: one at a time, "Next" goes on.
    await t.frame();
    await alice.page.locator('.coach-pending').waitFor();
    expect(await alice.page.locator('.coach-note:visible').count()).toBe(1);
    await t.screenshot(alice, 'coach-1');
    await alice.press('#coach-next');
    expect(await alice.page.locator('.coach-choices').isVisible()).toBe(true);
    expect(await alice.page.locator('.coach-note:visible').count()).toBe(1);
    await alice.press('#coach-next');
    expect(await alice.page.locator('.coach-countdown').isVisible()).toBe(true);
    expect(await alice.page.locator('#coach-next').count()).toBe(0);
    await t.screenshot(alice, 'coach-3');
    await alice.page.keyboard.press('Escape');
    expect(await alice.page.locator('.coach-note:visible').count()).toBe(0);
    await alice.scrollTo('top');
    await t.frame();
    await t.screenshot(alice, 'answer-waiting');

    const seen = await alice.page.evaluate(() => {
      const { document } = globalThis as unknown as PageGlobal;
      const doc = document as unknown as { querySelectorAll(s: string): Iterable<{ id: string; textContent: string | null; getBoundingClientRect(): { top: number; bottom: number; left: number; right: number; width: number; height: number }; offsetParent: unknown }> };
      const box = (what: string, el: { getBoundingClientRect(): { top: number; bottom: number; left: number; right: number; width: number; height: number } }): Box => {
        const r = el.getBoundingClientRect();
        return { what, top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height };
      };
      const one = (selector: string): Box[] => [...doc.querySelectorAll(selector)].map((el) => box(selector, el));
      const taps = [...doc.querySelectorAll('#call button, #call input:not([type=radio]):not([type=checkbox]), #call .mode label')]
        .filter((el) => el.offsetParent !== null)
        .map((el) => box(`${el.id || (el.textContent ?? '').trim().slice(0, 20)}`, el));
      const page = globalThis as unknown as { innerHeight: number; scrollY: number; document: { documentElement: { scrollHeight: number } } };
      return {
        scrollY: page.scrollY,
        viewport: page.innerHeight,
        parts: [...one('#game canvas'), ...one('#pending'), ...one('#choices button'), ...one('#let-tcp'), ...one('#act-ask'), ...one('#act-goodbye'), ...one('#act-hangup')],
        taps,
      };
    });
    expect(seen.scrollY).toBe(0);
    expect(seen.parts.map((p) => p.what)).toEqual(['#game canvas', '#pending', '#choices button', '#choices button', '#choices button', '#let-tcp', '#act-ask', '#act-goodbye', '#act-hangup']);
    for (const part of seen.parts) {
      expect(part.top, `${part.what} top`).toBeGreaterThanOrEqual(0);
      expect(part.bottom, `${part.what} bottom`).toBeLessThanOrEqual(seen.viewport);
      expect(part.right, `${part.what} right`).toBeLessThanOrEqual(375);
    }
    // The countdown ring is on Bob's tile (he waits for the reply), inside the canvas on screen.
    const scene = (await alice.snapshot()).scene!;
    expect(scene.rings).toBe(1);
    const canvas = seen.parts[0]!;
    expect(canvas.top + scene.partnerTile.y + scene.partnerTile.height).toBeLessThanOrEqual(canvas.bottom);
    expect(scene.envelopes + scene.ladderArrows).toBe(0);
    // Every tap target on the call screen is at least 44 px each way.
    expect(seen.taps.length).toBeGreaterThan(8);
    for (const tap of seen.taps) {
      expect(tap.height, `${tap.what} height`).toBeGreaterThanOrEqual(44);
      expect(tap.width, `${tap.what} width`).toBeGreaterThanOrEqual(44);
    }

    // The ladder tab: the scene draws the ladder, full size.
    await alice.press('#tab-ladder');
    await t.frame();
    const ladder = (await alice.snapshot()).scene!;
    expect(ladder.ladderArrows).toBe(1);
    expect(ladder.ladder.visible.length).toBeGreaterThan(0);
    expect(await alice.page.locator('#choices').isVisible()).toBe(false);
    await t.screenshot(alice, 'ladder-tab');
    // The log tab: what happened, in words.
    await alice.press('#tab-log');
    expect(await alice.page.locator('#log').isVisible()).toBe(true);
    expect(await alice.page.locator('#game').isVisible()).toBe(false);
    await t.screenshot(alice, 'log-tab');
    // Back to the call, and answer.
    await alice.press('#tab-call');
    await alice.choose('<SEQ=1><ACK=4><CTL=SYN,ACK>');
    await alice.until('Alice in SYN_RCVD', (s) => s.states?.a === 'SYN_RCVD');
    expect(await t.errors()).toEqual([]);
  });
});
