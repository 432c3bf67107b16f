/**
 * A workshop in real Chromium against the real server (port 0, FakeClock): a host opens
 * one on /host.html (code, join address, QR code, the host key in the page's address),
 * two participants join it (one types the code on a desktop, one opens the QR code's link
 * on a phone, in Chinese) and choose their names, the host starts a round of lesson 1 and
 * the pair plays it to a polite goodbye through the page while the dashboard follows both
 * ends' states live; at the end the class figures and the leaderboard, which the host then
 * shows to the participants. Also: the host's page and a participant's page survive a
 * reload, and the host's address works in another browser (a wrong key does not).
 *
 * Time moves only when the test says so, for the server and every page at once (see
 * test/support/browser.ts). The host's page is one more Player of the Table, without the
 * game's `window.__game` hook; it has its own, `window.__host` (client/src/host.ts).
 */
import type { BrowserContextOptions, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { en } from '../../client/src/i18n/en';
import { zh } from '../../client/src/i18n/zh';
import { DEFAULT_PROMPTS } from '../../server/workshops';
import { ADVICE } from '../../shared/game/advice';
import { CODE_ALPHABET, CODE_LENGTH, type Dashboard } from '../../shared/wire';
import { browserTests, CSP_WATCH, Player, SeededRandom, Table, waitForCall } from '../support/browser';
import { roundTrip, TestClient, waitForMessage } from '../support/server';
import type { CallModel } from '../../client/src/model';

const suite = browserTests();

/** One hop on the perfect line, lesson one's line. */
const HOP = 600;
/** The dashboard follows live calls at most every 250 ms (server/workshops.ts). */
const DASHBOARD_EVERY = 250;
/** How long the end screen waits for the last envelope to land. */
const LAST_ENVELOPE = 1_500;
const TITLE = 'Networks 101';

/** The projector: a big desktop. */
const PROJECTOR: BrowserContextOptions = { viewport: { width: 1400, height: 1000 } };
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 900 }, locale: 'en-US' };
/** A phone in Chinese, with a touch screen. */
const PHONE_ZH: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'zh-CN' };

const hostText = en.workshop.host;

// ---------------------------------------------------------------- pages

/** What the server sent a page, read off its WebSocket frames, and who waits for more. */
interface Wire {
  readonly frames: { readonly event: string; readonly payload: unknown }[];
  readonly waiters: Set<() => void>;
}
const wires = new WeakMap<Page, Wire>();

function recordWire(page: Page): void {
  const wire: Wire = { frames: [], waiters: new Set() };
  wires.set(page, wire);
  page.on('websocket', (ws) => {
    ws.on('framereceived', ({ payload }) => {
      // A socket.io event on the default namespace: engine.io "4" (message) + socket.io "2" (event).
      if (typeof payload !== 'string' || !payload.startsWith('42[')) return;
      const [event, arg] = JSON.parse(payload.slice(2)) as [string, unknown];
      wire.frames.push({ event, payload: arg });
      for (const wake of [...wire.waiters]) wake();
    });
  });
}

function framesOf(p: Player): Wire['frames'] {
  return wires.get(p.page)?.frames ?? [];
}

/** How many `event` messages the server has sent this page so far. */
function received(p: Player, event: string): number {
  return framesOf(p).filter((m) => m.event === event).length;
}

/** Wait until the server has sent this page more than `after` `event` messages (a real-time guard, not a sleep). */
function receive(p: Player, event: string, after = 0, timeoutMs = 5_000): Promise<void> {
  const wire = wires.get(p.page);
  if (wire === undefined) throw new Error(`${p.label}: its wire is not recorded`);
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (received(p, event) <= after) return;
      clearTimeout(timer);
      wire.waiters.delete(check);
      resolve();
    };
    const timer = setTimeout(() => {
      wire.waiters.delete(check);
      reject(new Error(`${p.label}: no ${event} (after ${after}) within ${timeoutMs} ms; got ${wire.frames.map((m) => m.event).join(', ')}`));
    }, timeoutMs);
    wire.waiters.add(check);
    check();
  });
}

/**
 * A page of the Table at `path`, in a fresh context like `Table.join` makes: its clock
 * installed before it loads, running until `ready` shows, then paused (a second ahead, so
 * what the page had scheduled, such as fetching the call scene, happens once).
 */
async function open(t: Table, label: string, path: string, ready: string, context: BrowserContextOptions): Promise<Player> {
  const ctx = await t.browser.newContext(context);
  ctx.setDefaultTimeout(5_000);
  await ctx.clock.install();
  await ctx.addInitScript(CSP_WATCH);
  const page = await ctx.newPage();
  recordWire(page);
  const player = new Player(label, ctx, page, context.hasTouch === true);
  t.players.push(player);
  await page.goto(`${t.srv.url}${path}`);
  try {
    await page.locator(ready).waitFor();
  } catch (error) {
    const heard = framesOf(player).map((m) => (m.event === 'error' ? `error ${JSON.stringify(m.payload)}` : m.event));
    throw new Error(`${label}: ${ready} did not show at ${path} (${(error as Error).message.split('\n')[0]}); the server sent: ${heard.join(', ') || 'nothing'}; errors: ${JSON.stringify(await player.allErrors())}`);
  }
  const now = await page.evaluate(() => Date.now());
  await page.clock.pauseAt(now + 1_000);
  return player;
}

interface TextNode {
  readonly textContent: string | null;
}
interface Doc {
  readonly document: { querySelectorAll(selector: string): Iterable<TextNode> };
}

/** Wait until the texts of everything `selector` matches on the page are exactly `want`. */
async function texts(p: Player, selector: string, want: readonly string[], timeoutMs = 5_000): Promise<void> {
  try {
    await p.page.waitForFunction(
      ({ sel, expected }) => JSON.stringify([...(globalThis as unknown as Doc).document.querySelectorAll(sel)].map((el) => el.textContent ?? '')) === JSON.stringify(expected),
      { sel: selector, expected: want },
      { timeout: timeoutMs },
    );
  } catch {
    const saw = await p.page.locator(selector).allTextContents();
    throw new Error(`${p.label}: wanted ${JSON.stringify(want)} in ${selector} within ${timeoutMs} ms, saw ${JSON.stringify(saw)}`);
  }
}

/** One `label: value` figure per row of a `<dl>` of `<div><dt/><dd/></div>`. */
async function figures(p: Player, selector: string): Promise<Record<string, string>> {
  const labels = await p.page.locator(`${selector} > div > dt`).allTextContents();
  const values = await p.page.locator(`${selector} > div > dd`).allTextContents();
  return Object.fromEntries(labels.map((label, i) => [label, values[i] ?? '']));
}

// ---------------------------------------------------------------- the host

interface HostHook {
  readonly __host?: { board(): Dashboard | null; code(): string | null; hasToken(): boolean; watching(): string | null; watchedModel(): CallModel | null };
}

/** What the host's big screen shows of the call it watches: its id, both states, how many segments. */
function watched(host: Player): Promise<{ callId: string | null; states: string | null; segments: number; ended: string | null }> {
  return host.page.evaluate(() => {
    const hook = (globalThis as unknown as HostHook).__host;
    const m = hook?.watchedModel() ?? null;
    return { callId: hook?.watching() ?? null, states: m === null ? null : `${m.view.a.state} · ${m.view.b.state}`, segments: m?.tracks.length ?? 0, ended: m?.summary?.outcome ?? null };
  });
}

function board(host: Player): Promise<Dashboard | null> {
  return host.page.evaluate(() => (globalThis as unknown as HostHook).__host?.board() ?? null);
}

function hostHook(host: Player): Promise<{ code: string | null; hasToken: boolean } | null> {
  return host.page.evaluate(() => {
    const hook = (globalThis as unknown as HostHook).__host;
    return hook === undefined ? null : { code: hook.code(), hasToken: hook.hasToken() };
  });
}

/**
 * The host opens /host.html on the projector and creates the workshop: the code, the join
 * address and the QR code show, and the page's address now holds the host key.
 */
async function openWorkshop(t: Table): Promise<{ host: Player; code: string; hostUrl: string }> {
  const host = await open(t, 'Host', '/host.html', '#create-form', PROJECTOR);
  // The page says hello as it loads; wait for the server's welcome before asking for anything.
  await receive(host, 'welcome');
  expect(await host.page.locator('#board').isHidden()).toBe(true);
  expect(await host.page.locator('#create-title').textContent()).toBe(hostText.createTitle);
  expect(await host.focused()).toBe('input#title');
  await t.screenshot(host, 'create');

  await host.page.locator('#title').fill(TITLE);
  await host.press('#create-form button[type="submit"]');
  await host.page.locator('#board').waitFor();
  await host.page.locator('#qr svg').waitFor();
  expect(await host.page.locator('#create').isHidden()).toBe(true);

  const code = (await host.page.locator('#code').textContent()) ?? '';
  expect(code).toHaveLength(CODE_LENGTH);
  expect(code).toHaveLength(6);
  expect([...code].every((c) => CODE_ALPHABET.includes(c))).toBe(true);
  expect(await host.page.locator('#code').getAttribute('aria-label')).toBe(code.split('').join(' '));

  // The host key lives in the address's fragment (never sent to a server) and in the hook.
  const hostUrl = host.page.url();
  expect(hostUrl).toMatch(new RegExp(`^${t.srv.url.replace(/\./g, '\\.')}/host\\.html\\?w=${code}#token=[A-Za-z0-9_-]{16,}$`));
  expect(await hostHook(host)).toEqual({ code, hasToken: true });

  // The join address, and a QR code of exactly that address (the same SVG the qrcode library makes of it).
  const joinUrl = `${t.srv.url}/?join=${code}`;
  expect(await host.page.locator('#join-url').textContent()).toBe(`Join at ${new URL(t.srv.url).host} with the code`);
  expect(await host.page.locator('#qr').getAttribute('aria-label')).toBe(joinUrl);
  expect(await host.page.locator('#qr svg').count()).toBe(1);
  const expectedSvg = await QRCode.toString(joinUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  const paths = (svg: string) => [...svg.matchAll(/\sd="([^"]+)"/g)].map((m) => m[1]);
  expect(paths(await host.page.locator('#qr').innerHTML())).toEqual(paths(expectedSvg));
  expect((await host.page.locator('#qr svg').boundingBox())?.width).toBeGreaterThanOrEqual(250);

  // Nothing has happened yet.
  expect(await host.page.locator('#round-state').textContent()).toBe(hostText.noRound);
  expect(await host.page.locator('#people-title').textContent()).toBe('Participants (0)');
  expect(await host.page.locator('#people li').allTextContents()).toEqual([hostText.nobody]);
  expect(await host.page.locator('#pairs caption').textContent()).toBe(hostText.noPairs);
  expect(await host.page.locator('#start-round').isEnabled()).toBe(true);
  expect(await host.page.locator('#end-round').isDisabled()).toBe(true);
  await t.screenshot(host, 'created');
  return { host, code, hostUrl };
}

// ---------------------------------------------------------------- participants

/** Ada, on a desktop in English, types the code into the lobby's "Have a code?" box. */
async function adaTypesTheCode(t: Table, code: string): Promise<Player> {
  const ada = await open(t, 'Ada', '/', '#quick:enabled', DESKTOP);
  await ada.page.locator('#name').fill('Ada');
  await ada.page.locator('#join-code').fill(code);
  await ada.press('#join-form button[type="submit"]');
  await ada.page.locator('#workshop').waitFor();
  expect(await ada.page.locator('#workshop-title').textContent()).toBe(`Workshop: ${TITLE}`);
  expect(await ada.page.locator('#workshop-state').textContent()).toBe(en.workshop.participant.waiting);
  // In a workshop the host pairs people: the other ways in and the lesson list step aside.
  expect(await ada.page.locator('#ways').isHidden()).toBe(true);
  expect(await ada.page.locator('#lessons').isHidden()).toBe(true);
  expect(await ada.page.locator('#workshop-ranking-box').isHidden()).toBe(true);
  expect((await ada.snapshot()).name).toBe('Ada');
  return ada;
}

/** Ming, on a phone in Chinese, opens the QR code's link, then chooses a name. */
async function mingOpensTheLink(t: Table, host: Player, code: string): Promise<Player> {
  const ming = await open(t, 'Ming', `/?join=${code}`, '#workshop', PHONE_ZH);
  expect((await ming.snapshot()).lang).toBe('zh');
  expect(await ming.page.locator('#workshop-title').textContent()).toBe(`工作坊：${TITLE}`);
  expect(await ming.page.locator('#workshop-state').textContent()).toBe(zh.workshop.participant.waiting);
  expect(await ming.page.locator('#join-code').inputValue()).toBe(code);
  // He arrived with a name the game made up; he types his own and leaves the field.
  const made = (await ming.snapshot()).name;
  expect(made).not.toBe('');
  await ming.page.locator('#name').fill('小明');
  await ming.page.locator('#name').blur();
  await ming.until('the name 小明', (s) => s.name === '小明');
  await texts(host, '#people li .name', ['Ada', '小明']);
  return ming;
}

/** Type into the chat and send it: Enter on a keyboard, the Send button on a phone. */
async function say(p: Player, text: string): Promise<void> {
  await p.page.locator('#chat-input').fill(text);
  if (p.touch) await p.press('#chat-form button[type="submit"]');
  else await p.page.locator('#chat-input').press('Enter');
  await p.until(`${p.label} sent “${text}”`, (s, data) => s.log.some((l) => l.includes(`<DATA="${data}">`)), text);
}

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Points on the way through lesson 1 where a test can look around (the dashboard, screenshots). */
interface Watch {
  /** Chat: what the asker says, then what the answerer says back. */
  readonly chat?: readonly [string, string];
  /** The SYN half-way along the line. */
  readonly asking?: () => Promise<void>;
  /** Both ends ESTABLISHED. */
  readonly established?: () => Promise<void>;
  /** Both messages arrived and were acknowledged. */
  readonly chatted?: () => Promise<void>;
  /** The asker in TIME_WAIT, the answerer CLOSED. */
  readonly timeWait?: () => Promise<void>;
}

/**
 * Lesson 1 for two people, through their pages on the perfect line: the asker (side a)
 * asks, the answerer picks the SYN+ACK from the guided choices, the asker the ACK; they
 * chat; the asker says goodbye, the answerer answers and says goodbye too, the asker
 * answers and waits out TIME_WAIT. Ends when both pages have the call's summary.
 */
async function playLessonOne(t: Table, asker: Player, answerer: Player, watch: Watch = {}): Promise<void> {
  await asker.press('#act-ask');
  await asker.until('SYN_SENT', (s) => s.states?.a === 'SYN_SENT');
  await t.advance(HOP / 2);
  await watch.asking?.();
  await t.advance(HOP / 2);
  await answerer.until('the SYN to answer, with choices', (s) => s.pending === 1 && s.choices.length === 3);
  await answerer.choose('<SEQ=3><ACK=2><CTL=SYN,ACK>');
  await answerer.until('SYN_RCVD', (s) => s.states?.b === 'SYN_RCVD');
  await t.advance(HOP);
  await asker.until('the SYN+ACK to answer, with choices', (s) => s.pending === 1 && s.choices.length === 3);
  await asker.choose('<SEQ=2><ACK=4><CTL=ACK>');
  await asker.until('ESTABLISHED', (s) => s.states?.a === 'ESTABLISHED');
  await t.advance(HOP);
  await answerer.until('ESTABLISHED', (s) => s.states?.b === 'ESTABLISHED');
  await watch.established?.();

  // Chat both ways. A message takes its UTF-8 length in sequence space.
  const [askerSays, answererSays] = watch.chat ?? ['', ''];
  if (watch.chat !== undefined) {
    await say(asker, askerSays);
    await t.advance(HOP);
    await answerer.until('the asker’s message', (s, text) => s.chat.includes(text), askerSays);
    await say(answerer, answererSays);
    await t.advance(HOP);
    await asker.until('the answerer’s message', (s, text) => s.chat.includes(text), answererSays);
    await t.advance(HOP);
    for (const p of [asker, answerer]) expect((await p.snapshot()).chat).toEqual([askerSays, answererSays]);
    await watch.chatted?.();
  }

  // A polite goodbye: FIN, ACK, FIN, ACK, every answer the number plus one.
  const la = utf8(askerSays);
  const lb = utf8(answererSays);
  await asker.press('#act-goodbye');
  await asker.until('FIN_WAIT_1', (s) => s.states?.a === 'FIN_WAIT_1');
  await t.advance(HOP);
  await answerer.until('the FIN to answer', (s) => s.pending === 1);
  expect(await answerer.page.locator('#pending').textContent()).toContain(`<SEQ=${2 + la}><ACK=${4 + lb}><CTL=FIN,ACK>`);
  await answerer.choose(`<SEQ=${4 + lb}><ACK=${3 + la}><CTL=ACK>`);
  await answerer.until('CLOSE_WAIT', (s) => s.states?.b === 'CLOSE_WAIT' && s.pending === 0);
  await answerer.press('#act-goodbye');
  await answerer.until('LAST_ACK', (s) => s.states?.b === 'LAST_ACK');
  await t.advance(HOP);
  await asker.until('the FIN to answer', (s) => s.states?.a === 'FIN_WAIT_2' && s.pending === 1);
  await asker.choose(`<SEQ=${3 + la}><ACK=${5 + lb}><CTL=ACK>`);
  const lingering = await asker.until('TIME_WAIT', (s) => s.states?.a === 'TIME_WAIT');
  const timeWaitEnds = lingering.timers?.a.timeWait;
  expect(timeWaitEnds).toBeTypeOf('number');
  await t.advance(HOP);
  await answerer.until('CLOSED', (s) => s.states?.b === 'CLOSED');
  await watch.timeWait?.();

  // TIME_WAIT runs out: the call is over.
  await t.advanceTo(timeWaitEnds!);
  for (const p of [asker, answerer]) await p.until('the call summary, polite', (s) => s.summary !== null && s.outcome === 'polite');
}

/** Wait for both pages' calls, and say who asks: side a (lesson 1's player), then side b. */
async function sidesOf(t: Table, ...pair: [Player, Player]): Promise<[Player, Player]> {
  await waitForCall(t, ...pair);
  const [first, second] = pair;
  const sides = [(await first.snapshot()).you, (await second.snapshot()).you];
  expect([...sides].sort()).toEqual(['a', 'b']);
  return sides[0] === 'a' ? [first, second] : [second, first];
}

/** A workshop, Ada and Ming in it, and a round of lesson 1 started: both pages on the call. */
async function lessonOneRound(test: string): Promise<{ t: Table; host: Player; ada: Player; ming: Player; asker: Player; answerer: Player }> {
  const t = await suite.open(test, { random: new SeededRandom(test) });
  const { host, code } = await openWorkshop(t);
  const ada = await adaTypesTheCode(t, code);
  const ming = await mingOpensTheLink(t, host, code);
  await host.page.locator('#level').selectOption('hello');
  await host.press('#start-round');
  const [asker, answerer] = await sidesOf(t, ada, ming);
  return { t, host, ada, ming, asker, answerer };
}

/** Press `button` on `p`'s page: the replay viewer opens in a new page, with both names. */
async function viewerFrom(p: Player, button: string, names: readonly [string, string]): Promise<void> {
  const [viewer] = await Promise.all([p.context.waitForEvent('page'), p.press(button)]);
  await viewer.locator('#viewer').waitFor();
  expect(await viewer.locator('#side-a h2').textContent()).toContain(names[0]);
  expect(await viewer.locator('#side-b h2').textContent()).toContain(names[1]);
  await viewer.close();
}

// ---------------------------------------------------------------- the tests

describe('a workshop in the browser', () => {
  it('host opens it, two participants join (typed code, QR link on a phone), play lesson 1 while the dashboard follows, then the leaderboard', { timeout: 60_000 }, async () => {
    const t = await suite.open('workshop', { random: new SeededRandom('workshop') });
    const { host, code } = await openWorkshop(t);

    // Participants join; the host sees them arrive, with their own names.
    const ada = await adaTypesTheCode(t, code);
    await texts(host, '#people li .name', ['Ada']);
    const ming = await mingOpensTheLink(t, host, code);
    expect(await host.page.locator('#people-title').textContent()).toBe('Participants (2)');
    expect(await host.page.locator('#people li .tag').allTextContents()).toEqual([hostText.connected, hostText.connected]);
    expect(await ming.horizontalOverflow()).toMatchObject({ culprits: [] });
    await t.screenshot(host, 'joined');
    await t.screenshot(ada, 'workshop-card');
    await t.screenshot(ming, 'workshop-card');

    // The host picks lesson 1 and starts the round: both pages switch to the call.
    await host.page.locator('#level').selectOption('hello');
    expect(await host.page.locator('#level option:checked').textContent()).toBe(`1. ${en.lessons.levels.hello.title}`);
    await host.press('#start-round');
    const [asker, answerer] = await sidesOf(t, ada, ming);
    const nameOf = (p: Player): string => (p === ada ? 'Ada' : '小明');
    for (const p of [ada, ming]) {
      const s = await p.snapshot();
      expect(s).toMatchObject({ screen: 'call', states: { a: 'LISTEN', b: 'LISTEN' }, pending: 0 });
      expect(await p.page.locator('#lobby').isHidden()).toBe(true);
    }
    const started = framesOf(asker).find((m) => m.event === 'call:started')?.payload;
    expect(started).toMatchObject({ level: 'hello', line: 'perfect' });
    await texts(host, '#round-state', [hostText.roundOn.replace('{n}', '1')]);
    expect(await host.page.locator('#start-round').isDisabled()).toBe(true);
    expect(await host.page.locator('#end-round').isEnabled()).toBe(true);
    await texts(host, '#pairs td.state', ['LISTEN · LISTEN']);
    const row = await host.page.locator('#pairs tr td').allTextContents();
    // Side a on the left, side b on the right, and both ends' states between them.
    expect([row[0], row[2]]).toEqual([nameOf(asker), nameOf(answerer)]);
    expect(await host.page.locator('#people li .tag').allTextContents()).toEqual([hostText.inCall, hostText.inCall]);
    await t.screenshot(host, 'round-started');
    await t.screenshot(ming, 'call-start');

    // The lesson, through both pages; the dashboard follows both ends on the way.
    const lines = new Map<Player, string>([
      [ada, 'Hi Ming! Can you hear me?'],
      [ming, '你好 Ada，听得很清楚'],
    ]);
    await playLessonOne(t, asker, answerer, {
      chat: [lines.get(asker)!, lines.get(answerer)!],
      asking: async () => {
        // Half-way along the line the dashboard already shows the asker waiting.
        await texts(host, '#pairs td.state', ['SYN_SENT · LISTEN']);
      },
      established: async () => {
        await t.advance(DASHBOARD_EVERY);
        await texts(host, '#pairs td.state', ['ESTABLISHED · ESTABLISHED']);
        // A live connected call already counts.
        expect(await figures(host, '#figures')).toMatchObject({ [hostText.calls]: '1', [hostText.connectedCalls]: '1' });
        await t.frame();
        await t.screenshot(host, 'established');
        await t.screenshot(ming, 'established');
        await ming.scrollTo('top');
        await t.screenshot(ming, 'scene');
        // Connected: the workshop's icebreaker prompt shows above the chat (the host's prompts, in the host's language).
        expect(await ada.page.locator('#chat-prompt').isVisible()).toBe(true);
        expect(DEFAULT_PROMPTS.en.map((p) => `Icebreaker: ${p}`)).toContain(await ada.page.locator('#chat-prompt').textContent());
        expect(DEFAULT_PROMPTS.en.map((p) => `破冰话题：${p}`)).toContain(await ming.page.locator('#chat-prompt').textContent());
      },
      chatted: async () => {
        await t.frame();
        await t.screenshot(ming, 'chat');
      },
      timeWait: async () => {
        await t.advance(DASHBOARD_EVERY);
        await texts(host, '#pairs td.state', ['TIME_WAIT · CLOSED']);
        await t.frame();
        await t.screenshot(host, 'time-wait');
      },
    });

    // The call is over, politely.
    await texts(host, '#pairs td.state', ['CLOSED · CLOSED']);
    expect(await host.page.locator('#pairs tr td').nth(3).textContent()).toBe(`${hostText.outcomes.polite} ✓ ${hostText.goalMet}`);
    expect(await figures(host, '#figures')).toMatchObject({ [hostText.calls]: '1', [hostText.connectedCalls]: '1', [hostText.retries]: '0', [hostText.mistakes]: '0' });
    const ranking = (await board(host))?.ranking ?? [];
    expect(ranking.map((r) => r.name).sort()).toEqual(['Ada', '小明']);
    for (const r of ranking) expect(r.score).toBeGreaterThan(0);
    const rankingText = ranking.map((r) => `${r.name} · ${r.score}`);
    await texts(host, '#ranking li', rankingText);
    // Nobody got a segment wrong: the report says there is nothing to practise yet.
    expect(await host.page.locator('#report caption').textContent()).toBe(hostText.reportNone);

    // The end screens, each in its own language, with the same score the host sees.
    await t.advance(LAST_ENVELOPE);
    for (const [p, s] of [
      [ada, en],
      [ming, zh],
    ] as const) {
      await p.until('the end screen', (snap) => snap.screen === 'end');
      expect(await p.page.locator('#end-outcome').textContent()).toBe(s.end.outcomes.polite);
      const score = ranking.find((r) => r.name === nameOf(p))?.score;
      expect((await figures(p, '#end-figures'))[s.end.score]).toBe(String(score));
      expect(await p.page.locator('#play-again').textContent()).toBe(s.workshop.participant.back);
      await t.screenshot(p, 'end');
    }
    await t.screenshot(host, 'call-over');

    // Back on the workshop card: the round is still on until the host ends it, but their call is done.
    for (const p of [ada, ming]) await p.press('#play-again');
    for (const [p, s] of [
      [ada, en],
      [ming, zh],
    ] as const) {
      await p.page.locator('#workshop').waitFor();
      expect((await p.snapshot()).screen).toBe('lobby');
      expect(await p.page.locator('#workshop-state').textContent()).toBe(s.workshop.participant.played);
    }
    await host.press('#end-round');
    await texts(host, '#round-state', [hostText.roundOff.replace('{n}', '1')]);
    await texts(ada, '#workshop-state', [en.workshop.participant.waiting]);
    await texts(ming, '#workshop-state', [zh.workshop.participant.waiting]);
    expect(await ada.page.locator('#workshop-ranking-box').isHidden()).toBe(true);

    // The host shows the leaderboard: the participants see the same ranking.
    await host.page.locator('#leaderboard').check();
    for (const [p, me, s] of [
      [ada, 'Ada', en],
      [ming, '小明', zh],
    ] as const) {
      await p.page.locator('#workshop-ranking-box').waitFor();
      // The same ranking, each seeing their own line marked.
      await texts(p, '#workshop-ranking li', rankingText.map((line) => (line.startsWith(`${me} · `) ? `${line} ← ${s.you}` : line)));
      expect(await p.page.locator('#workshop-ranking li.me').count()).toBe(1);
    }
    expect(await ming.page.locator('#workshop-ranking-box h3').textContent()).toBe(zh.workshop.participant.ranking);
    expect((await board(host))?.leaderboard).toBe(true);
    expect(await host.page.locator('#leaderboard').isChecked()).toBe(true);
    expect(await ming.horizontalOverflow()).toMatchObject({ culprits: [] });
    await t.screenshot(host, 'leaderboard');
    await t.screenshot(ada, 'leaderboard');
    await t.screenshot(ming, 'leaderboard');

    expect(await t.errors()).toEqual([]);
  });

  it('the host’s page and the participants’ pages come back after a reload; the host’s address works elsewhere, a wrong key does not', { timeout: 30_000 }, async () => {
    const t = await suite.open('workshop-reload', { random: new SeededRandom('workshop-reload') });
    const { host, code, hostUrl } = await openWorkshop(t);
    const ada = await adaTypesTheCode(t, code);
    const ming = await mingOpensTheLink(t, host, code);
    const before = (await board(host))?.participants.map((p) => p.id) ?? [];
    expect(before).toHaveLength(2);

    // The host reloads (same address, with the key in the fragment): the dashboard is back.
    await host.page.reload();
    await host.page.locator('#board').waitFor();
    expect(host.page.url()).toBe(hostUrl);
    expect(await hostHook(host)).toEqual({ code, hasToken: true });
    expect(await host.page.locator('#code').textContent()).toBe(code);
    await host.page.locator('#qr svg').waitFor();
    await texts(host, '#people li .name', ['Ada', '小明']);
    expect(await host.page.locator('#create').isHidden()).toBe(true);
    await t.screenshot(host, 'reloaded');

    // Each participant reloads: same seat, same name, nobody twice. Ming's address still
    // has ?join=CODE (he joins again, as himself); Ada's is the bare lobby (her seat comes
    // back with her tab's resume token alone).
    for (const [p, name] of [
      [ming, '小明'],
      [ada, 'Ada'],
    ] as const) {
      const dashboards = received(host, 'workshop:dashboard');
      await p.page.reload();
      await p.page.locator('#workshop').waitFor();
      await p.until('its name back', (s, n) => s.name === n, name);
      expect(await p.page.locator('#name').inputValue()).toBe(name);
      await receive(host, 'workshop:dashboard', dashboards);
      await texts(host, '#people li .name', ['Ada', '小明']);
      const participants = (await board(host))?.participants ?? [];
      expect(participants.map((x) => x.id)).toEqual(before);
      expect(participants.every((x) => x.connected && !x.removed)).toBe(true);
      expect(await host.page.locator('#people-title').textContent()).toBe('Participants (2)');
      await t.screenshot(p, 'reloaded');
    }
    expect(await ming.page.locator('#workshop-title').textContent()).toBe(`工作坊：${TITLE}`);

    // The host's address opened in another browser (no tab storage): the same dashboard.
    const elsewhere = await open(t, 'Laptop', hostUrl.slice(t.srv.url.length), '#board', PROJECTOR);
    expect(await elsewhere.page.locator('#code').textContent()).toBe(code);
    await texts(elsewhere, '#people li .name', ['Ada', '小明']);

    // With a wrong key: refused, and no dashboard.
    const intruder = await open(t, 'Intruder', `/host.html?w=${code}#token=AAAAAAAAAAAAAAAAAAAAAA`, '#toast', PROJECTOR);
    expect(await intruder.page.locator('#toast').textContent()).toBe(en.errors['workshop/bad-token']);
    expect(await intruder.page.locator('#board').isHidden()).toBe(true);
    expect(await board(intruder)).toBeNull();
    await t.screenshot(intruder, 'bad-key');

    expect(await t.errors()).toEqual([]);
  });

  it('after a workshop call, the end screen leads back to the workshop only, not on to the next lesson', { timeout: 40_000 }, async () => {
    const { t, ada, ming, asker, answerer } = await lessonOneRound('workshop-end');
    await playLessonOne(t, asker, answerer);
    await t.advance(LAST_ENVELOPE);
    for (const p of [ada, ming]) {
      await p.until('the end screen', (s) => s.screen === 'end' && s.outcome === 'polite');
      expect(await p.page.locator('#play-again').isVisible()).toBe(true);
    }
    expect(await t.errors()).toEqual([]);
    for (const p of [ada, ming]) {
      expect(await p.page.locator('#next-lesson').isHidden(), `${p.label}: "Next lesson" offered at the end of a workshop call`).toBe(true);
      expect(await p.focused()).toBe('button#play-again');
    }
    // The call again in the replay viewer, step by step, with both names.
    const nameOf = (p: Player): string => (p === ada ? 'Ada' : '小明');
    await viewerFrom(ada, '#watch-replay', [nameOf(asker), nameOf(answerer)]);
  });

  it('the host watches a pair on the big screen, live and read-only, sees it end, and Esc stops', { timeout: 60_000 }, async () => {
    const { t, host, ada, ming, asker, answerer } = await lessonOneRound('workshop-watch');
    const nameOf = (p: Player): string => (p === ada ? 'Ada' : '小明');
    const callId = (await board(host))?.pairs[0]?.callId;
    expect(callId).toBeTypeOf('string');

    // The pair's row has a Watch button; pressing it fills the screen with that call.
    const shownBefore = received(asker, 'call:shown');
    await host.press(`[data-watch="${callId}"]`);
    await host.page.locator('#watch').waitFor();
    await host.page.locator('#watch-stage canvas').waitFor();
    await receive(asker, 'call:shown', shownBefore);
    await receive(answerer, 'call:shown', shownBefore);
    // The pair sees that the class is watching.
    for (const p of [asker, answerer]) await p.page.locator('#on-screen').waitFor();
    expect(await ada.page.locator('#on-screen').textContent()).toBe(en.workshop.participant.onScreen);
    expect(await ming.page.locator('#on-screen').textContent()).toBe(zh.workshop.participant.onScreen);
    await t.screenshot(ada, 'on-screen');
    expect(await watched(host)).toMatchObject({ callId, states: 'LISTEN · LISTEN', segments: 0 });
    expect(await host.page.locator('#watch-title').textContent()).toContain('Ada');
    expect(await host.focused()).toBe('button#watch-stop');
    // Read-only: the big screen has no moves to make.
    expect(await host.page.locator('#watch button').allTextContents()).toEqual([hostText.rewind, hostText.stopWatching]);
    expect(await host.page.locator('#watch-rewind').isHidden()).toBe(true);

    const segmentsOf = async (p: Player) => (await p.snapshot()).tracks;
    await playLessonOne(t, asker, answerer, {
      established: async () => {
        await host.page.waitForFunction(() => (globalThis as unknown as HostHook).__host?.watchedModel()?.view.b.state === 'ESTABLISHED');
        const seen = await watched(host);
        expect(seen.states).toBe('ESTABLISHED · ESTABLISHED');
        expect(seen.segments).toBe(await segmentsOf(asker));
        await t.frame();
        await t.screenshot(host, 'watching');
      },
    });
    await host.page.waitForFunction(() => (globalThis as unknown as HostHook).__host?.watchedModel()?.summary?.outcome === 'polite');
    expect((await watched(host)).segments).toBe(await segmentsOf(asker));
    expect(await host.page.locator('#watch-state').textContent()).toBe(hostText.watchEnded.replace('{outcome}', hostText.outcomes.polite));
    expect(await host.page.locator('#watch-rewind').isVisible()).toBe(true);
    await t.frame();
    await t.screenshot(host, 'watched-end');
    // Rewind: the finished call opens in the replay viewer, with both names.
    await viewerFrom(host, '#watch-rewind', [nameOf(asker), nameOf(answerer)]);

    // Esc: back to the dashboard, focus where it was; the pair is told.
    const offBefore = received(asker, 'call:shown');
    await host.page.keyboard.press('Escape');
    await host.page.locator('#watch').waitFor({ state: 'hidden' });
    await receive(asker, 'call:shown', offBefore);
    expect(await watched(host)).toMatchObject({ callId: null });
    for (const p of [asker, answerer]) expect(await p.page.locator('#on-screen').isHidden()).toBe(true);
    // The call is over, so its Watch button is gone: focus goes to the pairs.
    expect(await host.focused()).toBe('table#pairs');
    expect(await t.errors()).toEqual([]);
    expect(await host.cspViolations()).toEqual([]);
  });

  it('the projector view at 1920×1080: the code to join, then 20 pairs live, then the figures; nothing cut off', { timeout: 60_000 }, async () => {
    const t = await suite.open('workshop-present', { random: new SeededRandom('workshop-present') });
    const host = await open(t, 'Host', '/host.html?present', '#create-form', { viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
    await receive(host, 'welcome');
    await host.page.locator('#title').fill('Year 9 networks');
    await host.press('#create-form button[type="submit"]');
    await host.page.locator('#present-join').waitFor();
    expect(await host.page.locator('#board').isHidden()).toBe(true);
    const code = (await host.page.locator('#present-code').textContent()) ?? '';
    expect(code).toHaveLength(CODE_LENGTH);
    await host.page.locator('#present-qr svg').waitFor();
    const inView = async (selector: string) => {
      const boxes = await host.page.locator(selector).evaluateAll((els) =>
        els.map((el) => {
          const r = el.getBoundingClientRect();
          return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, clipped: el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1 };
        }),
      );
      expect(boxes.length, selector).toBeGreaterThan(0);
      for (const [i, b] of boxes.entries()) {
        expect(b.left >= 0 && b.top >= 0 && b.right <= 1920 && b.bottom <= 1080, `${selector} #${i} at ${JSON.stringify(b)}`).toBe(true);
        expect(b.clipped, `${selector} #${i} cuts its content`).toBe(false);
      }
      return boxes;
    };
    const [codeBox] = await inView('#present-code');
    expect(codeBox!.bottom - codeBox!.top).toBeGreaterThan(150);
    await inView('#present-qr svg');

    // Forty people join (real sockets); the count follows.
    const clients: TestClient[] = [];
    for (let i = 0; i < 40; i++) {
      const c = await TestClient.connect(t.srv.url);
      clients.push(c);
      // Names as long as allowed (24 characters): they must still fit their tiles.
      c.send('hello', { name: `Pupil ${String(i + 1).padStart(2, '0')} Wolfeschlegels`.slice(0, 24), lang: 'en' });
      await waitForMessage(c, 'welcome');
      c.send('call:join', { code });
      await waitForMessage(c, 'workshop:status');
    }
    await texts(host, '#present-count', [hostText.presentJoined.replace('{n}', '40')]);
    await t.screenshot(host, 'present-join');

    // The round starts (from the dashboard), every pair gets a tile; some ask, one makes a mistake.
    await host.press('#present-toggle');
    await host.page.locator('#board').waitFor();
    await host.press('#start-round');
    await host.page.waitForFunction(() => ((globalThis as unknown as HostHook).__host?.board()?.pairs.length ?? 0) === 20);
    await host.press('#present-toggle');
    await host.page.locator('#present-live').waitFor();
    for (const c of clients) await roundTrip(c);
    const sideA = clients.filter((c) => c.all('call:started').at(-1)?.you === 'a');
    expect(sideA).toHaveLength(20);
    for (const c of sideA.slice(0, 12)) c.send('call:action', { action: 'ask' });
    await Promise.all(sideA.map((c) => roundTrip(c)));
    await t.advance(700);
    await host.page.waitForFunction(() => (globalThis as unknown as HostHook).__host?.board()?.pairs.filter((p) => p.a.state === 'SYN_SENT').length === 12);
    await t.advance(300);
    // One answerer gets the numbers wrong: that pair's tile flashes, and only that one.
    const asked = sideA[0]!.all('call:started').at(-1)!.callId;
    const answerer = clients.find((c) => c !== sideA[0] && c.all('call:started').at(-1)?.callId === asked)!;
    const hint = await answerer.next('call:update', (u) => u.callId === asked && u.view.b.hint !== null);
    answerer.send('call:move', { segment: { ...hint.view.b.hint!, ackNo: (hint.view.b.hint!.ackNo + 5) >>> 0 } });
    await roundTrip(answerer);
    t.srv.clock.advance(300);
    await host.page.locator(`#present-grid .tile.flash[data-call="${asked}"]`).waitFor();
    expect(await host.page.locator('#present-grid .tile.flash').count()).toBe(1);
    expect(await host.page.locator(`#present-grid .tile[data-call="${asked}"] .foot .bad`).textContent()).toBe(hostText.mistakesN.replace('{n}', '1'));
    await host.page.locator('#present-grid .tile').nth(19).waitFor();
    expect(await host.page.locator('#present-grid .tile').count()).toBe(20);
    const tiles = await inView('#present-grid .tile');
    // Every name fits its tile, and the tiles are big enough to read.
    expect(Math.min(...tiles.map((b) => b.right - b.left))).toBeGreaterThan(300);
    await inView('#present-grid .tile .who');
    await inView('#present-progress');
    expect(await host.page.locator('#present-grid .tile.stage-asking').count()).toBe(12);
    expect(await host.horizontalOverflow()).toMatchObject({ culprits: [] });
    await t.screenshot(host, 'present-round');

    // The round ends: the figures and the heat map, large.
    await host.press('#present-toggle');
    await host.press('#end-round');
    await host.page.waitForFunction(() => (globalThis as unknown as HostHook).__host?.board()?.roundOpen === false);
    await host.press('#present-toggle');
    await host.page.locator('#present-after').waitFor();
    const figureBoxes = await inView('#present-figures > div');
    expect(figureBoxes).toHaveLength(5);
    expect(await figures(host, '#present-figures')).toMatchObject({ [hostText.calls]: '20' });
    expect(await host.page.locator('#present-heat li').count()).toBe(8);
    await inView('#present-heat li');
    await t.screenshot(host, 'present-after');
    // Back on the dashboard, the report names the one who answered with the wrong number, with a tip.
    await host.press('#present-toggle');
    await host.page.locator('#board').waitFor();
    const reportRows = host.page.locator('#report tr[data-participant]');
    expect(await reportRows.count()).toBe(1);
    const cells = await reportRows.first().locator('td').allTextContents();
    expect(cells[2]).toBe(hostText.reportTimes.replace('{step}', hostText.steps.answer).replace('{n}', '1'));
    expect(cells[3]).toBe(ADVICE.en.answer);
    await host.page.locator('#report').scrollIntoViewIfNeeded();
    await t.screenshot(host, 'dashboard-report');
    for (const c of clients) c.close();
    expect(await t.errors()).toEqual([]);
    expect(await host.cspViolations()).toEqual([]);
  });

  it('a participant who closes their page shows as away on the host’s list', { timeout: 30_000 }, async () => {
    const t = await suite.open('workshop-away', { random: new SeededRandom('workshop-away') });
    const { host, code } = await openWorkshop(t);
    const ada = await adaTypesTheCode(t, code);
    await mingOpensTheLink(t, host, code);
    await texts(host, '#people li .tag', [hostText.connected, hostText.connected]);
    expect(await t.errors()).toEqual([]);

    await ada.context.close();
    // Past the server's 20 s grace for a dropped connection, too.
    await t.advance(25_000);
    await texts(host, '#people li .tag', [hostText.away, hostText.connected], 3_000);
  });
});
