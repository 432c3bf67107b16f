/**
 * A player whose connection drops while the partner ends the call: when the page gets
 * its connection back (socket.io reconnects by itself and says hello with the seat's
 * token), it is told how the call ended and shows the end screen, as the partner's does,
 * instead of staying on a call that is over. Real Chromium against the real server.
 */
import { describe, expect, it } from 'vitest';
import { browserTests, quickMatch } from '../support/browser';

const suite = browserTests();

describe('away when the call ended', () => {
  it('the page that comes back shows the end of the call', async () => {
    const t = await suite.open('away');
    const alice = await t.join('Alice', { name: 'Alice' });
    const bob = await t.join('Bob', { name: 'Bob' });
    await quickMatch(t, alice, bob, 'perfect');

    // Bob's connection drops (the server closes its transport, as a lost network would).
    // Bob's page connected second.
    const sockets = [...t.srv.server.io.sockets.sockets.values()];
    expect(sockets).toHaveLength(2);
    sockets[1]!.conn.close();
    await alice.page.locator('#log').filter({ hasText: 'Bob lost the connection.' }).waitFor();

    // Alice hangs up meanwhile (nobody has asked yet, so nothing goes on the line): the call
    // is over, and her page shows its end screen once the last envelope would have landed.
    await alice.page.locator('#act-hangup').click();
    await alice.until('Alice CLOSED', (s) => s.states?.a === 'CLOSED');
    await t.advance(1_600);
    await alice.until('the end screen', (s) => s.screen === 'end');
    expect(await alice.page.locator('#end-outcome').textContent()).toBe('You hung up without saying goodbye.');
    expect((await bob.snapshot()).screen).toBe('call');

    // Bob's page reconnects by itself (its retry timer runs on the page clock), says hello
    // with its token, is told how the call ended, and shows the end screen too.
    await t.advance(6_000);
    await bob.until('the end screen', (s) => s.screen === 'end');
    expect(await bob.page.locator('#end-outcome').textContent()).toBe('Alice hung up without saying goodbye.');
    await t.screenshot(bob, 'end-after-coming-back');
    // Back to the lobby from there, with no error.
    await bob.page.locator('#play-again').click();
    await bob.until('the lobby', (s) => s.screen === 'lobby');
    expect(await t.errors()).toEqual([]);
  });
});
