/**
 * Whole calls through the real server on port 0 with real socket.io clients. The server
 * runs on a fake clock: the tests move time and wait only for messages.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSegment } from '../../shared/protocol';
import type { CallEvent } from '../../shared/call';
import { pairUp, startServer, updateWith, type TestServer } from '../support/server';

let srv: TestServer;
beforeEach(async () => {
  srv = await startServer();
});
afterEach(async () => {
  await srv.close();
});

const seg = (text: string) => parseSegment(text);
const sent = (from: 'a' | 'b', text: string) => (e: CallEvent) =>
  e.type === 'segment-sent' && e.from === from && e.segment.seq === seg(text).seq && e.segment.syn === seg(text).syn && e.segment.fin === seg(text).fin && e.segment.ack === seg(text).ack;
const pendingAt = (side: 'a' | 'b') => (e: CallEvent) => e.type === 'pending' && e.side === side;
const stateOf = (side: 'a' | 'b', to: string) => (e: CallEvent) => e.type === 'endpoint' && e.side === side && e.event.type === 'state' && e.event.to === to;

describe('a clean call on a perfect line', () => {
  it('goes from "1+1 = ?" to a polite goodbye, built by hand on both sides', async () => {
    const { alice, bob } = await pairUp(srv, 'perfect');
    const started = alice.all('call:started')[0]!;
    expect(started.you).toBe('a');
    expect(started.players.b.name).toBe('Bob');
    expect(started.view.a.state).toBe('LISTEN');

    alice.send('call:move', { segment: seg('<SEQ=1><CTL=SYN>') });
    await updateWith(alice, sent('a', '<SEQ=1><CTL=SYN>'));
    srv.clock.advance(600);
    await updateWith(bob, pendingAt('b'));

    bob.send('call:move', { segment: seg('<SEQ=3><ACK=2><CTL=SYN,ACK>') });
    await updateWith(bob, (e) => e.type === 'move-judged' && e.ok);
    srv.clock.advance(600);
    await updateWith(alice, pendingAt('a'));

    alice.send('call:move', { segment: seg('<SEQ=2><ACK=4><CTL=ACK>') });
    await updateWith(alice, stateOf('a', 'ESTABLISHED'));
    srv.clock.advance(600);
    await updateWith(bob, stateOf('b', 'ESTABLISHED'));

    alice.send('call:chat', { text: 'can you hear me?' });
    srv.clock.advance(0);
    await updateWith(alice, sent('a', '<SEQ=2><ACK=4><CTL=ACK>'));
    srv.clock.advance(600);
    const heard = await updateWith(bob, (e) => e.type === 'endpoint' && e.event.type === 'delivered');
    expect(heard.events.some((e) => e.type === 'endpoint' && e.event.type === 'delivered' && e.event.data === 'can you hear me?')).toBe(true);
    srv.clock.advance(600);
    await updateWith(alice, (e) => e.type === 'endpoint' && e.side === 'a' && e.event.type === 'acked');

    // "can you hear me?" is 16 bytes: A's goodbye takes seq 2 + 16 = 18.
    alice.send('call:move', { segment: seg('<SEQ=18><ACK=4><CTL=FIN,ACK>') });
    await updateWith(alice, stateOf('a', 'FIN_WAIT_1'));
    srv.clock.advance(600);
    await updateWith(bob, pendingAt('b'));
    bob.send('call:move', { segment: seg('<SEQ=4><ACK=19><CTL=ACK>') });
    await updateWith(bob, stateOf('b', 'CLOSE_WAIT'));
    bob.send('call:move', { segment: seg('<SEQ=4><ACK=19><CTL=FIN,ACK>') });
    await updateWith(bob, stateOf('b', 'LAST_ACK'));
    srv.clock.advance(600);
    await updateWith(alice, pendingAt('a'));
    alice.send('call:move', { segment: seg('<SEQ=19><ACK=5><CTL=ACK>') });
    await updateWith(alice, stateOf('a', 'TIME_WAIT'));
    srv.clock.advance(600);
    await updateWith(bob, stateOf('b', 'CLOSED'));
    srv.clock.advance(10_000);
    const ended = await alice.next('call:ended');
    expect(ended.summary.outcome).toBe('polite');
    expect(ended.summary.handshakeMs).toBe(1_800);
    expect(ended.summary.sides.a.wrongMoves).toBe(0);
    expect(ended.summary.sides.a.correctMoves).toBe(4);
    expect((await bob.next('call:ended')).summary.outcome).toBe('polite');
    alice.close();
    bob.close();
  });
});
