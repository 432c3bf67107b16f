/**
 * The live ladder on a long, lossy call, in real Chromium against the real server: a
 * practice call on the bad line where the player talks fast, so segments cross, get lost
 * and are sent again. Checked on the scene's own description of the frame it drew: the
 * labels as Phaser drew them never overlap, the ladder scrolls and follows the newest
 * segment, and the whole ladder's layout has no overlap either.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../../shared/call';
import { browserTests, waitForCall, type GameSnapshot } from '../support/browser';

const suite = browserTests();

interface Box {
  readonly key: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

function overlaps(boxes: readonly Box[]): string[] {
  const found: string[] = [];
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) {
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) found.push(`${a.key} × ${b.key}`);
    }
  }
  return found;
}

/** Two segments going opposite ways at the same time: their arrows cross on the ladder. */
function crossings(events: readonly CallEvent[]): number {
  const sent = events.flatMap((e) => (e.type === 'segment-sent' ? [{ from: e.from, at: e.at, until: Math.max(e.at, ...e.copies.map((c) => c.arriveAt), ...e.lost.map((l) => l.lostAt)) }] : []));
  let n = 0;
  for (const [i, p] of sent.entries()) for (const q of sent.slice(i + 1)) if (p.from !== q.from && p.at < q.until && q.at < p.until) n++;
  return n;
}

describe('the ladder on a long call', () => {
  it('60 segments on the bad line, crossing and lost: no two labels overlap, and it follows the newest', { timeout: 60_000 }, async () => {
    const t = await suite.open('ladder');
    const alice = await t.join('Alice', { name: 'Alice' });
    await alice.page.locator('#line').selectOption('bad');
    await alice.page.locator('#practice').click();
    await waitForCall(t, alice);
    await alice.page.locator('#act-ask').click();

    // Whatever waits for Alice, TCP answers; once connected she talks, a line every 300 ms.
    let said = 0;
    let s: GameSnapshot = await alice.snapshot();
    for (let step = 0; step < 400 && s.tracks < 60; step++) {
      if (s.pending > 0 && (await alice.page.locator('#let-tcp:enabled').count()) > 0) await alice.press('#let-tcp');
      else if (s.states?.a === 'ESTABLISHED' && (await alice.page.locator('#chat-input:enabled').count()) > 0) {
        await alice.page.locator('#chat-input').fill(`line ${++said}, can you hear me?`);
        await alice.page.locator('#chat-input').press('Enter');
      }
      await t.advance(300);
      s = await alice.snapshot();
    }
    expect(s.tracks).toBeGreaterThanOrEqual(60);
    // Let everything in flight land, then draw a frame.
    await t.advance(3_000);
    await t.frame();
    s = await alice.snapshot();

    const events = alice.callEvents();
    expect(events.filter((e) => e.type === 'segment-sent' && e.lost.length > 0).length).toBeGreaterThan(3);
    expect(crossings(events)).toBeGreaterThan(5);
    expect(s.retransmissions).toBeGreaterThan(0);

    const ladder = s.scene!.ladder;
    await t.screenshot(alice, 'long-call');
    // On screen: as many labels as fit, as Phaser drew them, none on another. How many fit
    // depends on how the bad line spaced the segments in time; none in view is left out:
    // the ones drawn are a run of the whole ladder's labels, top to bottom, with no gap.
    expect(ladder.visible.length).toBeGreaterThanOrEqual(6);
    expect(overlaps(ladder.visible)).toEqual([]);
    const order = ladder.all.filter((l) => /^[ts]\d/.test(l.key)).sort((p, q) => p.y - q.y).map((l) => l.key);
    const shown = ladder.visible.map((l) => order.indexOf(l.key)).sort((p, q) => p - q);
    expect(shown[0]).toBeGreaterThanOrEqual(0);
    expect(shown.at(-1)! - shown[0]! + 1).toBe(shown.length);
    // The whole ladder does not fit: it is scrolled to the newest segment, which is on screen.
    expect(ladder.maxScroll).toBeGreaterThan(0);
    expect(ladder.scrollY).toBe(ladder.maxScroll);
    expect(ladder.visible.map((l) => l.key)).toContain(ladder.newest);
    // And the whole of it, scrolled away or not: every segment labelled, no overlap.
    // (A segment the server sends during the last frame may reach the page after it was drawn.)
    const labelled = ladder.all.filter((l) => l.key.startsWith('t')).length;
    expect(labelled).toBeGreaterThanOrEqual(60);
    expect(labelled).toBeLessThanOrEqual(s.tracks);
    expect(overlaps(ladder.all)).toEqual([]);

    // The wheel scrolls back through the call; it stays there while the call goes on.
    const canvas = await alice.page.locator('#game canvas').boundingBox();
    await alice.page.mouse.move(canvas!.x + canvas!.width - 60, canvas!.y + canvas!.height / 2);
    await alice.page.mouse.wheel(0, -400);
    await t.frame();
    const back = (await alice.snapshot()).scene!.ladder;
    expect(back.scrollY).toBeLessThan(ladder.scrollY);
    expect(overlaps(back.visible)).toEqual([]);
    await t.screenshot(alice, 'scrolled-back');
    expect(await t.errors()).toEqual([]);
  });
});
