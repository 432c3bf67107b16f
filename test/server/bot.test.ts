/** The simple bot partner, driven by a CallRunner on a fake clock. */
import { describe, expect, it } from 'vitest';
import type { CallEvent, Side } from '../../shared/call';
import type { ServerToClientEvents } from '../../shared/wire';
import { BOT_LINES, SimpleBot } from '../../server/bot';
import { CallRunner, type Outbox } from '../../server/runner';
import { FakeClock } from '../support/clock';

function setup() {
  const clock = new FakeClock();
  const events: CallEvent[] = [];
  const outbox: Outbox = {
    toPlayer() {},
    toCall<E extends keyof ServerToClientEvents>(_id: string, event: E, ...args: Parameters<ServerToClientEvents[E]>) {
      if (event === 'call:update') events.push(...(args[0] as unknown as { events: CallEvent[] }).events);
    },
  };
  const runner = new CallRunner({
    id: 'c',
    players: { a: { playerId: 'p', name: 'Ada', bot: false }, b: { playerId: 'bot', name: 'Bot', bot: true } },
    line: 'perfect',
    seed: 1,
    iss: { a: 1, b: 3 },
    clock,
    outbox,
    controllers: { b: new SimpleBot({ clock, lang: 'en', replyDelayMs: 1_000, askAfterMs: 10_000 }) },
  });
  runner.start();
  return { clock, runner, events };
}

const sentBy = (events: CallEvent[], side: Side) => events.filter((e) => e.type === 'segment-sent' && e.from === side);

describe('SimpleBot', () => {
  it('asks "can you hear me?" itself when the player has not asked after 10 s', () => {
    const { clock, runner, events } = setup();
    clock.advance(9_999);
    expect(sentBy(events, 'b')).toHaveLength(0);
    clock.advance(1);
    expect(runner.state.endpoints.b.state).toBe('SYN_SENT');
    expect(sentBy(events, 'b')).toHaveLength(1);
  });

  it('does not ask when the player already did, answers by TCP, chats back and says goodbye after its partner', () => {
    const { clock, runner, events } = setup();
    runner.act('a', 'ask');
    clock.advance(600); // the bot's TCP answers at once
    expect(runner.state.endpoints.b.state).toBe('SYN_RCVD');
    clock.advance(600);
    runner.act('a', 'answer');
    clock.advance(600);
    expect(runner.state.endpoints.b.state).toBe('ESTABLISHED');
    runner.chat('a', 'hello bot');
    clock.advance(600 + 1_000);
    clock.advance(600);
    const heard = events.filter((e) => e.type === 'endpoint' && e.side === 'a' && e.event.type === 'delivered');
    expect(heard.map((e) => (e.type === 'endpoint' && e.event.type === 'delivered' ? e.event.data : ''))).toEqual([BOT_LINES.en[0]]);
    clock.advance(10_000);
    expect(sentBy(events, 'b').filter((e) => e.type === 'segment-sent' && e.segment.syn && !e.segment.ack)).toHaveLength(0);
    runner.act('a', 'goodbye');
    clock.advance(600); // FIN reaches the bot: CLOSE_WAIT
    expect(runner.state.endpoints.b.state).toBe('CLOSE_WAIT');
    clock.advance(1_000); // it thinks, then says goodbye too
    expect(runner.state.endpoints.b.state).toBe('LAST_ACK');
  });
});
