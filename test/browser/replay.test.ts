/**
 * The replay viewer in real Chromium: a lossy call played for real on the server, its
 * record opened from a file, stepped through every moment forwards and backwards, each
 * step showing what the pure `callAt` says and what the live call's players were shown at
 * that time; the same call from a link; bad files and links refused clearly; a handoff
 * from another page; and never a Content-Security-Policy violation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BrowserContextOptions } from 'playwright-core';
import { callAt, nextMoment, timeline } from '../../shared/call';
import type { CallRecord, CallView, Side } from '../../shared/call';
import type { Endpoint } from '../../shared/protocol';
import { en } from '../../client/src/i18n/en';
import { browserTests, CSP_WATCH, DOWNLOAD_DIR, Player, SeededRandom, seedLosingTheFirstSyn, type Table } from '../support/browser';
import { pairUp, roundTrip, type TestServer } from '../support/server';

const suite = browserTests();

/** The localStorage key `openReplay` (client/src/replay/handoff.ts) hands a record over under, as documented. */
const HANDOFF_KEY = 'cyhm.replay.handoff';

/** The viewer in a fresh context (desktop unless told), its CSP violations recorded. */
async function openViewer(t: Table, label: string, path = '/replay.html', options: BrowserContextOptions = {}): Promise<Player> {
  const context = await t.browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(5_000);
  // A page clock the test can pause (it runs as usual until then).
  await context.clock.install();
  await context.addInitScript(CSP_WATCH);
  const page = await context.newPage();
  const player = new Player(label, context, page, options.hasTouch === true);
  t.players.push(player);
  await page.goto(`${t.srv.url}${path}`);
  await page.locator('#lang-switch:not(:empty)').waitFor();
  return player;
}

/**
 * A whole call on the bad line, played through the real server by two socket.io players
 * who let TCP answer whatever waits for them: the first SYN is lost (the seed), the rest
 * is up to the line. Returns the record from call:ended and every view the players were
 * sent, in order.
 */
async function playLossyCall(srv: TestServer): Promise<{ record: CallRecord; views: CallView[] }> {
  const { alice, bob } = await pairUp(srv, 'bad');
  const views = (): CallView[] => [alice.all('call:started')[0]!.view, ...alice.all('call:update').map((u) => u.view)];
  const latest = (): CallView => views().at(-1)!;
  alice.send('call:action', { action: 'ask' });
  await roundTrip(alice);
  let chattedAt: number | null = null;
  let aliceBye = false;
  let bobBye = false;
  for (let elapsed = 0; elapsed < 120_000 && alice.all('call:ended').length === 0; elapsed += 100) {
    srv.clock.advance(100);
    await roundTrip(alice);
    await roundTrip(bob);
    for (const [client, side] of [[alice, 'a'], [bob, 'b']] as const) {
      if (latest()[side].pending.length > 0) {
        client.send('call:action', { action: 'answer' });
        await roundTrip(client);
      }
    }
    const view = latest();
    if (chattedAt === null && view.a.state === 'ESTABLISHED' && view.b.state === 'ESTABLISHED') {
      alice.send('call:chat', { text: 'can you hear me?' });
      await roundTrip(alice);
      chattedAt = view.time;
    }
    if (chattedAt !== null && !aliceBye && view.time > chattedAt + 6_000 && view.a.state === 'ESTABLISHED') {
      alice.send('call:action', { action: 'goodbye' });
      await roundTrip(alice);
      aliceBye = true;
    }
    if (!bobBye && view.b.state === 'CLOSE_WAIT') {
      bob.send('call:action', { action: 'goodbye' });
      await roundTrip(bob);
      bobBye = true;
    }
  }
  // (Looked up among everything received: the round trips above have moved `next` past it.)
  const ended = alice.all('call:ended')[0];
  if (ended === undefined) throw new Error(`the call did not end: ${JSON.stringify(latest())}`);
  alice.close();
  bob.close();
  return { record: ended.record, views: views() };
}

interface Shown {
  readonly t: number;
  readonly sides: Record<Side, { state: string; sndNxt: string; rcvNxt: string; retries: string }>;
}

/** What the viewer shows now: its call time and both sides' state and numbers. */
async function shown(player: Player): Promise<Shown> {
  const page = player.page;
  const t = Number(await page.locator('#clock').getAttribute('data-t'));
  const side = async (s: Side) => ({
    state: (await page.locator(`#side-${s} [data-field="state"]`).textContent()) ?? '',
    sndNxt: (await page.locator(`#side-${s} [data-field="sndNxt"] .value`).textContent()) ?? '',
    rcvNxt: (await page.locator(`#side-${s} [data-field="rcvNxt"] .value`).textContent()) ?? '',
    retries: (await page.locator(`#side-${s} [data-field="retries"] .value`).textContent()) ?? '',
  });
  return { t, sides: { a: await side('a'), b: await side('b') } };
}

/** What the viewer should show for an endpoint (RCV.NXT is a dash until the peer's first number is known). */
const expected = (e: Endpoint) => ({ state: e.state, sndNxt: String(e.sndNxt), rcvNxt: e.irs !== 0 || e.rcvNxt !== 0 ? String(e.rcvNxt) : '—', retries: `${e.retries} of ${e.config.maxRetries}` });

/** The last view the live call's players were sent at or before call time t. */
function liveAt(views: readonly CallView[], t: number): CallView {
  let found = views[0]!;
  for (const v of views) if (v.time <= t) found = v;
  return found;
}

function writeRecord(name: string, record: unknown): string {
  mkdirSync(DOWNLOAD_DIR, { recursive: true });
  const path = `${DOWNLOAD_DIR}/${name}`;
  writeFileSync(path, typeof record === 'string' ? record : JSON.stringify(record, null, 2));
  return path;
}

describe('the replay viewer', () => {
  it('steps a lossy call forwards and backwards: every step shows what callAt says and what the live call showed', async () => {
    const t = await suite.open('replay-lossy', { random: new SeededRandom(1, [seedLosingTheFirstSyn('bad')]) });
    const { record, views } = await playLossyCall(t.srv);
    const line = timeline(record);
    expect(line.trips.some((trip) => trip.lost.length > 0 && trip.copies.length === 0)).toBe(true);
    expect(line.trips.some((trip) => trip.retransmit)).toBe(true);
    expect(views.at(-1)?.a.state).toBe('CLOSED');

    const viewer = await openViewer(t, 'Viewer');
    await t.screenshot(viewer, 'empty');
    await viewer.page.locator('#file').setInputFiles(writeRecord('lossy-call.json', record));
    await viewer.page.locator('#viewer').waitFor();
    expect(await viewer.page.locator('#problem').isHidden()).toBe(true);

    const check = async (where: string): Promise<number> => {
      const s = await shown(viewer);
      const call = callAt(record, s.t);
      const live = liveAt(views, s.t);
      for (const side of ['a', 'b'] as const) {
        expect(s.sides[side], `${where}, side ${side} at ${s.t} ms: callAt`).toEqual(expected(call.endpoints[side]));
        expect({ state: s.sides[side].state, sndNxt: Number(s.sides[side].sndNxt) }, `${where}, side ${side} at ${s.t} ms: the live call`).toEqual({ state: live[side].state, sndNxt: live[side].sndNxt });
        if (s.sides[side].rcvNxt !== '—') expect(Number(s.sides[side].rcvNxt), `${where}, side ${side} at ${s.t} ms: live RCV.NXT`).toBe(live[side].rcvNxt);
      }
      return s.t;
    };

    // Forwards with the keyboard, one moment at a time, to the end.
    expect(await check('start')).toBe(0);
    const forwards: number[] = [];
    await viewer.page.locator('#scrub').focus();
    for (let m = nextMoment(line, 0); m !== null; m = nextMoment(line, m.at)) {
      await viewer.page.keyboard.press('ArrowRight');
      await viewer.page.locator(`#clock[data-t="${m.at}"]`).waitFor();
      forwards.push(await check('forwards'));
      if (m.things.some((x) => x.kind === 'lost') && !(await viewer.page.locator('#now li.lost').first().isVisible().catch(() => false))) throw new Error(`the loss at ${m.at} is not told`);
    }
    expect(forwards).toEqual(line.moments.filter((m) => m.at > 0).map((m) => m.at));
    await t.screenshot(viewer, 'end');
    // Backwards with the button, to the start.
    const backwards: number[] = [];
    for (const m of [...line.moments].reverse().slice(1)) {
      await viewer.press('#prev');
      await viewer.page.locator(`#clock[data-t="${m.at}"]`).waitFor();
      backwards.push(await check('backwards'));
    }
    expect(backwards).toEqual([...forwards].reverse().slice(1).concat(line.moments[0]?.at === 0 ? [0] : []));

    // The moment the first SYN was lost: told, and drawn as a cross on the ladder.
    const lostAt = line.moments.find((m) => m.things.some((x) => x.kind === 'lost'))!.at;
    await viewer.page.locator('#scrub').fill(String(lostAt));
    await viewer.page.locator(`#clock[data-t="${lostAt}"]`).waitFor();
    expect(await viewer.page.locator('#now li.lost').first().textContent()).toMatch(/^SYN seq=\d+ from A is lost on the way\.$/);
    await t.screenshot(viewer, 'syn-lost');

    // Clicking the first ladder arrow (A's first SYN) jumps to where it ends and explains it.
    await viewer.page.keyboard.press('End');
    await viewer.page.locator('#ladder .arrow.trip').first().click();
    const firstSyn = line.trips[0]!;
    expect(await viewer.page.locator('#explain-title').textContent()).toBe(`Segment 1: SYN seq=${firstSyn.segment.seq}`);
    const words = await viewer.page.locator('#explain p').allTextContents();
    expect(words[0]).toBe(`A asks to start: SYN with A’s first number, ${firstSyn.segment.seq}. A has not heard anything from B yet, so there is no ACK.`);
    expect(words).toContain(`It is lost on the way at ${(firstSyn.lost[0]!.lostAt / 1000).toFixed(3).replace(/0{1,2}$/, '')} s: B never gets it.`);
    expect(Number(await viewer.page.locator('#clock').getAttribute('data-t'))).toBe(firstSyn.lost[0]!.lostAt);
    await t.screenshot(viewer, 'explained');
    // The same in Chinese.
    await viewer.press('#lang-switch');
    expect((await viewer.page.locator('#explain p').first().textContent()) ?? '').toContain(`A 请求开始通话：SYN 带着 A 的第一个编号 ${firstSyn.segment.seq}`);
    await t.screenshot(viewer, 'explained-zh');
    await viewer.press('#lang-switch');

    // Play at 4×: one second on the page's clock is four seconds of the call.
    await viewer.page.keyboard.press('Home');
    await viewer.page.locator('label:has(input[name="speed"][value="4"])').click();
    await viewer.page.locator('#stage').click();
    // From here the page's time moves only when the test moves it.
    await viewer.page.clock.pauseAt((await viewer.page.evaluate(() => Date.now())) + 50);
    await viewer.page.keyboard.press('Space');
    expect(await viewer.page.locator('#play').getAttribute('aria-pressed')).toBe('true');
    await viewer.page.clock.runFor(1_000);
    await viewer.page.keyboard.press('Space');
    expect(await viewer.page.locator('#play').getAttribute('aria-pressed')).toBe('false');
    const played = Number(await viewer.page.locator('#clock').getAttribute('data-t'));
    // Frames come every 16 ms: the first one only starts the count.
    expect(played).toBeGreaterThan(4_000 - 4 * 40);
    expect(played).toBeLessThanOrEqual(4_000);
    await viewer.page.clock.runFor(1_000);
    expect(Number(await viewer.page.locator('#clock').getAttribute('data-t'))).toBe(played);
    await t.screenshot(viewer, 'played');
    await viewer.page.clock.resume();

    expect(await viewer.cspViolations()).toEqual([]);
    expect(await t.errors()).toEqual([]);
  });

  it('opens the same call from its link (#r=), and on a phone and a 1920 × 1080 screen', async () => {
    const t = await suite.open('replay-link', { random: new SeededRandom(2, [seedLosingTheFirstSyn('bad')]) });
    const { record } = await playLossyCall(t.srv);
    const line = timeline(record);
    const viewer = await openViewer(t, 'Viewer');
    await viewer.page.locator('#file').setInputFiles(writeRecord('link-call.json', record));
    await viewer.press('#copy-link');
    await viewer.page.locator('#link-field').waitFor();
    const link = await viewer.page.locator('#link-out').inputValue();
    expect(link).toMatch(new RegExp(`^${t.srv.url.replace(/[.]/g, '\\.')}/replay\\.html#r=[A-Za-z0-9_-]+$`));
    // Compressed: far shorter than the record's JSON.
    expect(link.length).toBeLessThan(JSON.stringify(record).length / 2);

    for (const [label, options] of [
      ['Phone', { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true }],
      ['Projector', { viewport: { width: 1920, height: 1080 } }],
    ] as const) {
      const other = await openViewer(t, label, link.slice(t.srv.url.length), options);
      await other.page.locator('#viewer').waitFor();
      // The same call: at every moment the same states and numbers as callAt.
      for (const m of line.moments) {
        await other.page.locator('#scrub').fill(String(m.at));
        await other.page.locator(`#clock[data-t="${m.at}"]`).waitFor();
        const s = await shown(other);
        for (const side of ['a', 'b'] as const) expect(s.sides[side], `${label} at ${m.at}`).toEqual(expected(callAt(record, m.at).endpoints[side]));
      }
      const middle = line.moments[Math.floor(line.moments.length / 3)]!.at;
      await other.page.locator('#scrub').fill(String(middle));
      expect(await other.horizontalOverflow()).toMatchObject({ culprits: [] });
      await t.screenshot(other, 'from-link');
      await other.page.locator('.ladder-card').scrollIntoViewIfNeeded();
      await t.screenshot(other, 'from-link-ladder');
      expect(await other.cspViolations()).toEqual([]);
    }
    expect(await t.errors()).toEqual([]);
  });

  it('refuses a bad file or link with a clear message, and still opens a good one after', async () => {
    const t = await suite.open('replay-bad');
    const viewer = await openViewer(t, 'Viewer');
    const file = viewer.page.locator('#file');
    const problem = viewer.page.locator('#problem');
    const good = (await import('../support/record')).lossyCall(5).record;

    await file.setInputFiles({ name: 'photo.json', mimeType: 'application/json', buffer: Buffer.from('\u0089PNG not a replay') });
    await problem.waitFor();
    expect(await problem.locator('strong').textContent()).toBe(en.replay.refusals['record/not-json']);
    expect(await viewer.page.locator('#viewer').isHidden()).toBe(true);
    await t.screenshot(viewer, 'not-json');

    await file.setInputFiles(writeRecord('future.json', { ...good, version: 2 }));
    await expect.poll(() => problem.locator('strong').textContent()).toBe(en.replay.refusals['record/unknown-version']);
    await file.setInputFiles(writeRecord('not-a-call.json', { version: 1, setup: {}, moves: [] }));
    await expect.poll(() => problem.locator('strong').textContent()).toBe(en.replay.refusals['record/invalid']);
    await t.screenshot(viewer, 'invalid');

    // The page still works: a good file opens.
    await file.setInputFiles(writeRecord('good.json', good));
    await viewer.page.locator('#viewer').waitFor();
    expect(await problem.isHidden()).toBe(true);
    await viewer.press('#next');
    expect(Number(await viewer.page.locator('#clock').getAttribute('data-t'))).toBe(nextMoment(timeline(good), 0)?.at);

    // A broken link.
    const broken = await openViewer(t, 'Broken', '/replay.html#r=not-a-real-link');
    await broken.page.locator('#problem').waitFor();
    expect(await broken.page.locator('#problem strong').textContent()).toBe(en.replay.refusals['link/broken']);

    for (const p of [viewer, broken]) expect(await p.cspViolations()).toEqual([]);
    expect(await t.errors()).toEqual([]);
  });

  it('takes a call handed over by another page of the game with openReplay, with the players’ names, once', async () => {
    const t = await suite.open('replay-handoff');
    const { record } = (await import('../support/record')).lossyCall(6);
    const from = await openViewer(t, 'Game');
    // Another page of the game calls openReplay(record, names): a new tab opens on the viewer.
    const [viewerPage] = await Promise.all([
      from.context.waitForEvent('page'),
      from.page.evaluate(([r]) => (globalThis as unknown as { __replay: { openReplay(record: unknown, names: unknown): void } }).__replay.openReplay(r, { a: 'Alice', b: 'Bob' }), [record] as const),
    ]);
    const viewer = new Player('Viewer', from.context, viewerPage);
    await viewerPage.locator('#viewer').waitFor();
    expect(await viewerPage.locator('#side-a h2').textContent()).toBe('Alice (side A)');
    expect(await viewerPage.locator('#side-b h2').textContent()).toBe('Bob (side B)');
    expect(viewerPage.url()).toBe(`${t.srv.url}/replay.html`);
    // Read once and removed.
    expect(await viewerPage.evaluate((key) => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem(key), HANDOFF_KEY)).toBeNull();
    await viewerPage.locator('#next').click();
    await t.screenshot(viewer, 'handoff');
    // Opened again, nothing is waiting: said so.
    await viewerPage.goto(`${t.srv.url}/replay.html?from=handoff`);
    await viewerPage.locator('#problem').waitFor();
    expect(await viewerPage.locator('#problem strong').textContent()).toBe(en.replay.refusals['handoff/missing']);
    expect(await viewer.cspViolations()).toEqual([]);
    expect(await t.errors()).toEqual([]);
  });
});
