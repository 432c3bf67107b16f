/**
 * A lesson in real Chromium against the real server (port 0, FakeClock), from the lobby's
 * lesson list to the end screen: the dialog with the intro and the goal, the call with the
 * bot and its goal checklist filling in, the debrief, the way to the next lesson, and the
 * files a player takes home (PNG and SVG ladders, a pcapng capture that tshark reads back,
 * the replay record). Progress is kept in the browser, also across a reload.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lessonsEn } from '../../client/src/i18n/lessons.en';
import { browserTests, Table, waitForCall, type Player } from '../support/browser';

const suite = browserTests();

/** One hop on the perfect line, lesson one's line. */
const HOP = 600;
/** The longest a prompt bot thinks before it answers, talks or says goodbye. */
const BOT_THINKS = 900;
/** TIME_WAIT in a call: 2 × MSL, with the calls' MSL of 5 s. */
const TIME_WAIT = 10_000;

const hello = lessonsEn.levels.hello;
const GOAL_STEPS = [lessonsEn.steps.connect, lessonsEn.steps.goodbye];

/** The texts of the goal steps in a list, and which of them are ticked. */
async function steps(player: Player, list: string): Promise<{ all: string[]; done: string[] }> {
  return {
    all: await player.page.locator(`${list} li`).allTextContents(),
    done: await player.page.locator(`${list} li.done`).allTextContents(),
  };
}

/** The lesson's button in the lobby list: its text, and whether it is marked done. */
async function lessonButton(player: Player, id: string): Promise<{ text: string; done: boolean }> {
  const button = player.page.locator(`#lesson-list button[data-level="${id}"]`);
  return { text: (await button.textContent()) ?? '', done: (await button.getAttribute('class'))?.split(' ').includes('is-done') === true };
}

/** The lessons marked done in the browser's storage. */
async function savedProgress(player: Player): Promise<unknown> {
  const saved = await player.page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage.getItem('cyhm.lessonsDone'));
  return saved === null ? null : JSON.parse(saved);
}

/** Open lesson one from the lobby list and start it with the bot: call time 0 is when the call shows. */
async function startLessonOne(t: Table, alice: Player): Promise<void> {
  await alice.press('#lesson-list button[data-level="hello"]');
  await alice.page.locator('#lesson-dialog[open]').waitFor();
  await alice.press('#lesson-bot');
  await waitForCall(t, alice);
}

/**
 * Lesson one with the bot, from the open dialog to the end screen, through the page only:
 * ask, pick "4" from the guided choices, chat, say goodbye, answer the bot's goodbye and
 * wait out TIME_WAIT; the goal checklist is checked at each step. Screenshots if `shots`.
 */
async function playLessonOne(t: Table, alice: Player, shots: boolean): Promise<void> {
  const screenshot = async (step: string): Promise<void> => {
    if (shots) await t.screenshot(alice, step);
  };
  // With the bot: the call starts at once, with the goal box showing the same unticked steps.
  await alice.press('#lesson-bot');
  await waitForCall(t, alice);
  expect(await alice.page.locator('#lesson-dialog').isVisible()).toBe(false);
  const start = await alice.snapshot();
  expect(start).toMatchObject({ screen: 'call', you: 'a', states: { a: 'LISTEN', b: 'LISTEN' } });
  const started = alice.wire.find((m) => m.event === 'call:started')?.payload;
  expect(started).toMatchObject({ level: 'hello', line: 'perfect', personality: 'prompt', players: { a: { name: 'Alice', bot: false }, b: { bot: true } } });
  expect(await alice.page.locator('#goal-box').isVisible()).toBe(true);
  expect(await alice.page.locator('#goal-title').textContent()).toBe(`Lesson 1: ${hello.title}`);
  expect(await steps(alice, '#goal-steps')).toEqual({ all: GOAL_STEPS, done: [] });
  await screenshot('call-start');

  // "1 + 1 = ?": the bot thinks, then answers "2. And 2 + 2 = ?"; Alice picks "4" from the choices.
  await alice.press('#act-ask');
  await alice.until('Alice in SYN_SENT', (s) => s.states?.a === 'SYN_SENT');
  await t.advance(HOP + BOT_THINKS + HOP);
  const asked = await alice.until('the SYN+ACK waiting for Alice, with choices', (s) => s.pending === 1 && s.choices.length === 3);
  expect(await alice.page.locator('#pending').textContent()).toBe('Answer this: <SEQ=3><ACK=2><CTL=SYN,ACK>');
  expect(asked.choices.map((c) => c.replace(/^\d+\. /, ''))).toContain('<SEQ=2><ACK=4><CTL=ACK>');
  await t.frame();
  await screenshot('choices');
  await alice.choose('<SEQ=2><ACK=4><CTL=ACK>');
  await alice.until('Alice ESTABLISHED, judged right', (s) => s.states?.a === 'ESTABLISHED' && s.verdict === 'Right!');
  expect(await steps(alice, '#goal-steps')).toEqual({ all: GOAL_STEPS, done: [] });
  await t.advance(HOP);
  await alice.until('the bot ESTABLISHED', (s) => s.states?.b === 'ESTABLISHED');
  // Both sides connected: the first step is ticked.
  expect(await steps(alice, '#goal-steps')).toEqual({ all: GOAL_STEPS, done: [lessonsEn.steps.connect] });
  await t.frame();
  await screenshot('connected');

  // Chat: "hi" (2 bytes) there, the bot's "I can hear you!" (15 bytes) back.
  await alice.page.locator('#chat-input').fill('hi');
  await alice.page.locator('#chat-input').press('Enter');
  await alice.until('Alice’s message sent', (s) => s.log.some((l) => l.includes('<DATA="hi">')));
  await t.advance(HOP + BOT_THINKS + HOP);
  const chatted = await alice.until('the bot’s reply', (s) => s.chat.length === 2);
  expect(chatted.chat).toEqual(['hi', 'I can hear you!']);
  await t.advance(HOP);

  // Goodbye: Alice's FIN; the bot thinks, acknowledges it, thinks again and says goodbye.
  await alice.press('#act-goodbye');
  await alice.until('Alice in FIN_WAIT_1', (s) => s.states?.a === 'FIN_WAIT_1');
  await t.advance(HOP + BOT_THINKS + BOT_THINKS + HOP);
  await alice.until('the bot’s FIN waiting for Alice', (s) => s.states?.a === 'FIN_WAIT_2' && s.states.b === 'LAST_ACK' && s.pending === 1);
  expect(await alice.page.locator('#pending').textContent()).toBe('Answer this: <SEQ=19><ACK=5><CTL=FIN,ACK>');
  await alice.choose('<SEQ=5><ACK=20><CTL=ACK>');
  const waiting = await alice.until('Alice in TIME_WAIT', (s) => s.states?.a === 'TIME_WAIT');
  const timeWaitEnds = waiting.timers!.a.timeWait!;
  expect(timeWaitEnds).toBe(t.callTime() + TIME_WAIT);
  await t.advance(HOP);
  await alice.until('the bot CLOSED', (s) => s.states?.b === 'CLOSED');
  // Not polite yet: Alice still lingers in TIME_WAIT.
  expect(await steps(alice, '#goal-steps')).toEqual({ all: GOAL_STEPS, done: [lessonsEn.steps.connect] });
  await t.frame();
  await screenshot('time-wait');

  // TIME_WAIT runs out: the call ends politely and the whole goal is ticked.
  await t.advanceTo(timeWaitEnds);
  await alice.until('the call summary', (s) => s.summary !== null);
  expect(await steps(alice, '#goal-steps')).toEqual({ all: GOAL_STEPS, done: GOAL_STEPS });
  expect(alice.wire.find((m) => m.event === 'call:ended')?.payload).toMatchObject({ goal: { met: true }, summary: { outcome: 'polite' } });
  await screenshot('goal-met');
  await t.advance(1_500);

  // The end screen: outcome, debrief with the ticked steps, and the next lesson offered first.
  const end = await alice.until('the end screen', (s) => s.screen === 'end');
  expect(end.outcome).toBe('polite');
  expect(await alice.page.locator('#end-outcome').textContent()).toBe('A polite goodbye. Well done!');
  expect(await alice.page.locator('#debrief').isVisible()).toBe(true);
  expect(await alice.page.locator('#debrief-title').textContent()).toBe(lessonsEn.debriefTitle);
  expect(await alice.page.locator('#debrief-text').textContent()).toBe(hello.debrief);
  expect(await steps(alice, '#debrief-steps')).toEqual({ all: GOAL_STEPS, done: GOAL_STEPS });
  expect(await alice.page.locator('#next-lesson').isVisible()).toBe(true);
  expect(await alice.page.locator('#next-lesson').textContent()).toBe(lessonsEn.next);
  expect(await alice.focused()).toBe('button#next-lesson');
  await screenshot('end');
}

describe('a lesson in the browser', () => {
  it('lesson 1 from the lobby list: dialog, a whole call with the bot, the goal ticked off, debrief, downloads, progress kept', async () => {
    const t = await suite.open('lesson-hello');
    const alice = await t.join('Alice', { name: 'Alice' });

    // The lobby lists ten lessons, none done yet.
    expect(await alice.page.locator('#lesson-list button').count()).toBe(10);
    // Under the lessons, the way to an earlier call's replay file.
    expect(await alice.page.locator('#replay-link').getAttribute('href')).toBe('/replay.html');
    expect(await alice.page.locator('#replay-link').textContent()).toBe(lessonsEn.replayLink);
    expect(await lessonButton(alice, 'hello')).toEqual({ text: 'Lesson 1Hello?', done: false });

    // The dialog: number, title, intro and the goal's steps, none ticked; the bot button has focus.
    await alice.press('#lesson-list button[data-level="hello"]');
    await alice.page.locator('#lesson-dialog[open]').waitFor();
    expect(await alice.page.locator('#lesson-dialog-number').textContent()).toBe('Lesson 1');
    expect(await alice.page.locator('#lesson-dialog-title').textContent()).toBe(hello.title);
    expect(await alice.page.locator('#lesson-dialog-intro').textContent()).toBe(hello.intro);
    expect(await steps(alice, '#lesson-dialog-steps')).toEqual({ all: GOAL_STEPS, done: [] });
    expect(await alice.page.locator('#lesson-bot').textContent()).toBe(lessonsEn.withBot);
    expect(await alice.page.locator('#lesson-partner').textContent()).toBe(lessonsEn.withPartner);
    expect(await alice.focused()).toBe('button#lesson-bot');
    await t.screenshot(alice, 'dialog');

    await playLessonOne(t, alice, true);

    // Take it home: the ladder as a PNG, and the call as a capture.
    const png = await alice.download('#export-png');
    expect(png).toMatch(/\/can-you-hear-me-hello-[\d-]+\.png$/);
    expect([...readFileSync(png).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const pcapng = await alice.download('#export-pcapng');
    expect(pcapng).toMatch(/\/can-you-hear-me-hello-[\d-]+\.pcapng$/);
    const capture = readFileSync(pcapng);
    expect(capture.readUInt32LE(0)).toBe(0x0a0d0d0a); // Section Header Block
    expect(capture.readUInt32LE(8)).toBe(0x1a2b3c4d); // byte-order magic, little-endian
    // tshark reads it back: every segment of the call, in the order sent.
    const fields = execFileSync('tshark', ['-r', pcapng, '-T', 'fields', '-e', 'tcp.flags', '-e', 'tcp.seq_raw', '-e', 'tcp.ack_raw'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const FIN = 0x01;
    const SYN = 0x02;
    const PSH = 0x08;
    const ACK = 0x10;
    const rows = fields
      .trim()
      .split('\n')
      .map((line) => line.split('\t').map(Number));
    expect(rows).toEqual([
      [SYN, 1, 0], // A <SEQ=1><CTL=SYN>: "1 + 1 = ?"
      [SYN | ACK, 3, 2], // B <SEQ=3><ACK=2><CTL=SYN,ACK>: "2. And 2 + 2 = ?"
      [ACK, 2, 4], // A <SEQ=2><ACK=4><CTL=ACK>: "4"
      [PSH | ACK, 2, 4], // A <SEQ=2><ACK=4><CTL=ACK><DATA="hi">
      [ACK, 4, 4], // B acknowledges it
      [PSH | ACK, 4, 4], // B <DATA="I can hear you!">
      [ACK, 4, 19], // A acknowledges its 15 bytes
      [FIN | ACK, 4, 19], // A says goodbye
      [ACK, 19, 5], // B acknowledges it
      [FIN | ACK, 19, 5], // B says goodbye
      [ACK, 5, 20], // A's last word, then TIME_WAIT
    ]);

    // Back to the lobby: lesson one is marked done.
    await alice.press('#play-again');
    expect((await alice.snapshot()).screen).toBe('lobby');
    expect(await lessonButton(alice, 'hello')).toEqual({ text: `Lesson 1${hello.title}✓ ${lessonsEn.done}`, done: true });
    expect(await lessonButton(alice, 'random')).toEqual({ text: `Lesson 2${lessonsEn.levels.random.title}`, done: false });
    await alice.scrollTo('#lessons');
    await t.screenshot(alice, 'lobby-lesson-done');

    // Kept in the browser: still done after a reload.
    expect(await savedProgress(alice)).toEqual(['hello']);
    await alice.page.reload();
    await alice.page.locator('#quick:enabled').waitFor();
    expect(await lessonButton(alice, 'hello')).toEqual({ text: `Lesson 1${hello.title}✓ ${lessonsEn.done}`, done: true });
    await alice.scrollTo('#lessons');
    await t.screenshot(alice, 'lobby-after-reload');

    expect(await t.errors()).toEqual([]);
  });

  it('after "Next lesson", the lobby list marks the lesson just finished as done', async () => {
    const t = await suite.open('lesson-next');
    const alice = await t.join('Alice', { name: 'Alice' });
    await alice.press('#lesson-list button[data-level="hello"]');
    await alice.page.locator('#lesson-dialog[open]').waitFor();
    await playLessonOne(t, alice, false);
    expect(await savedProgress(alice)).toEqual(['hello']);

    // "Next lesson": back in the lobby, with lesson two's dialog open.
    await alice.press('#next-lesson');
    await alice.page.locator('#lesson-dialog[open]').waitFor();
    expect((await alice.snapshot()).screen).toBe('lobby');
    expect(await alice.page.locator('#lesson-dialog-number').textContent()).toBe('Lesson 2');
    expect(await alice.page.locator('#lesson-dialog-title').textContent()).toBe(lessonsEn.levels.random.title);
    await t.screenshot(alice, 'next-lesson-dialog');
    await alice.page.locator('#lesson-dialog button[value="cancel"]').click();
    await alice.page.locator('#lesson-dialog').waitFor({ state: 'hidden' });
    await alice.scrollTo('#lessons');
    await t.screenshot(alice, 'lobby-list-stale');
    expect(await t.errors()).toEqual([]);
    // Fails here: the button still reads "Lesson 1Hello?", without "✓ Done".
    expect(await lessonButton(alice, 'hello')).toEqual({ text: `Lesson 1${hello.title}✓ ${lessonsEn.done}`, done: true });
  });

  it('the SVG ladder and the replay record download too, also from a lesson that was not finished', async () => {
    const t = await suite.open('lesson-exports');
    const alice = await t.join('Alice', { name: 'Alice' });
    await startLessonOne(t, alice);

    // Ask, let the bot answer, then hang up: a short call that ends without meeting the goal.
    await alice.press('#act-ask');
    await alice.until('Alice in SYN_SENT', (s) => s.states?.a === 'SYN_SENT');
    await t.advance(HOP + BOT_THINKS + HOP);
    await alice.until('the SYN+ACK waiting for Alice', (s) => s.pending === 1);
    await alice.press('#act-hangup');
    await alice.until('the call summary', (s) => s.summary !== null);
    await t.advance(1_500);
    const end = await alice.until('the end screen', (s) => s.screen === 'end');
    expect(end.outcome).toBe('hung-up');
    expect(await alice.page.locator('#debrief').isVisible()).toBe(true);
    expect(await steps(alice, '#debrief-steps')).toEqual({ all: GOAL_STEPS, done: [] });
    // Goal not met: no next lesson, and "Play again" has the focus.
    expect(await alice.page.locator('#next-lesson').isHidden()).toBe(true);
    expect(await alice.focused()).toBe('button#play-again');
    await t.screenshot(alice, 'end-hung-up');

    const svg = await alice.download('#export-svg');
    expect(svg).toMatch(/\/can-you-hear-me-hello-[\d-]+\.svg$/);
    const text = readFileSync(svg, 'utf8');
    expect(text).toMatch(/^(<\?xml[^>]*>\s*)?<svg[\s>]/);
    expect(text.trimEnd()).toMatch(/<\/svg>$/);
    // The ladder of this call: You and the bot, the SYN and the SYN+ACK with their numbers.
    expect(text).toContain('>Tess</text>');
    expect(text).toContain('>SYN seq=1</text>');
    expect(text).toContain('>SYN,ACK seq=3 ack=2</text>');

    const replayFile = await alice.download('#export-replay');
    expect(replayFile).toMatch(/\/can-you-hear-me-hello-[\d-]+\.json$/);
    const record = JSON.parse(readFileSync(replayFile, 'utf8')) as { version: unknown; setup: unknown; moves: unknown };
    expect(record.version).toBe(1);
    expect(record.setup).toMatchObject({ iss: { a: 1, b: 3 }, manual: { a: true, b: true } });
    expect(Array.isArray(record.moves)).toBe(true);
    // The same record the server sent with call:ended.
    expect(record).toEqual((alice.wire.find((m) => m.event === 'call:ended')?.payload as { record: unknown }).record);

    // Not finished, so not marked done.
    await alice.press('#play-again');
    expect(await lessonButton(alice, 'hello')).toEqual({ text: `Lesson 1${hello.title}`, done: false });

    expect(await t.errors()).toEqual([]);
  });
});
