/**
 * The authoritative call runner: one per call. It holds the pure call value (both
 * endpoints, the line, segments in flight), feeds it the players' moves and the clock,
 * and tells both players what happened. It owns one wake-up timer per call, set from
 * `nextCallDeadline` (or the call's time limit, if sooner), so timeouts, retries, the
 * retry wait and TIME_WAIT run even if nobody clicks. It never holds a socket: it speaks
 * to players and calls by id through the Outbox, which the socket layer maps to
 * socket.io rooms.
 *
 * It keeps what it needs and no more: the record (setup and inputs), the figures of the
 * call as they happen (a CallTally), and, in a lesson, every event (the goal is checked
 * from them). A player who comes back gets every event so far from the record, replayed.
 *
 * With a `journal` (several servers, server/journal.ts), it also writes down, as it goes,
 * every input it fed the call and every fact of its own (who hung up, a trick played, a
 * seat dropped or back, the line changed, the end): `CallRunner.restore` rebuilds the very
 * same runner from them on another server, and carries on.
 */
import { callStep, callView, createCall, FOREVER_MS, nextCallDeadline, RECORD_VERSION, replay, SIDES } from '../shared/call';
import type { Call, CallEvent, CallInput, CallRecord, CallSetup, CallStepResult, CallView, Side } from '../shared/call';
import { checkGoal, ghostSegmentSeq } from '../shared/game/levels';
import type { GoalResult, Level } from '../shared/game/levels';
import { CallTally } from '../shared/game/summary';
import type { CallSummary, Outcome } from '../shared/game/summary';
import type { Step } from '../shared/game/steps';
import { LINE_PRESETS } from '../shared/net';
import type { Freeze, LineConditions } from '../shared/net';
import { makeSegment } from '../shared/protocol';
import type { ProtocolConfig, Segment } from '../shared/protocol';
import type { CallAction, CallEnded, CallStarted, CallUpdate, ErrorCode, LineName, PartnerStatus, Personality, ServerPayload, ServerToClientEvents } from '../shared/wire';
import type { Clock, TimerHandle } from './clock';

export interface RunnerPlayer {
  readonly playerId: string;
  readonly name: string;
  readonly bot: boolean;
}

/** How the runner reaches players: by id, never by socket. */
export interface Outbox {
  toPlayer<E extends keyof ServerToClientEvents>(playerId: string, event: E, payload: ServerPayload<E>): void;
  toCall<E extends keyof ServerToClientEvents>(callId: string, event: E, payload: ServerPayload<E>): void;
}

export interface RunnerOptions {
  readonly id: string;
  /** The private call code it was started from, if any. */
  readonly code?: string | null;
  readonly players: { readonly a: RunnerPlayer; readonly b: RunnerPlayer };
  readonly line: LineName;
  /** The line as it really is, when not exactly the named preset (a bot on a terrible line). */
  readonly conditions?: LineConditions;
  readonly seed: number;
  readonly iss: { readonly a: number; readonly b: number };
  readonly config?: Partial<ProtocolConfig>;
  /** The lesson: its tricks (lost or late segments, an old duplicate, fake callers, a vanishing partner) and its goal. */
  readonly level?: Level | null;
  readonly personality?: Personality | null;
  /** Teaching mode: no speed points. */
  readonly teaching?: boolean;
  /** The workshop round this call belongs to, if any. */
  readonly tag?: { readonly workshopId: string; readonly round: number } | null;
  readonly clock: Clock;
  readonly outbox: Outbox;
  /** A call still going after this long ends as `expired`. */
  readonly maxCallMs?: number;
  readonly onEnd?: (runner: CallRunner, summary: CallSummary) => void;
  /** Told of every entry as it happens (see JournalEntry): enough to rebuild the runner elsewhere. */
  readonly journal?: (entry: JournalEntry) => void;
  /** When the call started, on `clock` (a call rebuilt on another server started before it got here). */
  readonly startedAt?: number;
}

/**
 * What a runner writes down as it goes: an input it fed the call (`m`), or a fact of its
 * own that the call value does not hold (`f`). The inputs are the record's moves.
 */
export type JournalEntry =
  | { readonly m: { readonly at: number; readonly input: CallInput } }
  | { readonly f: 'hung-up'; readonly side: Side }
  | { readonly f: 'trick'; readonly trick: 'ghost' | 'vanish' }
  | { readonly f: 'line'; readonly line: LineName }
  | { readonly f: 'dropped'; readonly side: Side; readonly at: number; readonly graceMs: number }
  | { readonly f: 'back'; readonly side: Side }
  | { readonly f: 'seat'; readonly side: Side; readonly player: RunnerPlayer }
  | { readonly f: 'shown'; readonly on: boolean }
  | { readonly f: 'end'; readonly outcome: Outcome; readonly by: Side | null; readonly callMs: number };

/** The protocol settings of a call unless a lesson says otherwise: short waits for a game. */
export const CALL_CONFIG: Partial<ProtocolConfig> = Object.freeze({ mslMs: 5_000, retryWaitMs: 15_000 });
export const MAX_CALL_MS = 30 * 60_000;

/** No side away: the value every call starts with (frozen: a side that drops gets the call a record of its own). */
const NOBODY: Partial<Record<Side, never>> = Object.freeze({});

/** The input that only lets time pass: one shared value, since the record keeps many. */
const TICK: CallInput = Object.freeze({ kind: 'tick' });

/** The inputs that carry nothing of their own, one shared value each: a call keeps every input it was fed. */
const plain = (side: Side) =>
  Object.freeze({
    listen: Object.freeze({ kind: 'user', side, input: Object.freeze({ kind: 'listen' }) }),
    open: Object.freeze({ kind: 'user', side, input: Object.freeze({ kind: 'open' }) }),
    close: Object.freeze({ kind: 'user', side, input: Object.freeze({ kind: 'close' }) }),
    abort: Object.freeze({ kind: 'user', side, input: Object.freeze({ kind: 'abort' }) }),
    answer: Object.freeze({ kind: 'answer', side }),
  } satisfies Record<string, CallInput>);
const PLAIN = { a: plain('a'), b: plain('b') } as const;

/** What a player's request did: the update it led to (sent to both players), or a code saying why nothing changed. */
export type RunnerResult = { readonly ok: true; readonly update: CallUpdate } | { readonly ok: false; readonly code: ErrorCode };

export class CallRunner {
  readonly id: string;
  readonly code: string | null;
  private seats: { readonly a: RunnerPlayer; readonly b: RunnerPlayer };
  readonly line: LineName;
  readonly level: Level | null;
  readonly personality: Personality | null;
  readonly teaching: boolean;
  readonly tag: { readonly workshopId: string; readonly round: number } | null;
  private readonly setup: CallSetup;
  private lineNow: LineName;
  /** Lesson tricks already played (each plays once). */
  private readonly played: ('ghost' | 'vanish')[] = [];
  private call: Call;
  private readonly clock: Clock;
  private readonly outbox: Outbox;
  private readonly startedAt: number;
  private baseConditions: LineConditions;
  private freezes: Freeze[] = [];
  /** Sides away (seat kept) and the timers that give their seats up: shared empty ones until someone drops. */
  private droppedAt: Partial<Record<Side, { readonly at: number; readonly graceMs: number }>> = NOBODY;
  private graceTimers: Partial<Record<Side, TimerHandle>> = NOBODY;
  private wakeTimer: TimerHandle | null = null;
  /** The call time `wakeTimer` is set for. */
  private wakeAt = 0;
  /** Call time at which a call still going ends as `expired`. */
  private readonly expiresAt: number;
  /** Every event so far, kept only in a lesson (its goal is checked from them). */
  private readonly log: CallEvent[] | null;
  private readonly tally: CallTally;
  /** Events of the current step, not yet sent to the players. */
  private pendingEvents: CallEvent[] = [];
  /**
   * Every input with its call time, flat: time, input, time, input… (one array, no object
   * per move). With the seed, enough to replay the call exactly.
   */
  private readonly fedSoFar: (number | CallInput)[] = [];
  private hungUpBy: Side | null = null;
  private shownNow = false;
  private summary: CallSummary | null = null;
  /** The last view made, and the call it showed (one holder, filled in again at every view). */
  private viewed: { call: Call; view: CallView } | null = null;
  private readonly onEnd: RunnerOptions['onEnd'];
  private journal: ((entry: JournalEntry) => void) | null;
  /** Handed to another server: silent from now on, its timers stopped. */
  private released = false;

  constructor(options: RunnerOptions) {
    this.id = options.id;
    this.code = options.code ?? null;
    this.seats = options.players;
    this.line = options.line;
    this.level = options.level ?? null;
    this.personality = options.personality ?? null;
    this.teaching = options.teaching ?? false;
    this.tag = options.tag ?? null;
    this.lineNow = options.line;
    this.clock = options.clock;
    this.outbox = options.outbox;
    this.onEnd = options.onEnd;
    this.journal = options.journal ?? null;
    this.baseConditions = options.conditions ?? LINE_PRESETS[options.line];
    this.startedAt = options.startedAt ?? this.clock.now();
    const level = this.level;
    // Every side is played by hand: by a person, or by a bot through the same requests.
    this.setup = {
      conditions: this.baseConditions,
      seed: options.seed,
      iss: options.iss,
      // The shared settings unless a lesson or the caller changes them (calls then share one copy).
      config: level?.config === undefined && options.config === undefined ? CALL_CONFIG : { ...CALL_CONFIG, ...level?.config, ...options.config },
      manual: { a: true, b: true },
      ...(level === null || level.rigs.length === 0 ? {} : { rigs: level.rigs }),
      ...(level?.backlog === undefined ? {} : { backlog: level.backlog }),
    };
    this.call = createCall(this.setup);
    this.log = level === null ? null : [];
    this.tally = new CallTally({ speedPoints: !this.teaching });
    this.expiresAt = options.maxCallMs ?? MAX_CALL_MS;
  }

  /**
   * The runner a journal describes, rebuilt (on another server): the call replayed from its
   * inputs, the runner's own facts applied in order, its timers armed again from the call's
   * deadlines. A deadline that passed while no server held the call fires at once. Nothing
   * is sent and nothing is written down while rebuilding.
   */
  static restore(options: RunnerOptions, entries: readonly JournalEntry[]): CallRunner {
    const { journal, ...rest } = options;
    const runner = new CallRunner(rest);
    let end: Extract<JournalEntry, { f: 'end' }> | null = null;
    for (const entry of entries) {
      if ('m' in entry) runner.replayMove(entry.m);
      else if (entry.f === 'end') end = entry;
      else runner.replayFact(entry);
    }
    runner.journal = journal ?? null;
    if (end !== null) {
      // It ended just before its server went: it ends again here, with the same figures.
      runner.finish(end.outcome, end.by, end.callMs);
      return runner;
    }
    for (const side of SIDES) {
      const dropped = runner.droppedAt[side];
      if (dropped !== undefined) runner.armGrace(side, dropped.at + dropped.graceMs - runner.time);
    }
    runner.schedule();
    return runner;
  }

  private replayMove(move: { readonly at: number; readonly input: CallInput }): void {
    this.fedSoFar.push(move.at, move.input);
    this.absorb(callStep(this.call, move.input, move.at), null);
    this.log?.push(...this.pendingEvents);
    this.pendingEvents.length = 0;
    if (move.input.kind === 'weather') {
      // The runner's weather is its line with its freezes (presets have none of their own).
      this.baseConditions = { ...move.input.conditions, freezes: [] };
      this.freezes = [...move.input.conditions.freezes];
    }
  }

  private replayFact(entry: Exclude<JournalEntry, { m: unknown } | { f: 'end' }>): void {
    switch (entry.f) {
      case 'hung-up':
        this.hungUpBy ??= entry.side;
        return;
      case 'trick':
        if (!this.played.includes(entry.trick)) this.played.push(entry.trick);
        return;
      case 'line':
        this.lineNow = entry.line;
        return;
      case 'dropped':
        this.markDropped(entry.side, { at: entry.at, graceMs: entry.graceMs });
        return;
      case 'back':
        delete this.droppedAt[entry.side];
        return;
      case 'seat':
        this.seats = { ...this.seats, [entry.side]: entry.player };
        delete this.droppedAt[entry.side];
        return;
      case 'shown':
        this.shownNow = entry.on;
    }
  }

  /**
   * Handed over to another server, which rebuilds it from the journal: from now on this one
   * is silent (no message, no entry) and its timers are stopped. The call goes on there.
   */
  release(): void {
    this.released = true;
    if (this.wakeTimer !== null) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    for (const side of SIDES) {
      const timer = this.graceTimers[side];
      if (timer !== undefined) this.clock.clearTimeout(timer);
      delete this.graceTimers[side];
    }
  }

  /** Entries that rebuild this runner as it is now (written again after Redis lost them). */
  entries(): JournalEntry[] {
    const entries: JournalEntry[] = this.moves().map((m) => ({ m }));
    for (const side of SIDES) entries.push({ f: 'seat', side, player: this.seats[side] });
    for (const side of SIDES) {
      const dropped = this.droppedAt[side];
      if (dropped !== undefined) entries.push({ f: 'dropped', side, ...dropped });
    }
    if (this.hungUpBy !== null) entries.push({ f: 'hung-up', side: this.hungUpBy });
    for (const trick of this.played) entries.push({ f: 'trick', trick });
    if (this.lineNow !== this.line) entries.push({ f: 'line', line: this.lineNow });
    if (this.shownNow) entries.push({ f: 'shown', on: true });
    return entries;
  }

  /** Is a side's player away (their seat kept for a while)? */
  isDropped(side: Side): boolean {
    return this.droppedAt[side] !== undefined;
  }

  /** Shown on a workshop's big screen (the host spectates it): a label for the players, nothing else. */
  get shown(): boolean {
    return this.shownNow;
  }

  set shown(on: boolean) {
    if (on === this.shownNow) return;
    this.shownNow = on;
    this.note({ f: 'shown', on });
  }

  private note(entry: JournalEntry): void {
    if (!this.released) this.journal?.(entry);
  }

  /** Keep an input the call was fed (and write it down, with a journal). */
  private fed(at: number, input: CallInput): void {
    this.fedSoFar.push(at, input);
    if (this.journal !== null) this.note({ m: { at, input } });
  }

  /** Call time: milliseconds since the call started. */
  get time(): number {
    return Math.round(this.clock.now() - this.startedAt);
  }

  get ended(): boolean {
    return this.summary !== null;
  }

  get result(): CallSummary | null {
    return this.summary;
  }

  get state(): Call {
    return this.call;
  }

  get players(): { readonly a: RunnerPlayer; readonly b: RunnerPlayer } {
    return this.seats;
  }

  /** The line the call is on now (a workshop host can change it during the call). */
  get currentLine(): LineName {
    return this.lineNow;
  }

  /** Every event so far (outside lessons, replayed from the record: not for every step). */
  events(): readonly CallEvent[] {
    return this.log ?? replay(this.record()).events;
  }

  /** From the first SYN to both sides ESTABLISHED, or null if the call has not got there (yet). */
  get handshakeMs(): number | null {
    return this.tally.handshakeMs;
  }

  /** Wrong moves of a side so far, by the step they were made at. */
  mistakes(side: Side): Record<Step, number> {
    return this.tally.mistakes(side);
  }

  /** Segments both sides sent again, and their wrong moves, so far. */
  trouble(): { readonly retransmissions: number; readonly wrongMoves: number } {
    const a = this.tally.trouble('a');
    const b = this.tally.trouble('b');
    return { retransmissions: a.retransmissions + b.retransmissions, wrongMoves: a.wrongMoves + b.wrongMoves };
  }

  /** The line changes from now on (a workshop's weather); freezes in force stay. */
  setLine(line: LineName): void {
    if (this.summary !== null) return;
    this.lineNow = line;
    this.note({ f: 'line', line });
    this.baseConditions = LINE_PRESETS[line];
    this.setWeather(this.freezes);
  }

  /** A workshop's host ended the round. */
  endByHost(): void {
    this.finish('ended-by-host', null);
  }

  /** The call so far as its setup and inputs: `replay(record)` gives the same call. */
  record(): CallRecord {
    return { version: RECORD_VERSION, setup: this.setup, moves: this.moves() };
  }

  /** Every input so far with its call time. */
  private moves(): { at: number; input: CallInput }[] {
    const moves: { at: number; input: CallInput }[] = [];
    for (let i = 0; i < this.fedSoFar.length; i += 2) moves.push({ at: this.fedSoFar[i] as number, input: this.fedSoFar[i + 1] as CallInput });
    return moves;
  }

  /** How many inputs the call has been fed. */
  get moveCount(): number {
    return this.fedSoFar.length / 2;
  }

  /** The lesson's goal so far, or null outside lessons. */
  goal(): GoalResult | null {
    return this.level === null || this.log === null ? null : checkGoal(this.level, this.log);
  }

  /**
   * A bot takes over a dropped player's seat (the partner wants to finish the call): the
   * grace window ends, the line thaws, and the bot plays on from where the call is.
   */
  replacePlayer(side: Side, player: RunnerPlayer): PartnerStatus {
    const status: PartnerStatus = { callId: this.id, side, connected: true, graceUntil: null, bot: player.bot };
    if (this.summary !== null) return status;
    const timer = this.graceTimers[side];
    if (timer !== undefined) this.clock.clearTimeout(timer);
    delete this.graceTimers[side];
    this.thaw(side);
    delete this.droppedAt[side];
    this.seats = { ...this.seats, [side]: player };
    this.note({ f: 'seat', side, player });
    this.outbox.toCall(this.id, 'call:partner', status);
    return status;
  }

  /** Both sides start listening, so either may ask first; tell both players the call is on (and return what each was told). */
  start(): Readonly<Record<Side, CallStarted>> {
    for (const side of SIDES) this.apply(PLAIN[side].listen, side, 'later');
    // Fake callers of the flood lesson are on their way from the start.
    for (const at of this.level?.fakeCallers ?? []) {
      const segment = makeSegment({ syn: true, seq: (0x5eed_0000 + at * 7_919) >>> 0 });
      this.apply({ kind: 'inject', to: 'a', segment, delayMs: at, fake: true }, null, 'later');
    }
    const opening = this.takeEvents();
    this.log?.push(...opening);
    const started = { a: this.snapshot('a', opening), b: this.snapshot('b', opening) };
    for (const side of SIDES) this.outbox.toPlayer(this.seats[side].playerId, 'call:started', started[side]);
    this.schedule();
    return started;
  }

  /** Everything a (re)joining player needs to draw the call as it is. */
  snapshotFor(side: Side): CallStarted {
    return this.snapshot(side, this.log === null ? replay(this.record()).events : [...this.log, ...this.pendingEvents]);
  }

  private snapshot(side: Side, events: readonly CallEvent[]): CallStarted {
    return {
      callId: this.id,
      you: side,
      players: { a: this.seatInfo('a'), b: this.seatInfo('b') },
      line: this.line,
      level: this.level?.id ?? null,
      personality: this.personality,
      teaching: this.teaching,
      conditions: this.baseConditions,
      config: this.call.endpoints.a.config,
      manual: this.call.manual,
      events,
      view: this.view(),
      goal: this.goal(),
      shown: this.shownNow,
    };
  }

  private seatInfo(side: Side): { name: string; bot: boolean; connected: boolean } {
    return { name: this.seats[side].name, bot: this.seats[side].bot, connected: this.droppedAt[side] === undefined };
  }

  /** The view of the call now, from the last one made (a side that did not change keeps its hint). */
  private view(): CallView {
    const viewed = this.viewed;
    const view = callView(this.call, viewed ?? undefined);
    if (viewed === null) this.viewed = { call: this.call, view };
    else {
      viewed.call = this.call;
      viewed.view = view;
    }
    return view;
  }

  /** A named action: listen, ask, say goodbye, hang up, or let TCP answer what is pending. */
  act(side: Side, action: CallAction): RunnerResult {
    if (this.summary !== null) return { ok: false, code: 'call/ended' };
    switch (action) {
      case 'listen':
        // Listening again would change nothing a player can see: say so rather than stay silent.
        if (this.call.endpoints[side].state === 'LISTEN') return { ok: false, code: 'state/already-listening' };
        return this.request(PLAIN[side].listen, side);
      case 'ask':
        return this.request(PLAIN[side].open, side);
      case 'goodbye':
        return this.request(PLAIN[side].close, side);
      case 'answer':
        if (this.call.pending[side].length === 0) return { ok: false, code: 'move/nothing-pending' };
        return this.request(PLAIN[side].answer, side);
      case 'hang-up':
        return { ok: true, update: this.hangUp(side) };
    }
  }

  /** A segment the player built: judged, then sent as built. */
  move(side: Side, segment: Segment): RunnerResult {
    if (this.summary !== null) return { ok: false, code: 'call/ended' };
    return this.request({ kind: 'move', side, segment }, side);
  }

  /** A chat message: one data segment. */
  chat(side: Side, text: string): RunnerResult {
    if (this.summary !== null) return { ok: false, code: 'call/ended' };
    return this.request({ kind: 'user', side, input: { kind: 'send', data: text } }, side);
  }

  /** The player's connection dropped: the line looks frozen, and the seat is kept for `graceMs`. */
  playerDropped(side: Side, graceMs: number): void {
    if (this.summary !== null || this.droppedAt[side] !== undefined) return;
    const at = this.time;
    this.markDropped(side, { at, graceMs });
    this.note({ f: 'dropped', side, at, graceMs });
    this.setWeather([...this.freezes, { fromMs: at, toMs: FOREVER_MS }]);
    this.outbox.toCall(this.id, 'call:partner', { callId: this.id, side, connected: false, graceUntil: at + graceMs });
    this.armGrace(side, graceMs);
  }

  private markDropped(side: Side, dropped: { readonly at: number; readonly graceMs: number }): void {
    if (this.droppedAt === NOBODY) this.droppedAt = {};
    this.droppedAt[side] = dropped;
  }

  /** Give up a dropped player's seat after `ms`, unless they come back. */
  private armGrace(side: Side, ms: number): void {
    if (this.graceTimers === NOBODY) this.graceTimers = {};
    this.graceTimers[side] = this.clock.setTimeout(() => {
      delete this.graceTimers[side];
      // The seat is given up: the line thaws so the hang-up's RST reaches the partner.
      this.thaw(side);
      this.hangUp(side);
    }, ms);
  }

  /** The player came back within the grace window: the line thaws and they get the whole call. */
  playerResumed(side: Side): CallStarted {
    if (this.droppedAt[side] !== undefined && this.summary === null) {
      const timer = this.graceTimers[side];
      if (timer !== undefined) this.clock.clearTimeout(timer);
      delete this.graceTimers[side];
      this.thaw(side);
      delete this.droppedAt[side];
      this.note({ f: 'back', side });
      this.outbox.toCall(this.id, 'call:partner', { callId: this.id, side, connected: true, graceUntil: null });
    }
    return this.snapshotFor(side);
  }

  /** End the freeze that began when `side` dropped. */
  private thaw(side: Side): void {
    const from = this.droppedAt[side]?.at;
    if (from === undefined) return;
    const open = this.freezes.findIndex((f) => f.fromMs === from && f.toMs === FOREVER_MS);
    if (open < 0) return;
    const closed = this.freezes.map((f, i) => (i === open ? { fromMs: from, toMs: Math.max(from + 1, this.time) } : f));
    this.setWeather(closed);
  }

  /** End the call now (server shutting down). */
  shutdown(): void {
    this.finish('server-closing', null);
  }

  /** Hang up: the side aborts (a RST where it has told the partner anything). Returns the update sent. */
  private hangUp(side: Side): CallUpdate {
    if (this.summary !== null) return this.update([]);
    if (this.hungUpBy === null) {
      this.hungUpBy = side;
      this.note({ f: 'hung-up', side });
    }
    // Sent even if the endpoint had nothing to abort: the hang-up itself is news (the call ends).
    return this.apply(PLAIN[side].abort, side, 'always').update ?? this.update([]);
  }

  private setWeather(freezes: Freeze[]): void {
    this.freezes = freezes;
    this.apply({ kind: 'weather', conditions: { ...this.baseConditions, freezes } }, null, 'if-any');
  }

  /** A player's request: refused, or answered by the update it led to (an empty one if nothing happened). */
  private request(input: CallInput, side: Side): RunnerResult {
    const { refused, update } = this.apply(input, side, 'unless-refused');
    if (refused !== null) return { ok: false, code: refused };
    return { ok: true, update: update ?? this.update([]) };
  }

  /**
   * Step the call at the current time. Returns the refusal code if the acting side's
   * endpoint refused the request (then nothing changed but time), and the update sent to
   * the players. `send` says when one is sent: 'if-any' event happened; 'unless-refused'
   * (a request: its answer, even with no events; a refusal is answered by an error
   * instead); 'always'; or 'later' (the caller flushes).
   */
  private apply(input: CallInput, side: Side | null, send: 'always' | 'unless-refused' | 'if-any' | 'later'): { refused: ErrorCode | null; update: CallUpdate | null } {
    const at = Math.max(this.time, this.call.now);
    const result = callStep(this.call, input, at);
    const refused = this.absorb(result, side);
    // A refused request changed nothing but time: keep it in the record as just that, so a
    // replay (which would report the refusal) gives exactly the events the players saw.
    this.fed(at, refused === null ? input : TICK);
    if (send === 'later') return { refused, update: null };
    const always = send === 'always' || (send === 'unless-refused' && refused === null);
    return { refused, update: this.flush(this.takeEvents(), always) };
  }

  private wake(): void {
    this.wakeTimer = null;
    if (this.summary !== null || this.released) return;
    if (this.time >= this.expiresAt) return this.finish('expired', null);
    const at = Math.max(this.time, this.call.now);
    // Recorded too, so that the record replays to this very call, not just to the last request.
    this.fed(at, TICK);
    const result = callStep(this.call, TICK, at);
    this.absorb(result, null);
    this.flush(this.takeEvents());
  }

  /** The events absorbed and not sent yet, taken. */
  private takeEvents(): CallEvent[] {
    const events = this.pendingEvents;
    this.pendingEvents = [];
    return events;
  }

  private absorb(result: CallStepResult, side: Side | null): ErrorCode | null {
    this.call = result.call;
    let refused: ErrorCode | null = null;
    for (const e of result.events) {
      if (e.type === 'endpoint' && e.event.type === 'refused') {
        // A refusal goes back to the one who asked, as an error; the call did not change.
        if (e.side === side) refused = e.event.code;
        continue;
      }
      this.tally.count(e);
      this.pendingEvents.push(e);
    }
    return refused;
  }

  /** The lesson's tricks that answer what just happened: each plays once. */
  private playTricks(events: readonly CallEvent[]): void {
    const level = this.level;
    if (level === null) return;
    for (const e of events) {
      if (level.ghost !== undefined && !this.played.includes('ghost') && e.type === 'segment-sent' && e.from === 'a' && e.segment.syn && !e.segment.ack && !e.retransmit) {
        // An old duplicate SYN from an earlier call overtakes the player's real one.
        this.played.push('ghost');
        this.note({ f: 'trick', trick: 'ghost' });
        const segment = makeSegment({ syn: true, seq: ghostSegmentSeq(e.segment.seq) });
        this.apply({ kind: 'inject', to: 'b', segment, delayMs: level.ghost.afterMs }, null, 'later');
      }
    }
    const vanish = level.partner.vanishAfterMs;
    if (vanish !== undefined && !this.played.includes('vanish') && this.tally.connected) {
      // The partner vanishes: from a moment on, the line never carries anything again.
      this.played.push('vanish');
      this.note({ f: 'trick', trick: 'vanish' });
      this.freezes = [...this.freezes, { fromMs: this.call.now + vanish, toMs: FOREVER_MS }];
      this.apply({ kind: 'weather', conditions: { ...this.baseConditions, freezes: this.freezes } }, null, 'later');
    }
  }

  /** Send the step's events to both players (even none, if `always`), then end the call or set the next wake-up. Returns the update sent. */
  private flush(events: CallEvent[], always = false): CallUpdate | null {
    this.playTricks(events);
    if (this.pendingEvents.length > 0) events.push(...this.takeEvents());
    let update: CallUpdate | null = null;
    if (events.length > 0 || always) {
      this.log?.push(...events);
      update = this.update(events);
      this.outbox.toCall(this.id, 'call:update', update);
    }
    if (this.summary !== null) return update;
    const outcome = this.outcome();
    if (outcome !== null) this.finish(outcome.outcome, outcome.by);
    else this.schedule();
    return update;
  }

  /** An update of the call as it is now, with these events. */
  private update(events: readonly CallEvent[]): CallUpdate {
    return { callId: this.id, time: this.call.now, events, view: this.view(), goal: this.goal() };
  }

  /** One timer per call: the next deadline of the call, or its time limit if that comes first. */
  private schedule(): void {
    const next = Math.min(nextCallDeadline(this.call) ?? Infinity, this.expiresAt);
    // Most steps leave the next deadline where it was: the wake-up already set for it stays.
    if (this.wakeTimer !== null && next === this.wakeAt) return;
    if (this.wakeTimer !== null) this.clock.clearTimeout(this.wakeTimer);
    this.wakeAt = next;
    this.wakeTimer = this.clock.setTimeout(this.wakeUp, next - this.time);
  }

  private readonly wakeUp = (): void => this.wake();

  /** Has the call ended by itself? */
  private outcome(): { outcome: Outcome; by: Side | null } | null {
    if (this.call.inFlight.length > 0) return null;
    if (this.hungUpBy !== null) return { outcome: 'hung-up', by: this.hungUpBy };
    const { a, b } = this.call.endpoints;
    if (!(this.tally.established('a') || this.tally.established('b')) || a.state !== 'CLOSED' || b.state !== 'CLOSED') return null;
    const reasons = [a.closeReason, b.closeReason];
    if (reasons.every((r) => r === 'normal')) return { outcome: 'polite', by: null };
    if (reasons.includes('keepalive')) return { outcome: 'keepalive', by: null };
    if (reasons.includes('timeout')) return { outcome: 'timeout', by: null };
    return { outcome: 'reset', by: null };
  }

  private finish(outcome: Outcome, by: Side | null, callMs = this.time): void {
    if (this.summary !== null || this.released) return;
    if (this.wakeTimer !== null) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    for (const side of SIDES) {
      const timer = this.graceTimers[side];
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
    const summary = this.tally.summary(outcome, by, callMs);
    this.summary = summary;
    this.note({ f: 'end', outcome, by, callMs });
    this.outbox.toCall(this.id, 'call:ended', this.endedWith(summary));
    this.onEnd?.(this, summary);
  }

  /** What both players were told when the call ended, or null while it is on (for a player who was away then). */
  endedMessage(): CallEnded | null {
    return this.summary === null ? null : this.endedWith(this.summary);
  }

  private endedWith(summary: CallSummary): CallEnded {
    return { callId: this.id, summary, goal: this.goal(), record: this.record() };
  }
}
