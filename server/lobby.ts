/**
 * The lobby: players and their seats, quick match, private calls by code, practice with a
 * bot, and the calls they lead to. It knows players by id and reaches them through the
 * Outbox and the Rooms port, never through sockets, so the socket layer stays thin.
 */
import type { Side } from '../shared/call';
import { levelById, type Level } from '../shared/game/levels';
import type { CallSummary } from '../shared/game/summary';
import { LINE_PRESETS } from '../shared/net';
import { normalizeCode, parseRequest, wireError } from '../shared/wire';
import type { CallStarted, ClientPayloads, ClientRequest, Lang, LineName, Personality, RematchStatus, ServerPayload, ServerToClientEvents, Welcome, WireError } from '../shared/wire';
import { BotPlayer } from './bot';
import type { CallBook, CallMeta } from './journal';
import { callRoom } from './rooms';
import type { Store } from './store';
import { Workshops, type CallTag, type WorkshopLobby } from './workshops';
import type { Clock, TimerHandle } from './clock';
import type { Logger } from './log';
import type { Random } from './random';
import { answer, fail, whenDone, type MaybePromise, type RequestResult } from './result';
import { CallRunner, type JournalEntry, type Outbox, type RunnerOptions, type RunnerResult } from './runner';

/** Socket.io rooms, by name: `player:<id>` holds a player's sockets, `call:<id>` a call's players. */
export interface Rooms {
  /** Put every socket of a player into a room (or take them out). */
  join(playerId: string, room: string): void;
  leave(playerId: string, room: string): void;
}

/** The Outbox, plus any room by name (a workshop's host dashboard, its participants). */
export interface LobbyOutbox extends Outbox {
  toRoom<E extends keyof ServerToClientEvents>(room: string, event: E, payload: ServerPayload<E>): void;
}

export interface LobbyOptions {
  readonly clock: Clock;
  readonly random: Random;
  readonly outbox: LobbyOutbox;
  /** Where workshops are kept; without one, there are no workshops. */
  readonly store?: Store | null;
  readonly rooms: Rooms;
  readonly log: Logger;
  /** How long a dropped player's seat is kept. */
  readonly graceMs?: number;
  /** How long quick match waits before offering a bot. */
  readonly botOfferAfterMs?: number;
  readonly maxCallMs?: number;
  /** Scales bots' think times (1 is normal; tests make bots quick). */
  readonly botSpeed?: number;
  /** Told when shared state changes, so several servers can keep it in common (server/cluster.ts). */
  readonly hooks?: LobbyHooks;
  /**
   * Where calls are written down as they go, so another server can carry them on
   * (server/journal.ts). With one, every message and room change waits until what came
   * before it is written.
   */
  readonly book?: CallBook | null;
  /** Wall-clock milliseconds, which servers share (a call's start, for another server to carry it on): Date.now by default. */
  readonly wallClock?: () => number;
}

/** What the lobby tells a cluster: who stopped waiting, which codes came and went, who was forgotten. */
export interface LobbyHooks {
  queueLeft?(playerId: string, queue: string): void;
  codeGone?(code: string): void;
  forgotten?(playerId: string, resumeToken: string): void;
}

/** A player moving to another server: who they are, and (a server handing over everyone) what they were doing. */
export interface PlayerRecord {
  readonly id: string;
  readonly name: string;
  readonly lang: Lang;
  readonly resumeToken: string;
  readonly connected: boolean;
  /** Waiting for a quick match of this kind. */
  readonly waiting?: PlanRecord;
  /** Hosting a private call with this code, for this kind of call. */
  readonly hosting?: { readonly code: string; readonly plan: PlanRecord };
  /** A participant of this workshop. */
  readonly workshop?: string;
}

/** A CallPlan as it travels between servers (the lesson by id). */
export interface PlanRecord {
  readonly line: LineName;
  readonly teaching: boolean;
  readonly level: Level['id'] | null;
  readonly personality: Personality;
}

/** What kind of call to start: the line, teaching mode, the lesson, the bot's personality. */
export interface CallPlan {
  readonly line: LineName;
  readonly teaching: boolean;
  readonly level: Level | null;
  readonly personality: Personality;
}

interface Player {
  readonly id: string;
  name: string;
  lang: Lang;
  readonly resumeToken: string;
  connected: boolean;
  /** Where the player is: nowhere, waiting in the queue, hosting a private call, or in a call. */
  queue: { readonly plan: CallPlan; readonly since: number; offerTimer: TimerHandle } | null;
  hosting: string | null;
  call: { readonly runner: CallRunner; readonly side: Side } | null;
  /** Removal of a dropped player who is in no call. */
  forgetTimer: TimerHandle | null;
  /** Set for a bot: it hears its seat's messages in-process and answers with requests. */
  bot: BotPlayer | null;
}

interface PrivateCall {
  readonly code: string;
  readonly hostId: string;
  readonly plan: CallPlan;
}

/** Teaching mode: a reply timeout three times the story's, for a class that talks each step through. */
export const TEACHING_CONFIG = Object.freeze({ replyTimeoutMs: 15_000 });

export type LobbyResult = RequestResult;

/** What a hello comes to: the player it is (and whether it got its seat back), or a refusal. */
export type HelloResult = { ok: true; player: string; resumed: boolean; notice?: WireError } | { ok: false; error: WireError };

const DEFAULT_LINE: LineName = 'bad';
const NAMES = {
  en: { first: ['Brave', 'Calm', 'Quick', 'Kind', 'Bright', 'Lucky', 'Clever', 'Jolly'], second: ['Otter', 'Falcon', 'Panda', 'Comet', 'Maple', 'Robin', 'Tiger', 'Koala'] },
  zh: { first: ['勇敢的', '安静的', '飞快的', '友好的', '聪明的', '幸运的', '快乐的', '闪亮的'], second: ['水獭', '猎鹰', '熊猫', '彗星', '枫叶', '知更鸟', '老虎', '考拉'] },
} as const;

export class Lobby implements WorkshopLobby {
  private readonly players = new Map<string, Player>();
  private readonly byToken = new Map<string, Player>();
  private readonly privateCalls = new Map<string, PrivateCall>();
  /** Players waiting for a partner, by the kind of call they want, in the order they came. */
  private readonly waiting = new Map<string, Set<Player>>();
  private readonly calls = new Map<string, CallRunner>();
  /** Codes of private calls that have ended, to tell a late friend so (most recent last). */
  private readonly endedCodes = new Set<string>();
  /** Ended calls whose players asked to call again, by call id: the sides that asked. */
  private readonly rematches = new Map<string, Set<Side>>();
  /** Players who were away when their call ended, and their seat in it: told how it ended when they come back. */
  private readonly missedEnds = new Map<string, { readonly runner: CallRunner; readonly side: Side }>();
  private readonly opts: Required<Omit<LobbyOptions, 'store' | 'hooks' | 'book' | 'wallClock'>>;
  private readonly wallClock: () => number;
  private readonly book: CallBook | null;
  private readonly base: LobbyOutbox;
  private readonly workshops: Workshops | null;
  private callsStarted = 0;
  private closing = false;
  private readonly hooks: LobbyHooks;

  constructor(options: LobbyOptions) {
    const book = options.book ?? null;
    this.book = book;
    this.wallClock = options.wallClock ?? Date.now;
    // With a call book, every message and room change waits for the writes before it.
    const base: LobbyOutbox =
      book === null
        ? options.outbox
        : {
            toRoom: (room, event, payload) => book.later(() => options.outbox.toRoom(room, event, payload)),
            toPlayer: (playerId, event, payload) => book.later(() => options.outbox.toPlayer(playerId, event, payload)),
            toCall: (callId, event, payload) => book.later(() => options.outbox.toCall(callId, event, payload)),
          };
    const rooms: Rooms =
      book === null
        ? options.rooms
        : { join: (playerId, room) => book.later(() => options.rooms.join(playerId, room)), leave: (playerId, room) => book.later(() => options.rooms.leave(playerId, room)) };
    this.base = base;
    // Bots hear what is sent to their seat in-process; everyone else through socket.io rooms.
    const outbox: Outbox = {
      toPlayer: (playerId, event, payload) => {
        const bot = this.players.get(playerId)?.bot;
        if (bot === null || bot === undefined) base.toPlayer(playerId, event, payload);
        else bot.receive(event, payload);
      },
      toCall: (callId, event, payload) => {
        base.toCall(callId, event, payload);
        const runner = this.calls.get(callId);
        if (runner === undefined) return;
        if (event === 'call:update' && runner.tag !== null) this.workshops?.touched(callId);
        const seats = runner.players;
        if (seats.a.bot) this.players.get(seats.a.playerId)?.bot?.receive(event, payload);
        if (seats.b.bot) this.players.get(seats.b.playerId)?.bot?.receive(event, payload);
      },
    };
    const { store, hooks, book: _book, wallClock: _wall, ...rest } = options;
    this.hooks = hooks ?? {};
    this.opts = { graceMs: 20_000, botOfferAfterMs: 15_000, maxCallMs: 30 * 60_000, botSpeed: 1, ...rest, rooms, outbox: { ...outbox, toRoom: base.toRoom } };
    this.workshops =
      store === undefined || store === null
        ? null
        : new Workshops(store, this, options.clock, options.random, options.log, (code) => this.privateCalls.has(code) || this.calls.has(code), { roundsOutliveServer: book !== null });
  }

  /**
   * A parsed request from a player (a browser, or a bot: the same path). Every request
   * but `hello`, which the socket layer handles with `hello`, `update` and `greet`. A
   * request that needs the workshop store answers later (a promise), once what it wrote is
   * committed; every other one at once.
   */
  handle(playerId: string, request: Exclude<ClientRequest, { event: 'hello' }>): MaybePromise<LobbyResult> {
    switch (request.event) {
      case 'queue:join':
        return this.joinQueue(playerId, this.plan(request.payload));
      case 'queue:leave':
        return this.leaveQueue(playerId);
      case 'queue:accept-bot':
        return this.acceptBot(playerId);
      case 'call:create':
        return this.createPrivate(playerId, this.plan(request.payload));
      case 'call:join':
        return this.joinPrivate(playerId, request.payload.code);
      case 'call:practice':
        return this.practice(playerId, this.plan(request.payload));
      case 'call:action': {
        const action = request.payload.action;
        return this.inCall(playerId, request.event, (runner, side) => runner.act(side, action));
      }
      case 'call:move': {
        const segment = request.payload.segment;
        return this.inCall(playerId, request.event, (runner, side) => runner.move(side, segment));
      }
      case 'call:chat': {
        const text = request.payload.text;
        return this.inCall(playerId, request.event, (runner, side) => runner.chat(side, text));
      }
      case 'call:takeover':
        return this.takeover(playerId);
      case 'call:leave':
        return this.leave(playerId);
      case 'call:rematch':
        return this.rematch(playerId);
      case 'workshop:create': {
        const player = this.get(playerId);
        if (this.workshops === null) return fail('server/internal', request.event);
        if (this.closing) return fail('server/closing', request.event);
        const title = request.payload.title ?? (player.lang === 'zh' ? `${player.name} 的工作坊` : `${player.name}’s workshop`);
        return this.workshops.create(playerId, title, request.payload.line ?? DEFAULT_LINE, request.payload.teaching ?? false, player.lang);
      }
      case 'workshop:host':
        return this.workshops?.host(playerId, request.payload.code, request.payload.hostToken) ?? fail('workshop/not-found', request.event);
      case 'workshop:round': {
        const { code, hostToken, action, level, rotate } = request.payload;
        if (action === 'start' && this.closing) return fail('server/closing', request.event);
        return this.workshops?.round(playerId, code, hostToken, action, level, rotate ?? false) ?? fail('workshop/not-found', request.event);
      }
      case 'workshop:weather': {
        const { code, hostToken, line, callId } = request.payload;
        return this.workshops?.weather(playerId, code, hostToken, line, callId) ?? fail('workshop/not-found', request.event);
      }
      case 'workshop:participant': {
        const { code, hostToken, participantId, action, name } = request.payload;
        return this.workshops?.participant(playerId, code, hostToken, participantId, action, name) ?? fail('workshop/not-found', request.event);
      }
      case 'workshop:spectate': {
        const { code, hostToken, callId } = request.payload;
        return this.workshops?.spectate(playerId, code, hostToken, callId) ?? fail('workshop/not-found', request.event);
      }
      case 'workshop:settings': {
        const { code, hostToken, ...fields } = request.payload;
        return this.workshops?.settings(playerId, code, hostToken, fields) ?? fail('workshop/not-found', request.event);
      }
    }
  }

  /** Results of a workshop for its host's export (null: no such workshop, or not the host). */
  async exportWorkshop(code: string, hostToken: string): ReturnType<Workshops['export']> {
    return this.workshops === null ? null : this.workshops.export(code, hostToken);
  }

  /** Before the server takes anyone: the workshop store ready (migrated, cut-short rounds ended). */
  async open(): Promise<void> {
    await this.workshops?.open();
  }

  /** Resolves once every workshop write under way is committed and its players told (shutdown: before the store closes). */
  async idle(): Promise<void> {
    await this.workshops?.idle();
  }

  // ---------------------------------------------------------------- what workshops need

  isClosing(): boolean {
    return this.closing;
  }

  isConnected(playerId: string): boolean {
    return this.players.get(playerId)?.connected === true;
  }

  isInCall(playerId: string): boolean {
    const call = this.players.get(playerId)?.call;
    return call !== null && call !== undefined && !call.runner.ended;
  }

  nameOf(playerId: string): string | undefined {
    return this.players.get(playerId)?.name;
  }

  startWorkshopCall(a: string, b: string | null, plan: { line: LineName; teaching: boolean; level: Level['id'] | null }, tag: CallTag): CallRunner {
    const first = this.get(a);
    // Someone waiting for a quick match or hosting a private call stops: the round comes first.
    for (const id of [a, b]) {
      const p = id === null ? undefined : this.players.get(id);
      if (p === undefined) continue;
      this.leaveQueueQuietly(p);
      if (p.hosting !== null) {
        this.dropCode(p.hosting);
        p.hosting = null;
      }
    }
    const callPlan: CallPlan = { line: plan.line, teaching: plan.teaching, level: plan.level === null ? null : levelById(plan.level), personality: 'prompt' };
    const second = b === null ? this.makeBot(first.lang, callPlan) : this.get(b);
    return this.startCall({ a: first, b: second }, callPlan, null, tag).runner;
  }

  /** A private call code not in use here (a cluster then makes sure no other server has it). */
  freshCode(): string {
    let code = this.opts.random.code();
    while (this.privateCalls.has(code) || this.calls.has(code)) code = this.opts.random.code();
    return code;
  }

  has(playerId: string): boolean {
    return this.players.has(playerId);
  }

  hasToken(token: string): boolean {
    return this.byToken.has(token);
  }

  tokenOf(playerId: string): string | undefined {
    return this.players.get(playerId)?.resumeToken;
  }

  /**
   * Hand a player over to another server: only one in no call, hosting nothing and in no
   * workshop; one waiting for a quick match stops waiting. Here they are forgotten,
   * quietly; null if they cannot move.
   */
  exportPlayer(playerId: string): PlayerRecord | null {
    const player = this.players.get(playerId);
    if (player === undefined || player.bot !== null || player.hosting !== null || this.isInCall(playerId)) return null;
    if ((this.workshops?.workshopOf(playerId) ?? null) !== null) return null;
    // Out of the shared queue too (if the queue handed them over, they are out of it already).
    this.leaveQueueQuietly(player);
    return this.remove(player);
  }

  /**
   * Hand over a player not in a call, whatever they are doing (this server is going away):
   * a wait for a quick match (still in the shared queue), a private call's code, a
   * workshop seat go with them. Null if they are in a call (their call moves with them).
   */
  handOverPlayer(playerId: string): PlayerRecord | null {
    const player = this.players.get(playerId);
    if (player === undefined || player.bot !== null || this.isInCall(playerId)) return null;
    const waiting = player.queue === null ? undefined : planRecord(player.queue.plan);
    if (player.queue !== null) this.leaveQueueQuietly(player, false);
    const hosting = player.hosting === null ? undefined : { code: player.hosting, plan: planRecord(this.privateCalls.get(player.hosting)!.plan) };
    if (player.hosting !== null) this.privateCalls.delete(player.hosting);
    player.hosting = null;
    const workshop = this.workshops?.workshopOf(playerId) ?? null;
    this.workshops?.memberLeft(playerId);
    return { ...this.remove(player), ...(waiting === undefined ? {} : { waiting }), ...(hosting === undefined ? {} : { hosting }), ...(workshop === null ? {} : { workshop }) };
  }

  /** Forget a player here without telling anyone (they live on another server now). */
  private remove(player: Player): PlayerRecord {
    if (player.call !== null) this.detach(player);
    if (player.forgetTimer !== null) this.opts.clock.clearTimeout(player.forgetTimer);
    this.players.delete(player.id);
    this.byToken.delete(player.resumeToken);
    return { id: player.id, name: player.name, lang: player.lang, resumeToken: player.resumeToken, connected: player.connected };
  }

  /** Every human player here, by id. */
  playerIds(): string[] {
    return [...this.players.values()].filter((p) => p.bot === null).map((p) => p.id);
  }

  /** Calls still going here, by id. */
  liveCalls(): string[] {
    return [...this.calls.values()].filter((r) => !r.ended).map((r) => r.id);
  }

  /** Entries that rebuild a call here as it is now (null if it is not here). */
  entriesOf(callId: string): JournalEntry[] | null {
    return this.calls.get(callId)?.entries() ?? null;
  }

  /**
   * A call goes on on another server (this one is going away, or another took it over):
   * here it stops without a word, its bots stop, its players are forgotten quietly.
   */
  releaseCall(callId: string): void {
    const runner = this.calls.get(callId);
    if (runner === undefined) return;
    runner.release();
    this.book?.forget(callId);
    this.calls.delete(callId);
    this.workshops?.released(callId);
    for (const side of ['a', 'b'] as const) {
      const player = this.players.get(runner.players[side].playerId);
      if (player === undefined || player.call?.runner !== runner) continue;
      if (player.bot !== null) {
        player.bot.stop();
        this.players.delete(player.id);
        continue;
      }
      this.workshops?.memberLeft(player.id);
      // Still in the call's room: the call goes on, and its messages now come from its new server.
      player.call = null;
      this.remove(player);
    }
  }

  /**
   * A call written down by another server (dead, or going away), rebuilt here from its
   * journal, with its players seated here. `connected` says whose connection is still up
   * (on some server); the others' seats are kept for the grace time, the line frozen for
   * them, as when anyone drops. Both players get the whole call again. A call this server
   * already runs stays as it is (its journal is written from here, so it is never newer).
   */
  adoptCall(meta: CallMeta, entries: readonly JournalEntry[], connected: (playerId: string) => boolean): CallRunner {
    const running = this.calls.get(meta.id);
    if (running !== undefined) {
      this.opts.log.warn({ call: meta.id }, 'call already runs here: not taken again');
      return running;
    }
    const level = meta.level === null ? null : levelById(meta.level);
    const seats = meta.seats;
    const runner = CallRunner.restore(
      {
        ...this.runnerOptions(meta, level),
        players: { a: { playerId: seats.a.playerId, name: seats.a.name, bot: seats.a.bot }, b: { playerId: seats.b.playerId, name: seats.b.name, bot: seats.b.bot } },
        startedAt: this.opts.clock.now() - (this.wallClock() - meta.startedEpoch),
        ...(this.book === null ? {} : { journal: this.book.begin(meta) }),
      },
      entries,
    );
    this.calls.set(meta.id, runner);
    const bots: { bot: BotPlayer; side: Side }[] = [];
    for (const side of ['a', 'b'] as const) {
      const seat = runner.players[side];
      const known = meta.seats.a.playerId === seat.playerId ? meta.seats.a : meta.seats.b.playerId === seat.playerId ? meta.seats.b : null;
      const other = meta.seats[side === 'a' ? 'b' : 'a'];
      if (seat.bot) {
        // The lesson's partner, or a bot that took over a dropped player's seat (free play).
        const original = known !== null && known.bot;
        const player = this.makeBot(other.lang, { line: meta.line, teaching: meta.teaching, level: original ? level : null, personality: meta.personality ?? 'prompt' }, seat.name, seat.playerId);
        player.call = { runner, side };
        if (player.bot !== null) bots.push({ bot: player.bot, side });
        continue;
      }
      const here = this.players.get(seat.playerId);
      const player: Player = here ?? {
        id: seat.playerId,
        name: seat.name,
        lang: known?.lang ?? 'en',
        resumeToken: known?.resumeToken ?? '',
        connected: connected(seat.playerId),
        queue: null,
        hosting: null,
        call: null,
        forgetTimer: null,
        bot: null,
      };
      player.call = { runner, side };
      this.players.set(player.id, player);
      if (player.resumeToken !== '') this.byToken.set(player.resumeToken, player);
      if (meta.tag !== null) this.workshops?.adoptMember(player.id, meta.tag.workshopId);
      this.opts.rooms.join(player.id, callRoom(meta.id));
    }
    if (meta.tag !== null) this.workshops?.adoptCall(runner, meta.seats.a.bot ? null : meta.seats.a.playerId, meta.seats.b.bot ? null : meta.seats.b.playerId);
    if (runner.ended) {
      this.ended(runner, runner.result!);
      return runner;
    }
    for (const side of ['a', 'b'] as const) {
      const player = this.players.get(runner.players[side].playerId);
      if (player === undefined || player.bot !== null) continue;
      if (!player.connected) {
        if (!runner.isDropped(side)) runner.playerDropped(side, this.opts.graceMs);
        if (player.forgetTimer === null) player.forgetTimer = this.opts.clock.setTimeout(() => this.forget(player), this.opts.graceMs);
      } else if (runner.isDropped(side)) {
        runner.playerResumed(side);
      }
      this.opts.outbox.toPlayer(player.id, 'call:started', runner.snapshotFor(side));
    }
    for (const { bot, side } of bots) bot.resume(runner.snapshotFor(side));
    this.opts.log.info({ call: meta.id, moves: runner.moveCount }, 'call carried on here');
    return runner;
  }

  /** What this server holds that others must be able to find (after Redis lost it all): players, codes, who waits where. */
  held(): { players: { id: string; resumeToken: string }[]; codes: string[]; waiting: { id: string; queue: string }[] } {
    const players = [...this.players.values()].filter((p) => p.bot === null).map((p) => ({ id: p.id, resumeToken: p.resumeToken }));
    const waiting: { id: string; queue: string }[] = [];
    for (const [queue, line] of this.waiting) for (const p of line) waiting.push({ id: p.id, queue });
    return { players, codes: [...this.privateCalls.keys()], waiting };
  }

  /** Every player in a call here gets the whole call again (after a gap in which messages to them may have been lost). */
  resync(): void {
    for (const runner of this.calls.values()) {
      if (runner.ended) continue;
      for (const side of ['a', 'b'] as const) {
        const seat = runner.players[side];
        if (!seat.bot) this.opts.outbox.toPlayer(seat.playerId, 'call:started', runner.snapshotFor(side));
      }
    }
  }

  /** A player handed over from another server (see exportPlayer and handOverPlayer). */
  importPlayer(r: PlayerRecord): void {
    if (this.players.has(r.id)) return;
    const player: Player = { id: r.id, name: r.name, lang: r.lang, resumeToken: r.resumeToken, connected: r.connected, queue: null, hosting: null, call: null, forgetTimer: null, bot: null };
    this.players.set(player.id, player);
    this.byToken.set(player.resumeToken, player);
    if (r.workshop !== undefined) this.workshops?.adoptMember(player.id, r.workshop);
    if (r.hosting !== undefined) {
      this.privateCalls.set(r.hosting.code, { code: r.hosting.code, hostId: player.id, plan: this.planFrom(r.hosting.plan) });
      player.hosting = r.hosting.code;
    }
    // Still in the shared queue: here it waits on, and its bot offer comes from here.
    if (r.waiting !== undefined && !this.closing) this.wait(player, this.planFrom(r.waiting), false);
    if (!player.connected) player.forgetTimer = this.opts.clock.setTimeout(() => this.forget(player), this.opts.graceMs);
  }

  private planFrom(p: PlanRecord): CallPlan {
    return { line: p.line, teaching: p.teaching, level: p.level === null ? null : levelById(p.level), personality: p.personality };
  }

  restorePlayer(p: { id: string; name: string; resumeToken: string }): void {
    if (this.players.has(p.id)) return;
    const player: Player = { id: p.id, name: p.name, lang: 'en', resumeToken: p.resumeToken, connected: false, queue: null, hosting: null, call: null, forgetTimer: null, bot: null };
    this.players.set(p.id, player);
    this.byToken.set(p.resumeToken, player);
  }

  rename(playerId: string, name: string): void {
    const player = this.players.get(playerId);
    if (player !== undefined) player.name = name;
  }

  evict(playerId: string): void {
    const player = this.players.get(playerId);
    if (player?.call !== null && player?.call !== undefined && !player.call.runner.ended) player.call.runner.act(player.call.side, 'hang-up');
    if (player !== undefined) this.detach(player);
  }

  joinRoom(playerId: string, room: string): void {
    this.opts.rooms.join(playerId, room);
  }

  leaveRoom(playerId: string, room: string): void {
    this.opts.rooms.leave(playerId, room);
  }

  emitToRoom<E extends keyof ServerToClientEvents>(room: string, event: E, payload: ServerPayload<E>): void {
    this.base.toRoom(room, event, payload);
  }

  emitToPlayer<E extends keyof ServerToClientEvents>(playerId: string, event: E, payload: ServerPayload<E>): void {
    this.opts.outbox.toPlayer(playerId, event, payload);
  }

  /** The call a request asks for, with the defaults filled in (a lesson brings its own line). */
  plan(payload: { line?: LineName | undefined; teaching?: boolean | undefined; level?: Level['id'] | undefined; personality?: Personality | undefined }): CallPlan {
    const level = payload.level === undefined ? null : levelById(payload.level);
    return { line: level?.line ?? payload.line ?? DEFAULT_LINE, teaching: payload.teaching ?? false, level, personality: payload.personality ?? 'prompt' };
  }

  stats(): { players: number; connected: number; waiting: number; calls: number; callsStarted: number } {
    let connected = 0;
    let waiting = 0;
    for (const p of this.players.values()) {
      if (p.connected) connected++;
      if (p.queue !== null) waiting++;
    }
    return { players: this.players.size, connected, waiting, calls: this.calls.size, callsStarted: this.callsStarted };
  }

  /**
   * A connection says who it is. With a known resume token it gets its seat back;
   * otherwise a new player is made. Nothing is sent yet: the socket layer first puts the
   * connection in the player's room, then calls `greet`.
   */
  hello(payload: ClientPayloads['hello']): MaybePromise<HelloResult> {
    const token = payload.resumeToken;
    if (token !== undefined && !this.byToken.has(token) && this.workshops !== null) {
      // Perhaps a workshop participant whose seat outlived the server (a restart): bring it back.
      return this.workshops.restore(token).then(
        (restored) => {
          if (restored !== null) this.restorePlayer(restored);
          return this.seat(payload);
        },
        (error: unknown): HelloResult => {
          // Not a new seat in place of the one the store may hold: the browser says hello again.
          this.opts.log.error({ err: error }, 'workshop storage failed');
          return { ok: false, error: wireError('workshop/unavailable', 'hello') };
        },
      );
    }
    return this.seat(payload);
  }

  private seat(payload: ClientPayloads['hello']): HelloResult {
    const known = payload.resumeToken === undefined ? undefined : this.byToken.get(payload.resumeToken);
    if (known !== undefined) {
      known.connected = true;
      known.lang = payload.lang;
      // A workshop's roster owns its participants' names (the host may have renamed one).
      if (payload.name !== undefined && known.call === null && (this.workshops?.workshopOf(known.id) ?? null) === null) known.name = payload.name;
      if (known.forgetTimer !== null) this.opts.clock.clearTimeout(known.forgetTimer);
      known.forgetTimer = null;
      return { ok: true, player: known.id, resumed: true };
    }
    // Shutting down: a seat still held comes back (to hear how its call ends), but no new one is made.
    if (this.closing) return { ok: false, error: wireError('server/closing', 'hello') };
    const player: Player = {
      id: this.opts.random.token(),
      name: payload.name ?? this.generatedName(payload.lang),
      lang: payload.lang,
      resumeToken: this.opts.random.token(),
      connected: true,
      queue: null,
      hosting: null,
      call: null,
      forgetTimer: null,
      bot: null,
    };
    this.players.set(player.id, player);
    this.byToken.set(player.resumeToken, player);
    if (payload.resumeToken === undefined) return { ok: true, player: player.id, resumed: false };
    return { ok: true, player: player.id, resumed: false, notice: wireError('session/unknown-resume', 'hello') };
  }

  /**
   * A player already here says hello again: a new name or language, and a fresh welcome.
   * A new name during a call is refused (the partner already knows them by the old one),
   * and so is switching to another seat's token on the same connection; a refused hello
   * changes nothing, not even the language.
   */
  update(playerId: string, payload: ClientPayloads['hello']): MaybePromise<LobbyResult> {
    const player = this.get(playerId);
    if (payload.resumeToken !== undefined && payload.resumeToken !== player.resumeToken) return fail('session/already-hello', 'hello');
    const rename = payload.name !== undefined && payload.name !== player.name;
    if (rename && player.call !== null && !player.call.runner.ended) return fail('session/name-in-call', 'hello');
    const welcomed = (): LobbyResult => {
      player.lang = payload.lang;
      if (payload.name !== undefined) player.name = payload.name;
      const welcome = this.welcome(player, false);
      this.opts.outbox.toPlayer(player.id, 'welcome', welcome);
      return answer('welcome', welcome);
    };
    if (rename && payload.name !== undefined) {
      // A workshop's roster keeps the new name before the player is told (and if it cannot, nothing changes).
      const kept = this.workshops?.renamed(player.id, payload.name);
      if (kept !== null && kept !== undefined) {
        return kept.then(welcomed, (error: unknown) => {
          this.opts.log.error({ err: error }, 'workshop storage failed');
          return fail('workshop/unavailable', 'hello');
        });
      }
    }
    return welcomed();
  }

  /**
   * Welcome a player who just said hello (the answer to it, returned); a resumed one also
   * gets its call back, where it was, or how it ended if it ended while the player was away.
   */
  greet(playerId: string, resumed: boolean, notice?: WireError): Welcome {
    const player = this.get(playerId);
    const welcome = { ...this.welcome(player, resumed), ...(notice === undefined ? {} : { notice }) };
    this.opts.outbox.toPlayer(player.id, 'welcome', welcome);
    if (player.call !== null && !player.call.runner.ended) {
      // Resume first, then join the call's room: whatever the resume itself sends to the call
      // (the partner's "connected again", any update) is already in the snapshot.
      const snapshot = player.call.runner.playerResumed(player.call.side);
      this.opts.rooms.join(player.id, callRoom(player.call.runner.id));
      this.opts.outbox.toPlayer(player.id, 'call:started', snapshot);
    } else if (player.hosting !== null) {
      this.opts.outbox.toPlayer(player.id, 'call:created', { code: player.hosting, link: `/?join=${player.hosting}` });
    }
    const missed = this.missedEnds.get(player.id);
    if (missed !== undefined) {
      // The call ended while it was away: back on that call's end screen, as its partner is.
      this.missedEnds.delete(player.id);
      const ended = missed.runner.endedMessage();
      if (ended !== null && player.call === null) {
        player.call = missed;
        this.opts.rooms.join(player.id, callRoom(missed.runner.id));
        this.opts.outbox.toPlayer(player.id, 'call:ended', ended);
      }
    }
    this.workshops?.greet(player.id);
    return welcome;
  }

  /** Quick match: pair with the first player waiting for the same kind of call, or wait. */
  joinQueue(playerId: string, plan: CallPlan): LobbyResult {
    const player = this.get(playerId);
    const busy = this.busy(player, 'queue:join');
    if (busy !== null) return busy;
    // The first one waiting for the same kind of call (a queue per kind: no scan of everyone).
    const other = this.waiting.get(queueKey(plan))?.values().next().value;
    if (other !== undefined && other.id !== player.id) {
      this.leaveQueueQuietly(other);
      return answer('call:started', this.startCall({ a: other, b: player }, plan).started.b);
    }
    return this.wait(player, plan);
  }

  /**
   * Quick match decided elsewhere (a cluster's shared queue): `playerId` waits, or, with
   * `partnerId` (who waited first, now here and waiting no more), the call starts.
   */
  queueMatched(playerId: string, plan: CallPlan, partnerId: string | null): LobbyResult {
    const player = this.get(playerId);
    const partner = partnerId === null ? undefined : this.players.get(partnerId);
    if (partner === undefined) {
      const busy = this.busy(player, 'queue:join');
      return busy ?? this.wait(player, plan);
    }
    // Both were waiting (here, or in the shared queue): neither waits any more.
    this.leaveQueueQuietly(player, false);
    this.leaveQueueQuietly(partner, false);
    return answer('call:started', this.startCall({ a: partner, b: player }, plan).started.b);
  }

  /** Is this player waiting here for a quick match? */
  isWaiting(playerId: string): boolean {
    return (this.players.get(playerId)?.queue ?? null) !== null;
  }

  /** The queue a plan waits in (players wanting the same kind of call). */
  queueOf(plan: CallPlan): string {
    return queueKey(plan);
  }

  private wait(player: Player, plan: CallPlan, tell = true): LobbyResult {
    const key = queueKey(plan);
    const offerTimer = this.opts.clock.setTimeout(() => this.opts.outbox.toPlayer(player.id, 'queue:bot-offer', {}), this.opts.botOfferAfterMs);
    player.queue = { plan, since: this.opts.clock.now(), offerTimer };
    const line = this.waiting.get(key) ?? new Set<Player>();
    line.add(player);
    this.waiting.set(key, line);
    const waiting = { line: plan.line, botOfferAfterMs: this.opts.botOfferAfterMs };
    if (tell) this.opts.outbox.toPlayer(player.id, 'queue:waiting', waiting);
    return answer('queue:waiting', waiting);
  }

  leaveQueue(playerId: string): LobbyResult {
    const player = this.get(playerId);
    if (player.queue === null) return fail('queue/not-waiting', 'queue:leave');
    this.leaveQueueQuietly(player);
    this.opts.outbox.toPlayer(player.id, 'queue:left', {});
    return answer('queue:left', {});
  }

  /** Take the bot offered while waiting. */
  acceptBot(playerId: string): LobbyResult {
    const player = this.get(playerId);
    if (player.queue === null) return fail('queue/not-waiting', 'queue:accept-bot');
    if (this.closing) return fail('server/closing', 'queue:accept-bot');
    const plan = player.queue.plan;
    this.leaveQueueQuietly(player);
    return answer('call:started', this.startBotCall(player, plan));
  }

  practice(playerId: string, plan: CallPlan): LobbyResult {
    const player = this.get(playerId);
    const busy = this.busy(player, 'call:practice');
    if (busy !== null) return busy;
    return answer('call:started', this.startBotCall(player, plan));
  }

  /**
   * The partner dropped and the player would rather finish the call than wait: a bot
   * takes the partner's seat and plays on from where the call is.
   */
  takeover(playerId: string): LobbyResult {
    const player = this.get(playerId);
    if (player.call === null || player.call.runner.ended) return fail('call/not-in-call', 'call:takeover');
    const { runner, side } = player.call;
    const other: Side = side === 'a' ? 'b' : 'a';
    const partner = this.players.get(runner.players[other].playerId);
    if (partner === undefined || partner.connected || partner.bot !== null) return fail('call/partner-here', 'call:takeover');
    const bot = this.makeBot(player.lang, { ...this.planOf(runner), level: null }, runner.players[other].name);
    this.detach(partner);
    bot.call = { runner, side: other };
    const status = runner.replacePlayer(other, { playerId: bot.id, name: bot.name, bot: true });
    bot.bot?.receive('call:started', runner.snapshotFor(other));
    this.opts.log.info({ call: runner.id, side: other }, 'bot took over');
    return answer('call:partner', status);
  }

  /** A private call: an unguessable code the host shares; the call starts when a friend joins. */
  createPrivate(playerId: string, plan: CallPlan, reserved?: string): LobbyResult {
    const player = this.get(playerId);
    const busy = this.busy(player, 'call:create');
    if (busy !== null) return busy;
    const code = reserved ?? this.freshCode();
    this.privateCalls.set(code, { code, hostId: player.id, plan });
    player.hosting = code;
    const created = { code, link: `/?join=${code}` };
    this.opts.outbox.toPlayer(player.id, 'call:created', created);
    return answer('call:created', created);
  }

  joinPrivate(playerId: string, rawCode: string): MaybePromise<LobbyResult> {
    const player = this.get(playerId);
    const code = normalizeCode(rawCode);
    if (this.closing) return fail('server/closing', 'call:join');
    const waiting = this.privateCalls.get(code);
    if (waiting === undefined) {
      if (this.calls.has(code)) return fail('call/full', 'call:join');
      const notFound = fail(this.endedCodes.has(code) ? 'call/ended' : 'call/not-found', 'call:join');
      if (this.workshops === null) return notFound;
      // Perhaps a workshop's code: the store knows.
      const admit = (): LobbyResult | null => {
        if (this.closing) return fail('server/closing', 'call:join');
        if (this.isInCall(player.id)) return fail('call/already-in-call', 'call:join');
        this.leaveQueueQuietly(player);
        return null;
      };
      return this.workshops.join(player.id, code, player.resumeToken, admit).then((joined) => joined ?? notFound);
    }
    if (waiting.hostId === player.id) return fail('call/already-in-call', 'call:join');
    const busy = this.busy(player, 'call:join');
    if (busy !== null) return busy;
    const host = this.get(waiting.hostId);
    this.dropCode(code);
    host.hosting = null;
    return answer('call:started', this.startCall({ a: host, b: player }, waiting.plan, code).started.b);
  }

  /**
   * "Call again" after a call ended, with the same partner and the same kind of call. A
   * bot always agrees; a person is asked, and the new call starts once both have asked.
   */
  rematch(playerId: string): LobbyResult {
    const player = this.get(playerId);
    if (player.call === null) return fail('call/not-in-call', 'call:rematch');
    const { runner, side } = player.call;
    if (!runner.ended) return fail('call/not-over', 'call:rematch');
    if (runner.tag !== null) return fail('call/rematch-workshop', 'call:rematch');
    if (this.closing) return fail('server/closing', 'call:rematch');
    const other: Side = side === 'a' ? 'b' : 'a';
    const plan = this.planOf(runner);
    if (runner.players[other].bot) {
      this.detach(player);
      const bot = this.makeBot(player.lang, plan, runner.players[other].name);
      const pair = side === 'a' ? { a: player, b: bot } : { a: bot, b: player };
      return answer('call:started', this.startCall(pair, plan).started[side]);
    }
    const partner = this.players.get(runner.players[other].playerId);
    if (partner === undefined || !partner.connected || partner.call?.runner !== runner) return fail('call/partner-gone', 'call:rematch');
    const wants = this.rematches.get(runner.id) ?? new Set<Side>();
    wants.add(side);
    if (wants.has(other)) {
      this.rematches.delete(runner.id);
      this.detach(player);
      this.detach(partner);
      const pair = side === 'a' ? { a: player, b: partner } : { a: partner, b: player };
      return answer('call:started', this.startCall(pair, plan).started[side]);
    }
    this.rematches.set(runner.id, wants);
    const status: RematchStatus = { callId: runner.id, wants: { a: wants.has('a'), b: wants.has('b') }, left: null };
    this.opts.outbox.toPlayer(partner.id, 'call:rematch-status', status);
    this.opts.outbox.toPlayer(player.id, 'call:rematch-status', status);
    return answer('call:rematch-status', status);
  }

  /** Leave the current call (hanging up if it is still on), or stop hosting or waiting. */
  leave(playerId: string): LobbyResult {
    const player = this.get(playerId);
    const from = player.call !== null ? 'call' : player.hosting !== null ? 'hosting' : player.queue !== null ? 'queue' : null;
    if (from === null) return fail('call/not-in-call', 'call:leave');
    if (player.call !== null) {
      const { runner, side } = player.call;
      if (!runner.ended) runner.act(side, 'hang-up');
      else this.leftAfterCall(runner, side);
      this.detach(player);
    }
    if (player.hosting !== null) {
      this.dropCode(player.hosting);
      player.hosting = null;
    }
    this.leaveQueueQuietly(player);
    this.opts.outbox.toPlayer(player.id, 'call:left', { from });
    return answer('call:left', { from });
  }

  /** The player's last connection closed. */
  disconnected(playerId: string): void {
    const player = this.players.get(playerId);
    if (player === undefined) return;
    player.connected = false;
    if (player.queue !== null) this.leaveQueueQuietly(player);
    if (player.call !== null && !player.call.runner.ended) {
      player.call.runner.playerDropped(player.call.side, this.opts.graceMs);
    }
    if (player.forgetTimer !== null) this.opts.clock.clearTimeout(player.forgetTimer);
    player.forgetTimer = this.opts.clock.setTimeout(() => this.forget(player), this.opts.graceMs);
    this.workshops?.presence(player.id);
  }

  /** From now on no new player, call or workshop: the server is about to shut down. */
  beginClosing(): void {
    this.closing = true;
  }

  /** Shutting down: end every call and tell everyone. */
  shutdown(): void {
    this.closing = true;
    for (const runner of [...this.calls.values()]) runner.shutdown();
    for (const player of this.players.values()) {
      if (player.queue !== null) this.leaveQueueQuietly(player);
      if (player.forgetTimer !== null) this.opts.clock.clearTimeout(player.forgetTimer);
    }
    this.workshops?.stop();
  }

  private inCall(playerId: string, event: string, run: (runner: CallRunner, side: Side) => RunnerResult): LobbyResult {
    const player = this.get(playerId);
    if (player.call === null) return fail('call/not-in-call', event);
    const result = run(player.call.runner, player.call.side);
    return result.ok ? answer('call:update', result.update) : fail(result.code, event);
  }

  /** Why the player cannot start something new (`event`), or null if they can. */
  private busy(player: Player, event: string): LobbyResult | null {
    if (this.closing) return fail('server/closing', event);
    if (player.call !== null && !player.call.runner.ended) return fail('call/already-in-call', event);
    if (player.queue !== null) return fail('queue/already-waiting', event);
    if (player.hosting !== null) return fail('call/already-in-call', event);
    if (player.call !== null) this.detach(player);
    return null;
  }

  /** A call with a bot; returns what the player (side a) was told. */
  private startBotCall(player: Player, plan: CallPlan): CallStarted {
    return this.startCall({ a: player, b: this.makeBot(player.lang, plan) }, plan).started.a;
  }

  /** A bot player: in the lobby like anyone, hearing its seat in-process, answering with requests. */
  private makeBot(lang: Lang, plan: CallPlan, name?: string, botId?: string): Player {
    const id = botId ?? `bot-${this.opts.random.token()}`;
    const bot = new BotPlayer({
      clock: this.opts.clock,
      lang,
      personality: plan.personality,
      plan: plan.level?.partner ?? null,
      seed: this.opts.random.int(2 ** 31),
      speed: this.opts.botSpeed,
      request: (event, payload) => {
        // The same path as a browser's request: the shared schema first, then the lobby.
        const parsed = parseRequest(event, payload);
        const result: MaybePromise<LobbyResult> = !parsed.ok ? { ok: false, error: parsed.error } : parsed.request.event === 'hello' ? fail('session/already-hello') : this.handle(id, parsed.request);
        void whenDone(result, (r) => {
          if (!r.ok) this.opts.log.debug({ bot: id, event, code: r.error.code }, 'bot request refused');
        });
      },
    });
    const player: Player = {
      id,
      name: name ?? (lang === 'zh' ? '小T' : 'Tess'),
      lang,
      resumeToken: '',
      connected: true,
      queue: null,
      hosting: null,
      call: null,
      forgetTimer: null,
      bot,
    };
    this.players.set(id, player);
    return player;
  }

  private planOf(runner: CallRunner): CallPlan {
    return { line: runner.line, teaching: runner.teaching, level: runner.level, personality: runner.personality ?? 'prompt' };
  }

  /** Start a call between two players; returns it and what each side was told. */
  private startCall(players: { a: Player; b: Player }, plan: CallPlan, code: string | null = null, tag: CallTag | null = null): { runner: CallRunner; started: Readonly<Record<Side, CallStarted>> } {
    const id = code ?? this.opts.random.token();
    const level = plan.level;
    const storyNumbers = level === null ? plan.line === 'perfect' : level.iss === 'story';
    const botB = players.b.bot !== null;
    const base = LINE_PRESETS[plan.line];
    const seat = (p: Player) => ({ playerId: p.id, name: p.name, lang: p.lang, resumeToken: p.resumeToken, bot: p.bot !== null });
    const meta: CallMeta = {
      id,
      code,
      line: plan.line,
      // A bot with a terrible line: everything it sends crosses the worst line there is.
      conditions: botB && plan.personality === 'terrible-line' ? { ...base, bToA: LINE_PRESETS.terrible.bToA } : base,
      seed: this.opts.random.int(2 ** 31),
      iss: storyNumbers ? { a: 1, b: 3 } : { a: 100 + this.opts.random.int(9_900), b: 100 + this.opts.random.int(9_900) },
      config: plan.teaching ? TEACHING_CONFIG : null,
      level: level?.id ?? null,
      personality: botB ? plan.personality : null,
      teaching: plan.teaching,
      tag,
      maxCallMs: this.opts.maxCallMs,
      startedEpoch: this.wallClock(),
      seats: { a: seat(players.a), b: seat(players.b) },
    };
    const runner = new CallRunner({
      ...this.runnerOptions(meta, level),
      players: { a: { playerId: players.a.id, name: players.a.name, bot: players.a.bot !== null }, b: { playerId: players.b.id, name: players.b.name, bot: botB } },
      ...(this.book === null ? {} : { journal: this.book.begin(meta) }),
    });
    this.calls.set(id, runner);
    this.callsStarted++;
    for (const side of ['a', 'b'] as const) {
      const p = players[side];
      p.call = { runner, side };
      if (p.bot === null) this.opts.rooms.join(p.id, callRoom(id));
    }
    this.opts.log.info({ call: id, line: plan.line, level: level?.id ?? null, bot: botB, a: players.a.id, b: players.b.id }, 'call started');
    const started = runner.start();
    // A private host may have dropped while waiting for the friend: the seat is on hold.
    for (const side of ['a', 'b'] as const) {
      if (!players[side].connected) runner.playerDropped(side, this.opts.graceMs);
    }
    return { runner, started };
  }

  /** A runner's options from what its call started with (here, or on another server). */
  private runnerOptions(meta: CallMeta, level: Level | null): Omit<RunnerOptions, 'players'> {
    return {
      id: meta.id,
      code: meta.code,
      line: meta.line,
      conditions: meta.conditions,
      seed: meta.seed,
      iss: meta.iss,
      ...(meta.config === null ? {} : { config: meta.config }),
      level,
      personality: meta.personality,
      teaching: meta.teaching,
      tag: meta.tag,
      clock: this.opts.clock,
      outbox: this.opts.outbox,
      maxCallMs: meta.maxCallMs,
      onEnd: (r, summary) => this.ended(r, summary),
    };
  }

  private ended(runner: CallRunner, summary: CallSummary): void {
    this.calls.delete(runner.id);
    if (runner.tag !== null) this.workshops?.ended(runner, summary, runner.goal());
    // Its journal expires once its result is kept.
    this.book?.ended(runner.id, runner.tag === null ? Promise.resolve() : (this.workshops?.idle() ?? Promise.resolve()));
    if (runner.code !== null) {
      this.endedCodes.add(runner.code);
      if (this.endedCodes.size > 10_000) this.endedCodes.delete(this.endedCodes.values().next().value ?? '');
    }
    this.opts.log.info(
      { call: runner.id, line: runner.line, level: runner.level?.id ?? null, outcome: summary.outcome, by: summary.by, handshakeMs: summary.handshakeMs, callMs: summary.callMs, lost: summary.lostSegments },
      'call ended',
    );
    for (const side of ['a', 'b'] as const) {
      const player = this.players.get(runner.players[side].playerId);
      if (player?.bot !== null && player?.bot !== undefined) {
        player.bot.stop();
        this.players.delete(player.id);
        continue;
      }
      if (player !== undefined && !player.connected && player.call?.runner === runner) {
        this.missedEnds.set(player.id, player.call);
        this.detach(player);
        // Its forget timer may have run while the call was still on: forget it now.
        if (player.forgetTimer === null) this.forget(player);
      }
    }
  }

  /** A player left an ended call: a partner still on its end screen can no longer call again. */
  private leftAfterCall(runner: CallRunner, side: Side): void {
    const wanted = this.rematches.get(runner.id);
    this.rematches.delete(runner.id);
    const other: Side = side === 'a' ? 'b' : 'a';
    const partner = this.players.get(runner.players[other].playerId);
    if (partner === undefined || partner.bot !== null || partner.call?.runner !== runner) return;
    const status: RematchStatus = { callId: runner.id, wants: { a: wanted?.has('a') === true && side !== 'a', b: wanted?.has('b') === true && side !== 'b' }, left: side };
    this.opts.outbox.toPlayer(partner.id, 'call:rematch-status', status);
  }

  private detach(player: Player): void {
    if (player.call === null) return;
    // With one of its players gone from it, an ended call can no longer be called again.
    if (player.call.runner.ended) this.rematches.delete(player.call.runner.id);
    if (player.bot === null) this.opts.rooms.leave(player.id, callRoom(player.call.runner.id));
    player.call = null;
  }

  private leaveQueueQuietly(player: Player, tell = true): void {
    if (player.queue === null) return;
    this.opts.clock.clearTimeout(player.queue.offerTimer);
    const key = queueKey(player.queue.plan);
    const line = this.waiting.get(key);
    line?.delete(player);
    if (line?.size === 0) this.waiting.delete(key);
    player.queue = null;
    if (tell) this.hooks.queueLeft?.(player.id, key);
  }

  private dropCode(code: string): void {
    this.privateCalls.delete(code);
    this.hooks.codeGone?.(code);
  }

  private forget(player: Player): void {
    player.forgetTimer = null;
    if (player.connected || (player.call !== null && !player.call.runner.ended)) return;
    if (player.hosting !== null) this.dropCode(player.hosting);
    this.detach(player);
    this.missedEnds.delete(player.id);
    this.players.delete(player.id);
    this.byToken.delete(player.resumeToken);
    if (player.bot === null) this.hooks.forgotten?.(player.id, player.resumeToken);
  }

  private get(playerId: string): Player {
    const player = this.players.get(playerId);
    if (player === undefined) throw new Error(`unknown player ${playerId}`);
    return player;
  }

  private welcome(player: Player, resumed: boolean) {
    return { playerId: player.id, name: player.name, lang: player.lang, resumeToken: player.resumeToken, resumed };
  }

  private generatedName(lang: Lang): string {
    const words = NAMES[lang];
    const first = words.first[this.opts.random.int(words.first.length)] ?? words.first[0];
    const second = words.second[this.opts.random.int(words.second.length)] ?? words.second[0];
    return lang === 'zh' ? `${first}${second}` : `${first} ${second}`;
  }
}

function planRecord(plan: CallPlan): PlanRecord {
  return { line: plan.line, teaching: plan.teaching, level: plan.level?.id ?? null, personality: plan.personality };
}

function queueKey(plan: CallPlan): string {
  return `${plan.line}|${plan.teaching ? 1 : 0}|${plan.level?.id ?? ''}`;
}



