/**
 * A first call that teaches, in real Chromium against the real server: a new player starts
 * on the good line until they have finished a call; the first time an answer waits for
 * them, notes point at it, at the choices and at the countdown; and when they take longer
 * than 5 seconds, the page says why their partner asks again.
 */
import { describe, expect, it } from 'vitest';
import { browserTests, quickMatch, slowestHop, waitForCall, type PageElement } from '../support/browser';

const suite = browserTests();

/** The slowest hop on the good line, where a new player starts. */
const HOP = slowestHop('good');
const REPLY_TIMEOUT = 5_000;

interface Rect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

describe('the first call', () => {
  it('starts on the good line until the player has finished one call, then on the bad line', async () => {
    const t = await suite.open('first-line');
    const alice = await t.join('Alice', { name: 'Alice' });
    const bob = await t.join('Bob', { name: 'Bob' });
    expect(await alice.page.locator('#line').inputValue()).toBe('good');
    // Both press "Find a partner" without touching the line: the call is on the good line.
    await alice.press('#quick');
    await alice.page.locator('#waiting').waitFor();
    await bob.press('#quick');
    await waitForCall(t, alice, bob);
    const started = alice.wire.find((m) => m.event === 'call:started')?.payload as { line: string };
    expect(started.line).toBe('good');

    // Alice hangs up: the call is over, and it counts as finished.
    await alice.press('#act-hangup');
    await alice.until('the call over', (s) => s.outcome !== null);
    await t.advance(2_000);
    await alice.until('the end screen', (s) => s.screen === 'end');
    await alice.page.reload();
    await alice.page.locator('#quick:enabled').waitFor();
    expect(await alice.page.locator('#line').inputValue()).toBe('bad');
    // Bob's call ended too (reset by Alice): a finished call all the same.
    await bob.page.reload();
    await bob.page.locator('#quick:enabled').waitFor();
    expect(await bob.page.locator('#line').inputValue()).toBe('bad');
  });

  it('the first answer waiting for a player: notes point at it, the choices and the countdown; answering or Esc puts them away for good', async () => {
    const t = await suite.open('first-coach');
    const alice = await t.join('Alice', { name: 'Alice' });
    const bob = await t.join('Bob', { name: 'Bob' });
    // The story's numbers, so the right answer is known: the perfect line.
    await quickMatch(t, alice, bob, 'perfect');
    expect(await alice.page.locator('.coach-pending').isVisible()).toBe(false);

    await alice.press('#act-ask');
    await t.advance(HOP + 200);
    await bob.until('the SYN waiting for Bob', (s) => s.pending === 1 && s.choices.length === 3);
    await t.frame();
    await bob.page.locator('.coach-pending').waitFor();
    const notes = await bob.page.evaluate(() => {
      const { document } = globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ dataset: { target: string; side: string }; getBoundingClientRect(): Rect; offsetParent: unknown }>; getElementById(id: string): { getBoundingClientRect(): Rect } } };
      return [...document.querySelectorAll('.coach-note')].map((el) => ({ target: el.dataset.target, side: el.dataset.side, box: el.getBoundingClientRect(), shown: el.offsetParent !== null }));
    });
    const pendingBox = await bob.page.locator('#pending').boundingBox();
    const choicesBox = await bob.page.locator('#choices').boundingBox();
    expect(notes.map((n) => n.target)).toEqual(['pending', 'choices', 'countdown']);
    for (const n of notes) {
      expect(n.shown, n.target).toBe(true);
      // Inside the window, beside what it explains.
      expect(n.box.left).toBeGreaterThanOrEqual(0);
      expect(n.box.right).toBeLessThanOrEqual(1280);
    }
    const byTarget = Object.fromEntries(notes.map((n) => [n.target, n]));
    // Level with its target, on its left (the desktop layout has room there).
    expect(byTarget.pending!.side).toBe('left');
    expect(byTarget.pending!.box.right).toBeLessThanOrEqual(pendingBox!.x);
    expect(Math.abs(byTarget.pending!.box.top - pendingBox!.y)).toBeLessThan(60);
    expect(byTarget.choices!.box.right).toBeLessThanOrEqual(choicesBox!.x);
    expect(await bob.page.locator('.coach-countdown').textContent()).toContain('5 seconds');
    await t.screenshot(bob, 'coach');

    // The notes cover nothing: the choice under them takes the click.
    await bob.choose('<SEQ=3><ACK=2><CTL=SYN,ACK>');
    await bob.until('Bob in SYN_RCVD', (s) => s.states?.b === 'SYN_RCVD');
    // Answered: the notes did their job and go, for good.
    expect(await bob.page.locator('.coach-pending').isVisible()).toBe(false);
    expect(await bob.page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('cyhm.coachSeen'))).toBe('1');
    await t.advance(HOP);
    await alice.until('the SYN+ACK waiting for Alice', (s) => s.pending === 1);
    await t.frame();
    await alice.page.locator('.coach-pending').waitFor();
    await t.screenshot(alice, 'coach-alice');
    await alice.page.keyboard.press('Escape');
    expect(await alice.page.locator('.coach-pending').isVisible()).toBe(false);
    expect(await alice.page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('cyhm.coachSeen'))).toBe('1');
    expect(await t.errors()).toEqual([]);
  });

  it('"Got it" works from the keyboard, and the notes do not come back on the next call', async () => {
    const t = await suite.open('first-coach-keys');
    const alice = await t.join('Alice', { name: 'Alice' });
    await alice.page.locator('#line').selectOption('perfect');
    await alice.press('#practice');
    await waitForCall(t, alice);
    await alice.press('#act-ask');
    // The SYN lands, the bot thinks (at most 0.9 s), its SYN+ACK lands.
    await t.advance(600 + 900 + 600 + 100);
    await alice.until('the SYN+ACK waiting for Alice', (s) => s.pending === 1);
    await t.frame();
    await alice.page.locator('.coach-pending').waitFor();
    await alice.tabTo('#coach-dismiss');
    await alice.page.keyboard.press('Enter');
    expect(await alice.page.locator('.coach-pending').isVisible()).toBe(false);

    // The next call: no notes.
    await alice.press('#act-hangup');
    await alice.until('the call over', (s) => s.outcome !== null);
    await t.advance(2_000);
    await alice.until('the end screen', (s) => s.screen === 'end');
    await alice.press('#play-again');
    await alice.page.locator('#line').selectOption('perfect');
    await alice.press('#practice');
    await alice.until('the next call', (s) => s.screen === 'call' && s.states?.a === 'LISTEN');
    await alice.press('#act-ask');
    await t.advance(600 + 900 + 600 + 100);
    await alice.until('an answer waiting', (s) => s.pending === 1);
    await t.frame();
    expect(await alice.page.locator('.coach-pending').isVisible()).toBe(false);
  });

  it('when the player takes longer than 5 s, the page says the partner asked again, and why', async () => {
    const t = await suite.open('first-asked-again');
    const alice = await t.join('Alice', { name: 'Alice' });
    const bob = await t.join('Bob', { name: 'Bob' });
    // The story's numbers, so the right answer is known: the perfect line.
    await quickMatch(t, alice, bob, 'perfect');
    await bob.press('#act-ask');
    await t.advance(HOP);
    await alice.until('the SYN waiting for Alice', (s) => s.pending === 1);
    await alice.page.keyboard.press('Escape');
    expect(await alice.page.locator('#asked-again').isHidden()).toBe(true);

    // Alice thinks too long: Bob's TCP asks again after 5 s.
    await t.advance(REPLY_TIMEOUT - HOP);
    await alice.until('the retransmitted SYN', (s) => s.retransmissions === 1);
    const note = alice.page.locator('#asked-again');
    await note.waitFor();
    expect(await note.textContent()).toBe('Your partner asked again: you took longer than 5 seconds. Answer the newest question.');
    expect((await alice.snapshot()).log.at(-1)).toBe('Your partner asked again: you took longer than 5 seconds. Answer the newest question.');
    // Bob, who asked, is told nothing of the sort.
    expect(await bob.page.locator('#asked-again').isHidden()).toBe(true);
    await t.advance(HOP);
    await t.frame();
    await t.screenshot(alice, 'asked-again');

    // Once she answers, the note goes.
    await alice.choose('<SEQ=1><ACK=4><CTL=SYN,ACK>');
    await alice.until('Alice answered', (s) => s.pending === 0);
    expect(await note.isHidden()).toBe(true);
    expect(await t.errors()).toEqual([]);
  });
});

export type { PageElement };
