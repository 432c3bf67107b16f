/**
 * Browser tests: real Chromium (playwright-core driving the system's /usr/bin/chromium,
 * never a downloaded one) against the real game server on port 0, serving the client
 * built with the test hook (see build-client.ts).
 *
 * Time belongs to the test, on both ends. The server runs on a FakeClock; every page runs
 * on Playwright's page clock, paused once the lobby is up. `Table.advance(ms)` moves the
 * pages and then the server by the same amount, so what a page draws at call time t is
 * what the server did by t: an envelope half-way along the line after 300 ms of a 600 ms
 * hop, a countdown ring that says 5.0 s when the server's timer has 5 s to go. Nothing
 * sleeps; tests wait only for what a page shows (its DOM or `window.__game.snapshot()`).
 */
import { mkdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import type { GameServerOptions } from '../../server/app';
import type { CallEvent } from '../../shared/call';
import type { CallSummary } from '../../shared/game/summary';
import { LINE_PRESETS } from '../../shared/net';
import type { LineName } from '../../shared/wire';
import { TEST_CLIENT_DIR } from './build-client';
import { launchChromium } from './chromium';
import { startServer, type TestServer } from './server';

// ---------------------------------------------------------------- the browser

export { CHROMIUM_ARGS, launchChromium } from './chromium';

// ---------------------------------------------------------------- the page's test hook

type Side = 'a' | 'b';
type TimerName = 'reply' | 'timeWait' | 'keepalive' | 'retryWait';

/** What CallScene.describe() says about the last frame it drew. */
export interface SceneDescription {
  readonly envelopes: number;
  readonly lostFalling: number;
  readonly frozen: boolean;
  readonly badges: { readonly me: string; readonly partner: string };
  readonly rings: number;
  readonly ladderArrows: number;
  /** The ladder as drawn: label boxes on screen (Phaser's bounds) and in the whole layout. */
  readonly ladder: {
    readonly visible: readonly LabelBox[];
    readonly all: readonly LabelBox[];
    readonly scrollY: number;
    readonly maxScroll: number;
    readonly newest: string | null;
  };
  /** The player's own call tile and the partner's, in canvas pixels. */
  readonly myTile: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly partnerTile: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Each video window: a picture, a frozen one, or no signal; and whether its mic is lit. */
  readonly video: Record<'me' | 'partner', { readonly signal: 'ok' | 'frozen' | 'no-signal'; readonly speaking: boolean }>;
  /** A short party on screen: just connected, or just said goodbye politely. */
  readonly celebrating: 'connected' | 'goodbye' | null;
}

export interface LabelBox {
  readonly key: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** `window.__game.snapshot()` (client/src/main.ts), which the tests see untyped. */
export interface GameSnapshot {
  readonly screen: 'lobby' | 'call' | 'end';
  readonly name: string;
  readonly lang: 'en' | 'zh';
  readonly you: Side | null;
  readonly states: Record<Side, string> | null;
  readonly pending: number;
  readonly retries: Record<Side, number> | null;
  readonly timers: Record<Side, Record<TimerName, number | null>> | null;
  readonly chat: readonly string[];
  readonly verdict: string;
  readonly choices: readonly string[];
  readonly log: readonly string[];
  readonly summary: CallSummary | null;
  readonly tracks: number;
  readonly retransmissions: number;
  readonly outcome: string | null;
  readonly scene: SceneDescription | null;
}

/**
 * The little of the page that the functions run inside it use. They run in the browser,
 * but this project's tsconfig has no DOM library, so they reach the page through
 * `globalThis as unknown as PageGlobal` (the cast disappears; `globalThis` is the window).
 */
export interface PageElement {
  readonly id: string;
  readonly tagName: string;
  readonly className: unknown;
  readonly offsetParent: unknown;
  readonly type?: string;
  readonly value?: string;
  readonly complete?: boolean;
  readonly naturalWidth?: number;
  getAttribute(name: string): string | null;
  matches(selector: string): boolean;
  getBoundingClientRect(): { readonly right: number };
  scrollIntoView(options?: { block?: 'start' | 'center' | 'end' | 'nearest' }): void;
}

export interface PageGlobal {
  readonly document: {
    readonly activeElement: PageElement | null;
    readonly body: PageElement;
    readonly documentElement: { readonly clientWidth: number; readonly scrollWidth: number };
    querySelectorAll(selector: string): Iterable<PageElement>;
    querySelector(selector: string): PageElement | null;
  };
  readonly __game?: { snapshot(): GameSnapshot; errors(): string[] };
  /** Content-Security-Policy violations the page reported (see CSP_WATCH). */
  readonly __cspViolations?: string[];
  scrollTo(x: number, y: number): void;
}

// ---------------------------------------------------------------- one player

export interface JoinOptions {
  /** Extra context options: locale, viewport, isMobile, hasTouch… */
  readonly context?: BrowserContextOptions;
  /** Typed into the name field before playing. */
  readonly name?: string;
}

/** One player: a fresh browser context with one page, its errors recorded. */
export class Player {
  /** Console errors and uncaught page errors, as they happen. */
  readonly errors: string[] = [];
  /** Every socket.io event the server sent this page, read off its WebSocket frames, in order. */
  readonly wire: { readonly event: string; readonly payload: unknown }[] = [];

  constructor(
    readonly label: string,
    readonly context: BrowserContext,
    readonly page: Page,
    /** A touch screen: `press` taps instead of clicking. */
    readonly touch = false,
  ) {
    page.on('console', (message) => {
      if (message.type() === 'error') this.errors.push(`console.error: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.errors.push(`page error: ${error.message}`));
    page.on('websocket', (ws) => {
      ws.on('framereceived', ({ payload }) => {
        // A socket.io event on the default namespace: engine.io "4" (message) + socket.io "2" (event).
        if (typeof payload !== 'string' || !payload.startsWith('42[')) return;
        const [event, arg] = JSON.parse(payload.slice(2)) as [string, unknown];
        this.wire.push({ event, payload: arg });
      });
    });
  }

  /** The call's events as the server sent them to this page (call:started, then every call:update). */
  callEvents(): CallEvent[] {
    return this.wire.flatMap((m) => (m.event === 'call:started' || m.event === 'call:update' ? (m.payload as { events: CallEvent[] }).events : []));
  }

  /**
   * Click `selector` and save the download it starts under test-results/downloads/, named
   * as the page named it. Returns the saved file's path.
   */
  async download(selector: string): Promise<string> {
    mkdirSync(DOWNLOAD_DIR, { recursive: true });
    const [file] = await Promise.all([this.page.waitForEvent('download'), this.press(selector)]);
    const path = `${DOWNLOAD_DIR}/${file.suggestedFilename()}`;
    await file.saveAs(path);
    return path;
  }

  snapshot(): Promise<GameSnapshot> {
    return this.page.evaluate(() => {
      const game = (globalThis as unknown as PageGlobal).__game;
      if (game === undefined) throw new Error('no window.__game: is this the test build (GAME_TEST_HOOKS=1)?');
      return game.snapshot();
    });
  }

  /**
   * Wait until the page's snapshot passes `test`, which runs inside the page: it may use
   * only its arguments (the snapshot and `arg`), nothing from the test's scope. A guard
   * of `timeoutMs` real time, not a sleep; on failure it says what the page showed.
   */
  async until<A = undefined>(what: string, test: (s: GameSnapshot, arg: A) => boolean, arg?: A, timeoutMs = 10_000): Promise<GameSnapshot> {
    try {
      // Playwright sends a function's source to the page and has the browser compile it
      // from outside (the DevTools protocol), where the page's Content-Security-Policy (no
      // eval) does not apply: so the function it is given reads as `test` applied to the
      // snapshot. An eval inside the page would be refused, as it should be.
      const source = `(value) => (${test.toString()})(globalThis.__game?.snapshot(), value)`;
      const predicate = Object.assign(() => false, { toString: () => source });
      await this.page.waitForFunction(predicate, arg, { timeout: timeoutMs });
    } catch (error) {
      const last = await this.snapshot().catch(() => null);
      throw new Error(`${this.label}: no "${what}" within ${timeoutMs} ms (${(error as Error).message.split('\n')[0]}). Page showed: ${describeSnapshot(last)}`);
    }
    return this.snapshot();
  }

  /** Click `selector`, or tap it on a touch screen; `force` skips waiting for it to hold still. */
  async press(selector: string, { force = false }: { force?: boolean } = {}): Promise<void> {
    const target = this.page.locator(selector);
    if (this.touch) await target.tap({ force });
    else await target.click({ force });
  }

  /** Pick the guided choice that is `segment` (e.g. `<SEQ=3><ACK=2><CTL=SYN,ACK>`), once it is offered. */
  async choose(segment: string, { force = false }: { force?: boolean } = {}): Promise<void> {
    await this.until(`the choice ${segment}`, (s, seg) => s.choices.some((c) => c.replace(/^\d+\. /, '') === seg), segment);
    const button = this.page.locator('#choices button', { hasText: new RegExp(`^\\d+\\. ${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
    if (this.touch) await button.tap({ force });
    else await button.click({ force });
  }

  /** The guided choices offered now, without their numbers. */
  async choices(): Promise<string[]> {
    return (await this.snapshot()).choices.map((c) => c.replace(/^\d+\. /, ''));
  }

  /** The focused element, e.g. `button#act-ask` or `input[name=seq]` ('body' for none). */
  focused(): Promise<string> {
    return this.page.evaluate(() => {
      const { document } = globalThis as unknown as PageGlobal;
      const el = document.activeElement;
      if (el === null || el === document.body) return 'body';
      const name = el.getAttribute('name');
      return `${el.tagName.toLowerCase()}${el.id === '' ? '' : `#${el.id}`}${name === null ? '' : `[name=${name}]`}${el.tagName === 'INPUT' && el.type === 'radio' ? `[value=${el.value}]` : ''}`;
    });
  }

  /**
   * Press Tab (Shift+Tab if `back`) until the focused element matches `selector`, only
   * looking at what has focus between presses. Throws, naming every stop, if it is not
   * reached within `max` presses.
   */
  async tabTo(selector: string, { back = false, max = 40 }: { back?: boolean; max?: number } = {}): Promise<number> {
    const stops: string[] = [];
    for (let presses = 0; presses <= max; presses++) {
      if (await this.page.evaluate((sel) => (globalThis as unknown as PageGlobal).document.activeElement?.matches(sel) === true, selector)) return presses;
      await this.page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
      stops.push(await this.focused());
    }
    throw new Error(`${this.label}: ${selector} not reached by ${back ? 'Shift+Tab' : 'Tab'} in ${max} presses; focus went ${stops.join(' → ')}`);
  }

  /** Console errors, page errors, the errors the page's own hook caught, and Content-Security-Policy violations. */
  async allErrors(): Promise<string[]> {
    const fromHook = this.page.isClosed() ? [] : await this.page.evaluate(() => (globalThis as unknown as PageGlobal).__game?.errors() ?? []).catch(() => []);
    return [...this.errors, ...fromHook.map((e) => `window error: ${e}`), ...(await this.cspViolations()).map((v) => `CSP violation: ${v}`)];
  }

  /** Every Content-Security-Policy violation the page has reported, as `directive blocked-uri`. */
  async cspViolations(): Promise<string[]> {
    if (this.page.isClosed()) return [];
    return this.page.evaluate(() => [...((globalThis as unknown as PageGlobal).__cspViolations ?? [])]).catch(() => []);
  }

  /** Whether the page is wider than its viewport (something sticks out sideways). */
  horizontalOverflow(): Promise<{ scrollWidth: number; viewport: number; culprits: string[] }> {
    return this.page.evaluate(() => {
      const { document } = globalThis as unknown as PageGlobal;
      const viewport = document.documentElement.clientWidth;
      const culprits = [...document.querySelectorAll('body *')]
        .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().right > viewport + 0.5)
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}${el.id === '' ? '' : `#${el.id}`}${el.className === '' || typeof el.className !== 'string' ? '' : `.${el.className.split(' ').join('.')}`}`);
      return { scrollWidth: document.documentElement.scrollWidth, viewport, culprits };
    });
  }

  /** Scroll to the top of the page (to picture the call scene), or bring `selector` into view. */
  async scrollTo(selector: 'top' | string): Promise<void> {
    await this.page.evaluate((sel) => {
      const page = globalThis as unknown as PageGlobal;
      if (sel === 'top') page.scrollTo(0, 0);
      else page.document.querySelector(sel)?.scrollIntoView({ block: 'end' });
    }, selector);
  }
}

function describeSnapshot(s: GameSnapshot | null): string {
  if (s === null) return '(no snapshot)';
  const { log, summary, ...rest } = s;
  return JSON.stringify({ ...rest, summary: summary?.outcome ?? null, lastLog: log.slice(-4) });
}

// ---------------------------------------------------------------- one test's world

export const SCREENSHOT_DIR = 'test-results/screenshots';
export const DOWNLOAD_DIR = 'test-results/downloads';
const DESKTOP = { viewport: { width: 1280, height: 900 } } as const;
/** One frame and a little: how far `frame()` moves both clocks so the canvas redraws. */
export const FRAME_MS = 20;

/**
 * Runs in every page before its own scripts (from outside the page, so the page's CSP does
 * not apply to it): records each Content-Security-Policy violation the page reports.
 */
export const CSP_WATCH = `
  globalThis.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    globalThis.__cspViolations.push(e.effectiveDirective + ' ' + (e.blockedURI || 'inline'));
  });
`;

/** One test's server, players and screenshots. */
export class Table {
  readonly players: Player[] = [];
  private shots = 0;
  /** The server clock's reading when the call started (call time 0), once known. */
  private t0: number | null = null;

  private constructor(
    readonly browser: Browser,
    readonly srv: TestServer,
    /** Names the screenshots: test-results/screenshots/<test>-<nn>-<player>-<step>.png. */
    readonly test: string,
  ) {}

  static async open(browser: Browser, test: string, options: Partial<GameServerOptions> = {}): Promise<Table> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const srv = await startServer({ clientDir: TEST_CLIENT_DIR, ...options });
    return new Table(browser, srv, test);
  }

  /** A new player in a fresh context, on the lobby with the buttons ready, its clock paused. */
  async join(label: string, options: JoinOptions = {}): Promise<Player> {
    const context = await this.browser.newContext({ ...DESKTOP, ...options.context });
    // Fail a stuck action well inside the test's own timeout, saying which one.
    context.setDefaultTimeout(5_000);
    // Install the page clock before the page loads, let it run through loading, then pause it.
    await context.clock.install();
    await context.addInitScript(CSP_WATCH);
    const page = await context.newPage();
    const player = new Player(label, context, page, options.context?.hasTouch === true);
    this.players.push(player);
    await page.goto(this.srv.url);
    await page.locator('#quick:enabled').waitFor();
    // Pausing a second ahead also fires, once, what the lobby had scheduled (the Phaser
    // chunk is fetched 500 ms after load).
    const now = await page.evaluate(() => Date.now());
    await page.clock.pauseAt(now + 1_000);
    if (options.name !== undefined) await page.locator('#name').fill(options.name);
    return player;
  }

  /** Call time on the server: ms since the call started (see `callStarted`). */
  callTime(): number {
    if (this.t0 === null) throw new Error('callStarted() was not called');
    return this.srv.clock.now() - this.t0;
  }

  /** Note that the call has just started (no time has passed since both pages showed it). */
  callStarted(): void {
    this.t0 = this.srv.clock.now();
  }

  /**
   * Let `ms` pass for everyone: the pages first, then the server, which runs every timer
   * that falls due. (The other order would let an update stamped with a call time ahead of
   * a page's clock arrive, and the page would move its idea of call time forward for good.)
   * `animate` runs every animation frame on the way (slower); otherwise the pages jump and
   * draw once.
   */
  async advance(ms: number, { animate = false }: { animate?: boolean } = {}): Promise<void> {
    await Promise.all(this.players.filter((p) => !p.page.isClosed()).map((p) => (animate ? p.page.clock.runFor(ms) : p.page.clock.fastForward(ms))));
    this.srv.clock.advance(ms);
  }

  /** Move to a call time (0 = when the call started). */
  async advanceTo(callTime: number, options: { animate?: boolean } = {}): Promise<void> {
    const ms = callTime - this.callTime();
    if (ms < 0) throw new Error(`call time ${callTime} is already past (now ${this.callTime()})`);
    await this.advance(ms, options);
  }

  /** Let every page draw a frame of what it knows now (and the server move the same 20 ms). */
  frame(): Promise<void> {
    return this.advance(FRAME_MS, { animate: true });
  }

  /** Save what `player` sees now; numbered in the order taken. */
  async screenshot(player: Player, step: string): Promise<string> {
    this.shots++;
    const path = `${SCREENSHOT_DIR}/${this.test}-${String(this.shots).padStart(2, '0')}-${player.label.toLowerCase()}-${step}.png`;
    await player.page.screenshot({ path });
    return path;
  }

  /** Every error any player's page had. */
  async errors(): Promise<string[]> {
    const all = await Promise.all(this.players.map(async (p) => (await p.allErrors()).map((e) => `${p.label}: ${e}`)));
    return all.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.players.splice(0).map((p) => p.context.close().catch(() => undefined)));
    await this.srv.close();
  }
}

// ---------------------------------------------------------------- lobby moves

/** Both players pick `line` and press "Find a partner", `first` before `second`. */
export async function quickMatch(table: Table, first: Player, second: Player, line: LineName): Promise<void> {
  for (const [i, p] of [first, second].entries()) {
    await p.page.locator('#line').selectOption(line);
    await p.press('#quick');
    if (i === 0) {
      await p.page.locator('#waiting').waitFor();
      await table.screenshot(p, 'waiting');
    }
  }
  await waitForCall(table, first, second);
}

/** Both pages on the call screen with the scene mounted; that moment is call time 0. */
export async function waitForCall(table: Table, ...players: Player[]): Promise<void> {
  for (const p of players) await p.until('the call screen with its scene', (s) => s.screen === 'call' && s.scene !== null && s.states !== null);
  table.callStarted();
  // One frame, so the scene has drawn its tiles and badges.
  await table.frame();
}

export { SeededRandom, seedLosingTheFirstSyn } from './random';

/** The slowest a segment can take on `line` when it is not held back: latency plus jitter. */
export function slowestHop(line: LineName): number {
  const link = LINE_PRESETS[line].aToB;
  return link.latencyMs + link.jitterMs;
}

/**
 * The hooks every browser test file needs: one Chromium for the file, and each test's
 * Table (its server and pages) closed after the test. `open` starts a test's Table.
 */
export function browserTests(): { open(test: string, options?: Partial<GameServerOptions>): Promise<Table> } {
  let browser: Browser | null = null;
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
  return {
    async open(test, options = {}) {
      if (browser === null) throw new Error('no browser: call open() inside a test');
      table = await Table.open(browser, test, options);
      return table;
    },
  };
}
