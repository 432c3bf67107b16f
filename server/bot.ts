/**
 * The bot partner: a player like any other. It hears what the server tells its seat
 * (call:started, call:update, call:ended) and answers with the same requests a browser
 * sends (call:move with the segment TCP would send, call:action, call:chat), which pass
 * the same schema and the same lobby and runner as a person's. Its personality is how
 * quickly and how reliably it answers; in a lesson it also plays the lesson's part
 * (asking at the same moment as you, saying goodbye at the same moment, last words…).
 */
import type { CallEvent, CallView, Side } from '../shared/call';
import { PARTNER_ASKS_AT_MS, type PartnerPlan } from '../shared/game/levels';
import { createRng, nextFloat, type Rng } from '../shared/random';
import type { Lang, Personality, ServerToClientEvents } from '../shared/wire';
import type { Clock, TimerHandle } from './clock';

export const BOT_LINES = {
  en: ['I can hear you!', 'Nice, we are connected.', 'Want to say goodbye properly?'],
  zh: ['我能听到你！', '太好了，我们连上了。', '要好好说再见吗？'],
} as const;

export const LAST_WORDS = {
  en: 'Wait! Before you go: my new number is 555-0199.',
  zh: '等等！走之前：我的新号码是 555-0199。',
} as const;

/** Think time before answering, by personality: [min, max] ms. */
const THINK_MS: Record<Personality, readonly [number, number]> = {
  prompt: [400, 900],
  slow: [2_500, 4_500],
  forgetful: [500, 1_200],
  'terrible-line': [400, 900],
};
/** The forgetful bot loses its train of thought this often, and answers only much later. */
const FORGET_CHANCE = 0.5;
const FORGOTTEN_MS: readonly [number, number] = [6_000, 9_000];
/** In free play, the bot asks first if the player has not after this long. */
export const BOT_ASKS_AFTER_MS = 10_000;

/** A request the bot makes, exactly as a browser would emit it. */
export type BotRequest = (event: string, payload: unknown) => void;

export interface BotOptions {
  readonly clock: Clock;
  readonly lang: Lang;
  readonly personality: Personality;
  /** The lesson's part for the partner, or null in free play. */
  readonly plan: PartnerPlan | null;
  readonly seed: number;
  readonly request: BotRequest;
  /** Scales every think time (tests make the bot quick). */
  readonly speed?: number;
}

type Payload<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

export class BotPlayer {
  private side: Side = 'b';
  private view: CallView | null = null;
  private rng: Rng;
  private readonly timers = new Set<TimerHandle>();
  private answering: number | null = null;
  private said = 0;
  private saidGoodbye = false;
  private sawFirstSyn = false;
  private sawFirstFin = false;
  private stopped = false;

  constructor(private readonly options: BotOptions) {
    this.rng = createRng(options.seed);
  }

  /** Everything the server sends to the bot's seat. */
  receive<E extends keyof ServerToClientEvents>(event: E, payload: Payload<E>): void {
    if (this.stopped) return;
    if (event === 'call:started') this.started(payload as Payload<'call:started'>);
    else if (event === 'call:update') this.update(payload as Payload<'call:update'>);
    else if (event === 'call:ended') this.stop();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) this.options.clock.clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * Play on in a call already under way (rebuilt on another server): what it already did
   * and saw is read from the call's events, not done again; it answers what waits for it.
   */
  resume(started: Payload<'call:started'>): void {
    if (this.stopped) return;
    this.side = started.you;
    this.view = started.view;
    const me = this.side;
    for (const e of started.events) {
      if (e.type !== 'segment-sent' || e.retransmit) continue;
      if (e.from !== me && e.segment.syn && !e.segment.ack) this.sawFirstSyn = true;
      if (e.from !== me && e.segment.fin) this.sawFirstFin = true;
      if (e.from === me && e.segment.fin) this.saidGoodbye = true;
      if (e.from === me && e.segment.data !== '') this.said = Math.min(this.said + 1, BOT_LINES[this.options.lang].length);
    }
    const { a, b } = started.view;
    if (a.state === 'LISTEN' && b.state === 'LISTEN' && this.options.plan?.asker !== 'player') {
      this.later(this.options.plan === null ? BOT_ASKS_AFTER_MS : this.think(), () => {
        if (this.view?.a.state === 'LISTEN' && this.view.b.state === 'LISTEN') this.options.request('call:action', { action: 'ask' });
      });
    }
    if (started.view[me].state === 'CLOSE_WAIT') this.goodbye(this.think());
    this.answerPending();
  }

  private started(started: Payload<'call:started'>): void {
    this.side = started.you;
    this.view = started.view;
    const plan = this.options.plan;
    if (plan?.asker === 'partner') {
      this.later(PARTNER_ASKS_AT_MS, () => this.options.request('call:action', { action: 'ask' }));
    } else if (plan === null) {
      this.later(BOT_ASKS_AFTER_MS, () => {
        if (this.view?.a.state === 'LISTEN' && this.view.b.state === 'LISTEN') this.options.request('call:action', { action: 'ask' });
      });
    }
    this.react(started.events);
    this.answerPending();
  }

  private update(update: Payload<'call:update'>): void {
    this.view = update.view;
    this.react(update.events);
    this.answerPending();
  }

  private react(events: readonly CallEvent[]): void {
    const plan = this.options.plan;
    const me = this.side;
    for (const e of events) {
      if (e.type === 'segment-sent' && e.from !== me && e.segment.syn && !e.segment.ack && !e.retransmit && !this.sawFirstSyn) {
        this.sawFirstSyn = true;
        // "Both at once": ask at the very moment the partner does.
        if (plan?.askWithPlayer === true) this.later(0, () => this.options.request('call:action', { action: 'ask' }));
      }
      if (e.type === 'segment-sent' && e.from !== me && e.segment.fin && !e.retransmit && !this.sawFirstFin) {
        this.sawFirstFin = true;
        // "Both hang up": say goodbye at the very moment the partner does.
        if (plan?.closeWithPlayer === true) this.goodbye(0);
      }
      if (e.type !== 'endpoint' || e.side !== me) continue;
      if (e.event.type === 'delivered') this.later(this.think(), () => this.talk());
      if (e.event.type === 'state' && e.event.to === 'CLOSE_WAIT') {
        if (plan?.lastWords === true) {
          this.later(this.think(), () => this.options.request('call:chat', { text: LAST_WORDS[this.options.lang] }));
          this.goodbye(this.think() + 1_500);
        } else {
          this.goodbye(this.think());
        }
      }
    }
  }

  /** Answer the oldest segment waiting for this seat, with the segment TCP would send. */
  private answerPending(): void {
    const head = this.view?.[this.side].pending[0];
    if (head === undefined || this.answering === head.id) return;
    this.answering = head.id;
    let delay = this.think();
    if (this.options.personality === 'forgetful' && this.random() < FORGET_CHANCE) delay = this.between(FORGOTTEN_MS) * (this.options.speed ?? 1);
    this.later(delay, () => {
      const view = this.view?.[this.side];
      if (view?.pending[0]?.id !== head.id) return;
      if (view.hint !== null) this.options.request('call:move', { segment: view.hint });
      else this.options.request('call:action', { action: 'answer' });
    });
  }

  private goodbye(afterMs: number): void {
    if (this.saidGoodbye) return;
    this.saidGoodbye = true;
    this.later(afterMs, () => this.options.request('call:action', { action: 'goodbye' }));
  }

  private talk(): void {
    const line = BOT_LINES[this.options.lang][this.said];
    const state = this.view?.[this.side].state;
    if (line === undefined || (state !== 'ESTABLISHED' && state !== 'CLOSE_WAIT') || this.saidGoodbye) return;
    this.said++;
    this.options.request('call:chat', { text: line });
  }

  private think(): number {
    return this.between(THINK_MS[this.options.personality]) * (this.options.speed ?? 1);
  }

  private between([min, max]: readonly [number, number]): number {
    return Math.round(min + (max - min) * this.random());
  }

  private random(): number {
    const [value, next] = nextFloat(this.rng);
    this.rng = next;
    return value;
  }

  /** Every action happens later (never inside the call's own step), on the server's clock. */
  private later(delayMs: number, fn: () => void): void {
    const timer = this.options.clock.setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) fn();
    }, delayMs);
    this.timers.add(timer);
  }
}
