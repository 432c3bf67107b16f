/**
 * A simple bot partner: its TCP answers by itself (the runner plays its side
 * automatically); on top, it asks first if the player does not within 10 s, chats back a
 * little, and says goodbye when its partner does.
 * Its delays go through the runner's clock, like everything else.
 */
import type { CallEvent, Side } from '../shared/call';
import type { Clock, TimerHandle } from './clock';
import type { CallRunner, SideController } from './runner';

export const BOT_LINES = {
  en: ['I can hear you!', 'Nice, we are connected.', 'Want to say goodbye properly?'],
  zh: ['我能听到你！', '太好了，我们连上了。', '要好好说再见吗？'],
} as const;

export interface BotOptions {
  readonly clock: Clock;
  readonly lang: keyof typeof BOT_LINES;
  /** How long the bot "thinks" before it talks or says goodbye. */
  readonly replyDelayMs?: number;
  /** How long the bot waits for the player to ask before it asks itself. */
  readonly askAfterMs?: number;
}

export class SimpleBot implements SideController {
  private readonly timers = new Set<TimerHandle>();
  private said = 0;
  private started = false;
  private saidGoodbye = false;

  constructor(private readonly options: BotOptions) {}

  observe(runner: CallRunner, side: Side, events: readonly CallEvent[]): void {
    if (!this.started) {
      // If the player does not ask, after a while the bot asks: "can you hear me?"
      this.started = true;
      this.later(() => {
        const { a, b } = runner.state.endpoints;
        if (a.state === 'LISTEN' && b.state === 'LISTEN') runner.act(side, 'ask');
      }, this.options.askAfterMs ?? 10_000);
    }
    for (const e of events) {
      if (e.type !== 'endpoint' || e.side !== side) continue;
      if (e.event.type === 'delivered') this.later(() => this.talk(runner, side));
      if (e.event.type === 'state' && e.event.to === 'CLOSE_WAIT' && !this.saidGoodbye) {
        this.saidGoodbye = true;
        this.later(() => runner.act(side, 'goodbye'));
      }
    }
  }

  stop(): void {
    for (const timer of this.timers) this.options.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private talk(runner: CallRunner, side: Side): void {
    const lines = BOT_LINES[this.options.lang];
    const line = lines[this.said];
    if (line === undefined) return;
    const state = runner.state.endpoints[side].state;
    if (state !== 'ESTABLISHED' && state !== 'CLOSE_WAIT') return;
    this.said++;
    runner.chat(side, line);
  }

  private later(fn: () => void, delayMs = this.options.replyDelayMs ?? 1_200): void {
    const timer = this.options.clock.setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, delayMs);
    this.timers.add(timer);
  }
}
