/**
 * The ten lessons: each a preset of the line, the numbers, the timers, the partner's plan
 * and the line's tricks, plus a goal checked from the call's events alone. The player is
 * always side `a`; the partner (a bot, or a friend) is `b`. Intro and debrief texts live in
 * the client's locale files, keyed by level id.
 */
import type { BacklogSetup, CallEvent, Rig, Side } from '../call';
import type { LinePresetName } from '../net';
import type { ProtocolConfig, State } from '../protocol';

export const LEVEL_IDS = ['hello', 'random', 'bad-line', 'ghost', 'both-open', 'goodbye', 'both-close', 'last-word', 'flood', 'silent'] as const;
export type LevelId = (typeof LEVEL_IDS)[number];

/** What the partner does beyond answering: the part of the lesson a bot plays. */
export interface PartnerPlan {
  /** Who asks first: the player, or the partner (then the player listens). */
  readonly asker: 'player' | 'partner';
  /** The partner asks at the same moment the player does (simultaneous open). */
  readonly askWithPlayer?: boolean;
  /** The partner says goodbye at the same moment the player does (simultaneous close). */
  readonly closeWithPlayer?: boolean;
  /** After the player's goodbye, the partner still says this before its own goodbye. */
  readonly lastWords?: boolean;
  /** The partner vanishes this long after both are connected (the line goes dead). */
  readonly vanishAfterMs?: number;
}

export interface Level {
  readonly id: LevelId;
  readonly number: number;
  readonly line: LinePresetName;
  /** The story's 1 and 3, or random numbers. */
  readonly iss: 'story' | 'random';
  readonly config: Partial<ProtocolConfig>;
  readonly partner: PartnerPlan;
  readonly rigs: readonly Rig[];
  readonly backlog?: BacklogSetup;
  /** An old duplicate SYN reaches the partner soon after the player's first SYN leaves. */
  readonly ghost?: { readonly afterMs: number };
  /** Fake callers' SYNs reach the player at these call times (the flood). */
  readonly fakeCallers?: readonly number[];
}

export const LEVELS: readonly Level[] = [
  { id: 'hello', number: 1, line: 'perfect', iss: 'story', config: {}, partner: { asker: 'player' }, rigs: [] },
  { id: 'random', number: 2, line: 'good', iss: 'random', config: {}, partner: { asker: 'player' }, rigs: [] },
  {
    id: 'bad-line',
    number: 3,
    line: 'good',
    iss: 'random',
    config: { retryWaitMs: 10_000 },
    partner: { asker: 'player' },
    rigs: [{ from: 'a', match: 'first-syn', action: 'lose' }],
  },
  {
    id: 'ghost',
    number: 4,
    line: 'perfect',
    iss: 'random',
    config: {},
    partner: { asker: 'player' },
    rigs: [{ from: 'a', match: 'first-syn', action: { delayMs: 2_400 } }],
    ghost: { afterMs: 300 },
  },
  { id: 'both-open', number: 5, line: 'perfect', iss: 'random', config: {}, partner: { asker: 'player', askWithPlayer: true }, rigs: [] },
  { id: 'goodbye', number: 6, line: 'perfect', iss: 'random', config: {}, partner: { asker: 'player', lastWords: true }, rigs: [] },
  { id: 'both-close', number: 7, line: 'perfect', iss: 'random', config: {}, partner: { asker: 'player', closeWithPlayer: true }, rigs: [] },
  {
    id: 'last-word',
    number: 8,
    line: 'perfect',
    iss: 'random',
    config: { mslMs: 8_000 },
    partner: { asker: 'player' },
    rigs: [{ from: 'a', match: 'last-ack', action: 'lose' }],
  },
  {
    id: 'flood',
    number: 9,
    line: 'perfect',
    iss: 'random',
    config: {},
    partner: { asker: 'partner' },
    rigs: [],
    backlog: { side: 'a', size: 3, halfOpenMs: 7_000 },
    fakeCallers: [300, 600, 900, 1_200],
  },
  {
    id: 'silent',
    number: 10,
    line: 'good',
    iss: 'random',
    config: { keepalive: { idleMs: 8_000, intervalMs: 4_000, probes: 3 } },
    partner: { asker: 'player', vanishAfterMs: 3_000 },
    rigs: [],
  },
];

export function levelById(id: LevelId): Level {
  const level = LEVELS.find((l) => l.id === id);
  if (level === undefined) throw new RangeError(`no level ${id}`);
  return level;
}

/** When the partner asks first (the flood lesson), it asks this long into the call. */
export const PARTNER_ASKS_AT_MS = 2_000;

/** The old duplicate SYN of the ghost lesson: a number far from the player's real one. */
export function ghostSegmentSeq(playerIss: number): number {
  return (playerIss + 0x8000_0000) >>> 0;
}

/** The steps of each lesson's goal, in the order of its checklist. */
export const GOAL_STEPS = {
  hello: ['connect', 'goodbye'],
  random: ['connect', 'goodbye'],
  'bad-line': ['lost', 'resent', 'connect'],
  ghost: ['ghost', 'reset', 'connect'],
  'both-open': ['cross', 'connect'],
  goodbye: ['connect', 'listen-after-goodbye', 'goodbye'],
  'both-close': ['connect', 'closing', 'goodbye'],
  'last-word': ['connect', 'lost', 'answered-again', 'goodbye'],
  flood: ['flooded', 'connect'],
  silent: ['connect', 'probed', 'gone'],
} as const satisfies Record<LevelId, readonly string[]>;

export type GoalStepId = (typeof GOAL_STEPS)[LevelId][number];

export interface GoalResult {
  readonly met: boolean;
  /** The steps of the goal (`GOAL_STEPS` of the lesson), each done or not, for the checklist on screen. */
  readonly steps: readonly { readonly id: GoalStepId; readonly done: boolean }[];
}

/**
 * Has the player (side `a`) done what the lesson asks? Checked from the events alone.
 *
 * @example checkGoal(levelById('hello'), events).met
 */
export function checkGoal(level: Level, events: readonly CallEvent[]): GoalResult {
  const statesOf = (side: Side): State[] =>
    events.flatMap((e) => (e.type === 'endpoint' && e.side === side && e.event.type === 'state' ? [e.event.to] : []));
  const a = statesOf('a');
  const b = statesOf('b');
  const reached = (states: State[], s: State): boolean => states.includes(s);
  const connected = reached(a, 'ESTABLISHED') && reached(b, 'ESTABLISHED');
  const closedNormally = (side: Side): boolean =>
    events.some((e) => e.type === 'endpoint' && e.side === side && e.event.type === 'closed' && e.event.reason === 'normal');
  const polite = closedNormally('a') && closedNormally('b');
  const sentByA = events.filter((e): e is Extract<CallEvent, { type: 'segment-sent' }> => e.type === 'segment-sent' && e.from === 'a');
  const steps: { id: GoalStepId; done: boolean }[] = [];
  const step = (id: GoalStepId, done: boolean): void => {
    steps.push({ id, done });
  };
  switch (level.id) {
    case 'hello':
    case 'random':
      step('connect', connected);
      step('goodbye', polite);
      break;
    case 'bad-line':
      step('lost', events.some((e) => e.type === 'segment-sent' && e.from === 'a' && e.segment.syn && e.copies.length === 0));
      step('resent', sentByA.some((e) => e.segment.syn && e.retransmit));
      step('connect', connected);
      break;
    case 'ghost': {
      const ghost = events.find((e) => e.type === 'segment-injected' && !e.fake);
      const ghostAck = ghost?.type === 'segment-injected' ? (ghost.segment.seq + 1) >>> 0 : null;
      step('ghost', ghost !== undefined);
      step('reset', sentByA.some((e) => e.segment.rst && e.segment.seq === ghostAck));
      step('connect', connected);
      break;
    }
    case 'both-open':
      step('cross', reached(a, 'SYN_RCVD') && reached(b, 'SYN_RCVD'));
      step('connect', connected);
      break;
    case 'goodbye': {
      const heardLate = events.some((e, i) => {
        if (e.type !== 'endpoint' || e.side !== 'a' || e.event.type !== 'delivered') return false;
        const stateBefore = [...events.slice(0, i)].reverse().find((x) => x.type === 'endpoint' && x.side === 'a' && x.event.type === 'state');
        return stateBefore?.type === 'endpoint' && stateBefore.event.type === 'state' && (stateBefore.event.to === 'FIN_WAIT_2' || stateBefore.event.to === 'FIN_WAIT_1');
      });
      step('connect', connected);
      step('listen-after-goodbye', heardLate);
      step('goodbye', polite);
      break;
    }
    case 'both-close':
      step('connect', connected);
      step('closing', reached(a, 'CLOSING'));
      step('goodbye', polite);
      break;
    case 'last-word':
      step('connect', connected);
      step('lost', sentByA.some((e) => e.copies.length === 0 && e.segment.ack && !e.segment.fin && !e.segment.syn && e.segment.data === ''));
      step('answered-again', closedNormally('b') && sentByA.filter((e) => e.segment.ack && !e.segment.fin && !e.segment.syn && !e.segment.rst && e.segment.data === '').length >= 2);
      step('goodbye', polite);
      break;
    case 'flood':
      step('flooded', events.some((e) => e.type === 'backlog-drop'));
      step('connect', connected);
      break;
    case 'silent':
      step('connect', connected);
      step('probed', events.some((e) => e.type === 'endpoint' && e.side === 'a' && e.event.type === 'keepalive-probe'));
      step(
        'gone',
        events.some((e) => e.type === 'endpoint' && e.side === 'a' && e.event.type === 'closed' && e.event.reason === 'keepalive'),
      );
      break;
  }
  return { met: steps.every((s) => s.done), steps };
}
