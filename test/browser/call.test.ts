/**
 * Whole calls in real Chromium against the real server: two players quick-match, shake
 * hands through the page (guided choices and a hand-built segment), chat, say goodbye and
 * reach the end screen; and a lossy line where the first SYN is lost and sent again.
 * Each page is checked for what it shows: its DOM, its `window.__game` snapshot, and the
 * call scene's own description of its last frame.
 */
import { describe, expect, it } from 'vitest';
import { browserTests, quickMatch, SeededRandom, seedLosingTheFirstSyn, slowestHop, type PageElement } from '../support/browser';

const suite = browserTests();

/** One hop on the perfect line. */
const HOP = 600;

describe('a call in the browser', () => {
  it('quick match on the perfect line: handshake (with one wrong move), chat, goodbye, end screen', async () => {
    const t = await suite.open('perfect-call');
    const alice = await t.join('Alice', { name: 'Alice' });
    const bob = await t.join('Bob', { name: 'Bob' });
    await t.screenshot(alice, 'lobby');
    expect(await alice.page.locator('#quick').textContent()).toBe('Find a partner');

    await quickMatch(t, alice, bob, 'perfect');
    const start = await alice.snapshot();
    expect(start).toMatchObject({ screen: 'call', you: 'a', states: { a: 'LISTEN', b: 'LISTEN' }, pending: 0 });
    expect(start.scene?.badges).toEqual({ me: 'LISTEN', partner: 'LISTEN' });
    expect((await bob.snapshot()).you).toBe('b');
    expect(await alice.page.locator('#chat-input').isDisabled()).toBe(true);
    expect(await alice.page.locator('#chat-note').textContent()).toBe('You can chat once you are connected (ESTABLISHED).');

    // Alice asks "1 + 1 = ?" (a SYN), and the envelope flies for 600 ms.
    await alice.page.locator('#act-ask').click();
    await alice.until('Alice in SYN_SENT', (s) => s.states?.a === 'SYN_SENT' && s.tracks === 1);
    const askedAt = t.callTime();
    await t.advance(HOP / 2, { animate: true });
    const flying = await alice.snapshot();
    expect(flying.scene).toMatchObject({ envelopes: 1, rings: 1, badges: { me: 'SYN_SENT', partner: 'LISTEN' } });
    expect(flying.timers?.a.reply).toBe(askedAt + 5_000);
    expect(flying.log).toContain('You sent <SEQ=1><CTL=SYN>: “1 + 1 = ?”.');
    expect(await alice.page.locator('#act-ask').isDisabled()).toBe(true);
    await t.screenshot(alice, 'syn-in-flight');
    await t.advance(HOP / 2);

    // Bob answers "2. And 2 + 2 = ?" by picking the right guided choice.
    const heard = await bob.until('the SYN waiting for Bob', (s) => s.pending === 1 && s.choices.length === 3);
    expect(await bob.page.locator('#pending').textContent()).toBe('Answer this: <SEQ=1><CTL=SYN>');
    expect(heard.choices.map((c) => c.replace(/^\d+\. /, ''))).toContain('<SEQ=3><ACK=2><CTL=SYN,ACK>');
    await bob.choose('<SEQ=3><ACK=2><CTL=SYN,ACK>');
    const answered = await bob.until('Bob in SYN_RCVD', (s) => s.states?.b === 'SYN_RCVD' && s.verdict !== '');
    expect(answered.verdict).toBe('Right!');
    expect(answered.choices).toEqual([]);
    await t.advance(HOP / 2, { animate: true });
    expect((await bob.snapshot()).scene?.envelopes).toBe(1);
    await t.screenshot(bob, 'syn-ack-in-flight');
    await t.advance(HOP / 2);

    // Alice first builds a wrong ACK by hand in expert mode: ack 3 instead of 4.
    await alice.until('the SYN+ACK waiting for Alice', (s) => s.pending === 1 && s.choices.length > 0);
    await alice.page.locator('input[name="mode"][value="expert"]').check();
    expect((await alice.snapshot()).choices).toEqual([]);
    const packet = alice.page.locator('#packet');
    await packet.locator('input[name="ack"]').check();
    await packet.locator('input[name="seq"]').fill('2');
    await packet.locator('input[name="ackNo"]').fill('3');
    await packet.locator('button[type="submit"]').click();
    const wrong = await alice.until('a verdict on the wrong ACK', (s) => s.verdict !== '');
    expect(wrong.verdict).toBe('Close! The answer is the number plus one: 4, not 3.');
    expect(await alice.page.locator('#verdict').getAttribute('class')).toContain('bad');
    expect(wrong).toMatchObject({ states: { a: 'SYN_SENT' }, pending: 1 });
    expect(wrong.log).toContain('You sent a wrong segment <SEQ=2><ACK=3><CTL=ACK>.');
    await t.frame();
    await t.screenshot(alice, 'wrong-ack');

    // Then the right one, "4", by hand again.
    await packet.locator('input[name="ackNo"]').fill('4');
    await packet.locator('button[type="submit"]').click();
    const connected = await alice.until('Alice ESTABLISHED', (s) => s.states?.a === 'ESTABLISHED' && s.verdict === 'Right!');
    expect(connected.log).toContain('You: SYN_SENT → ESTABLISHED.');
    await alice.page.locator('input[name="mode"][value="guided"]').check();
    await t.advance(HOP);
    // Bob's TCP refuses the wrong ACK with a RST, then takes the right one.
    const bobConnected = await bob.until('Bob ESTABLISHED', (s) => s.states?.b === 'ESTABLISHED');
    expect(bobConnected.log).toContain('You did not accept <SEQ=2><ACK=3><CTL=ACK>: its ACK does not match anything that was sent.');
    expect(bobConnected.log).toContain('You sent <SEQ=3><CTL=RST>: “Huh? That doesn’t match what I asked.”.');
    expect(bobConnected.log).toContain('You: SYN_RCVD → ESTABLISHED.');
    await t.advance(HOP);
    await t.frame();
    for (const p of [alice, bob]) {
      const s = await p.snapshot();
      expect(s.states).toEqual({ a: 'ESTABLISHED', b: 'ESTABLISHED' });
      expect(s.scene?.badges).toEqual({ me: 'ESTABLISHED', partner: 'ESTABLISHED' });
      expect(await p.page.locator('#turn').textContent()).toBe('Connected! Chat, or say goodbye when you are done.');
      expect(await p.page.locator('#chat-input').isEnabled()).toBe(true);
      await t.screenshot(p, 'established');
    }

    // Chat both ways: "Hi Bob" is 6 bytes, "Hi Alice!" 9.
    await alice.page.locator('#chat-input').fill('Hi Bob');
    await alice.page.locator('#chat-input').press('Enter');
    await alice.until('Alice sent her message', (s) => s.log.some((l) => l.includes('<DATA="Hi Bob">')));
    expect(await alice.page.locator('#chat-input').inputValue()).toBe('');
    await t.advance(HOP);
    await bob.until('Bob heard Alice', (s) => s.chat.includes('Hi Bob'));
    expect(await bob.page.locator('#chat-list li').allTextContents()).toEqual(['Hi Bob']);
    await bob.page.locator('#chat-input').fill('Hi Alice!');
    await bob.page.locator('#chat-form button[type="submit"]').click();
    await bob.until('Bob sent his message', (s) => s.log.some((l) => l.includes('<DATA="Hi Alice!">')));
    await t.advance(HOP);
    await alice.until('Alice heard Bob', (s) => s.chat.includes('Hi Alice!'));
    expect(await alice.page.locator('#chat-list li').allTextContents()).toEqual(['Hi Bob', 'Hi Alice!']);
    expect(await alice.page.locator('#chat-list li.mine').allTextContents()).toEqual(['Hi Bob']);
    await t.advance(HOP);
    await t.frame();
    await t.screenshot(alice, 'chat');

    // Alice says goodbye (FIN); Bob answers it, then says goodbye too; Alice answers.
    await alice.page.locator('#act-goodbye').click();
    await alice.until('Alice in FIN_WAIT_1', (s) => s.states?.a === 'FIN_WAIT_1');
    await t.advance(HOP);
    await bob.until('the FIN waiting for Bob', (s) => s.pending === 1);
    expect(await bob.page.locator('#pending').textContent()).toBe('Answer this: <SEQ=8><ACK=13><CTL=FIN,ACK>');
    await bob.choose('<SEQ=13><ACK=9><CTL=ACK>');
    await bob.until('Bob in CLOSE_WAIT', (s) => s.states?.b === 'CLOSE_WAIT' && s.pending === 0);
    // Alice has said goodbye and can send no more; Bob, who has not, still can.
    expect(await alice.page.locator('#chat-input').isDisabled()).toBe(true);
    expect(await alice.page.locator('#chat-note').textContent()).toBe('You said goodbye (FIN), so you can’t send more messages on this call.');
    expect(await bob.page.locator('#chat-input').isEnabled()).toBe(true);
    expect(await bob.page.locator('#chat-note').textContent()).toBe('');
    expect(await bob.page.locator('#act-goodbye').isEnabled()).toBe(true);
    await bob.page.locator('#act-goodbye').click();
    await bob.until('Bob in LAST_ACK', (s) => s.states?.b === 'LAST_ACK');
    await t.advance(HOP);
    await alice.until('Bob’s FIN waiting for Alice', (s) => s.states?.a === 'FIN_WAIT_2' && s.pending === 1);
    await alice.choose('<SEQ=9><ACK=14><CTL=ACK>');
    const waiting = await alice.until('Alice in TIME_WAIT', (s) => s.states?.a === 'TIME_WAIT');
    const timeWaitEnds = waiting.timers?.a.timeWait;
    expect(timeWaitEnds).toBe(t.callTime() + 10_000);
    await t.frame();
    expect((await alice.snapshot()).scene?.rings).toBeGreaterThanOrEqual(1);
    await t.screenshot(alice, 'time-wait');
    await t.advance(HOP);
    await bob.until('Bob CLOSED', (s) => s.states?.b === 'CLOSED');
    expect((await alice.snapshot()).summary).toBeNull();

    // TIME_WAIT runs out: the call is over, and after the last envelope lands, the end screen.
    await t.advanceTo(timeWaitEnds!);
    for (const p of [alice, bob]) await p.until('the call summary', (s) => s.summary !== null);
    await t.advance(1_500);
    for (const [p, score] of [
      // handshake 100 + polite 100 + 2 right moves 40 + 1 right the first time 10 + 2 quick answers 20 − 1 wrong 10 + 1 message 10
      [alice, 270],
      // handshake 100 + polite 100 + 2 right moves 40 + 2 right the first time 20 + 2 quick answers 20 + 1 message 10
      [bob, 290],
    ] as const) {
      const end = await p.until('the end screen', (s) => s.screen === 'end');
      expect(end.outcome).toBe('polite');
      expect(await p.page.locator('#end').isVisible()).toBe(true);
      expect(await p.page.locator('#call').isHidden()).toBe(true);
      expect(await p.page.locator('#end-outcome').textContent()).toBe('A polite goodbye. Well done!');
      const figures = await p.page.locator('#end-figures > div').evaluateAll((rows) => rows.map((r) => [r.querySelector('dt')?.textContent, r.querySelector('dd')?.textContent]));
      expect(figures).toContainEqual(['Score', String(score)]);
      expect(figures).toContainEqual(['Handshake time', '1.8 s']);
      expect(figures).toContainEqual(['Wrong segments', p === alice ? '1' : '0']);
      const ladder = p.page.locator('#end-ladder');
      expect(await ladder.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
      expect(await ladder.evaluate((img: PageElement) => img.complete === true && (img.naturalWidth ?? 0) > 0)).toBe(true);
      expect(await p.focused()).toBe('button#play-again');
      await t.screenshot(p, 'end');
    }

    expect(await t.errors()).toEqual([]);
  });

  it('a lossy line loses the first SYN: the countdown runs out, it is sent again, and the handshake completes', async () => {
    const seed = seedLosingTheFirstSyn('bad');
    const t = await suite.open('lossy-line', { random: new SeededRandom('lossy', [seed]) });
    const alice = await t.join('Alice', { name: 'Alice' });
    const bob = await t.join('Bob', { name: 'Bob' });
    await quickMatch(t, alice, bob, 'bad');
    const hop = slowestHop('bad');

    await alice.page.locator('#act-ask').click();
    const asked = await alice.until('Alice in SYN_SENT', (s) => s.states?.a === 'SYN_SENT' && s.tracks === 1);
    const askedAt = t.callTime();
    expect(asked.timers?.a.reply).toBe(askedAt + 5_000);
    const syn = /You sent (<SEQ=\d+><CTL=SYN>)/.exec(asked.log.join('\n'))?.[1];
    expect(syn).toBeDefined();
    await t.frame();
    const counting = await alice.snapshot();
    expect(counting.scene?.rings).toBeGreaterThanOrEqual(1);
    expect(counting.scene?.envelopes).toBe(1);

    // Half-way along the line the envelope is lost, and falls.
    await t.advance(hop);
    await alice.until('the loss told in the log', (s, seg) => s.log.includes(`The segment ${seg} was lost on the line.`), syn);
    await t.frame();
    const lost = await alice.snapshot();
    expect(lost.scene).toMatchObject({ lostFalling: 1, envelopes: 0, rings: 1 });
    await t.screenshot(alice, 'syn-lost');
    expect((await bob.snapshot()).pending).toBe(0);

    // Nobody clicks: at 5 s the reply timer sends the SYN again by itself.
    await t.advanceTo(askedAt + 5_000);
    const again = await alice.until('the SYN sent again', (s) => s.retransmissions >= 1);
    expect(again.retries?.a).toBe(1);
    expect(again.retransmissions).toBe(1);
    expect(again.log).toContain(`You sent ${syn} again (try 1).`);
    expect(again.timers?.a.reply).toBeGreaterThan(askedAt + 5_000);
    await t.frame();
    const redrawn = await alice.snapshot();
    // On the canvas: the new envelope on the line, the ring restarted, both tries on the ladder.
    expect(redrawn.scene).toMatchObject({ envelopes: 1, rings: 1, ladderArrows: 2 });
    await t.screenshot(alice, 'syn-sent-again');
    const bobSaw = await bob.snapshot();
    expect(bobSaw.retries?.a).toBe(1);
    expect(bobSaw.log).toContain(`Alice sent ${syn} again (try 1).`);

    // It arrives; both let TCP answer for them.
    await t.advance(hop);
    await bob.until('the SYN waiting for Bob', (s) => s.pending === 1);
    await bob.page.locator('#let-tcp').click();
    await bob.until('Bob in SYN_RCVD', (s) => s.states?.b === 'SYN_RCVD');
    await t.advance(hop);
    await alice.until('the SYN+ACK waiting for Alice', (s) => s.pending === 1);
    await alice.page.locator('#let-tcp').click();
    await alice.until('Alice ESTABLISHED', (s) => s.states?.a === 'ESTABLISHED');
    await t.advance(hop);
    await bob.until('Bob ESTABLISHED', (s) => s.states?.b === 'ESTABLISHED');
    await t.frame();
    for (const p of [alice, bob]) {
      const s = await p.snapshot();
      expect(s.scene?.badges).toEqual({ me: 'ESTABLISHED', partner: 'ESTABLISHED' });
      expect(s.retries?.a).toBe(0);
      await t.screenshot(p, 'established');
    }

    expect(await t.errors()).toEqual([]);
  });

  it('back in guided mode, the choices for the pending segment are offered again', async () => {
    const t = await suite.open('guided-again');
    const alice = await t.join('Alice', { name: 'Alice' });
    const bob = await t.join('Bob', { name: 'Bob' });
    await quickMatch(t, alice, bob, 'perfect');
    await alice.page.locator('#act-ask').click();
    await alice.until('Alice in SYN_SENT', (s) => s.states?.a === 'SYN_SENT');
    await t.advance(HOP);
    await bob.until('three choices for Bob', (s) => s.pending === 1 && s.choices.length === 3);
    await bob.page.locator('input[name="mode"][value="expert"]').check();
    expect((await bob.snapshot()).choices).toEqual([]);
    await bob.page.locator('input[name="mode"][value="guided"]').check();
    await t.frame();
    await t.screenshot(bob, 'choices-again');
    expect(await t.errors()).toEqual([]);
    expect((await bob.snapshot()).choices).toHaveLength(3);
  });
});
