/**
 * Sound in real Chromium: nothing before the player's first click, then a ring when the
 * call starts, a whoosh per segment, a chime for a right move, a jingle when connected;
 * the mute button silences it and is remembered across a reload.
 */
import { describe, expect, it } from 'vitest';
import { browserTests, waitForCall, type Player } from '../support/browser';

const suite = browserTests();

function sounds(p: Player): Promise<string[]> {
  return p.page.evaluate(() => (globalThis as unknown as { __game: { sounds(): string[] } }).__game.sounds());
}

describe('sound', () => {
  it('starts with the first click, follows the call, and the mute button is remembered', async () => {
    const t = await suite.open('sound');
    const alice = await t.join('Alice', { name: 'Alice' });
    expect(await sounds(alice)).toEqual([]);
    expect(await alice.page.locator('#mute').getAttribute('aria-pressed')).toBe('false');

    await alice.page.locator('#line').selectOption('perfect');
    await alice.press('#practice');
    await waitForCall(t, alice);
    expect(await sounds(alice)).toEqual(['ring']);
    await alice.press('#act-ask');
    await alice.until('the SYN sent', (s) => s.tracks === 1);
    // The SYN lands, the bot thinks (at most 0.9 s), its SYN+ACK lands.
    await t.advance(600 + 900 + 600 + 100);
    await alice.choose('<SEQ=2><ACK=4><CTL=ACK>');
    await alice.until('Alice ESTABLISHED', (s) => s.states?.a === 'ESTABLISHED');
    // Her right ACK: judged (chime), she is connected (jingle), and it leaves (whoosh).
    expect(await sounds(alice)).toEqual(['ring', 'whoosh', 'whoosh', 'chime', 'jingle', 'whoosh']);

    // Muted: nothing more, and still muted after a reload.
    await alice.press('#mute');
    expect(await alice.page.locator('#mute').getAttribute('aria-pressed')).toBe('true');
    await alice.page.reload();
    await alice.until('the call again', (s) => s.screen === 'call' && s.states?.a === 'ESTABLISHED');
    expect(await alice.page.locator('#mute').getAttribute('aria-pressed')).toBe('true');
    await alice.press('#chat-input');
    await alice.page.locator('#chat-input').fill('quiet please');
    await alice.page.locator('#chat-input').press('Enter');
    await alice.until('the message sent', (s) => s.log.some((l) => l.includes('<DATA="quiet please">')));
    expect(await sounds(alice)).toEqual([]);
    // Unmuted: sound again (the message is sent again when no answer comes in 5 s).
    await alice.press('#mute');
    expect(await alice.page.locator('#mute').getAttribute('aria-pressed')).toBe('false');
    await t.advance(5_500);
    await alice.until('the message sent again', (s) => s.retransmissions >= 1);
    expect(await sounds(alice)).toContain('whoosh');
    expect(await t.errors()).toEqual([]);
  });
});
