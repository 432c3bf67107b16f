/**
 * Workshops: a host, a room of participants, rounds of calls. The host (anyone holding the
 * workshop's secret) starts and ends rounds, picks the lesson and the line, rotates
 * partners, renames or removes participants, shows a leaderboard and exports results;
 * participants join by code, are paired at each round (an odd one out or a late joiner
 * gets a bot), and keep their seat across reloads and server restarts (the store).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Side } from '../shared/call';
import { misconceptions, type MisconceptionReport } from '../shared/game/advice';
import { levelById, type GoalResult, type LevelId } from '../shared/game/levels';
import { STEPS, type Step } from '../shared/game/steps';
import type { CallSummary } from '../shared/game/summary';
import { normalizeCode } from '../shared/wire';
import type { Dashboard, LineName, ServerPayload, ServerToClientEvents, WireError, WorkshopStatus } from '../shared/wire';
import type { Clock, TimerHandle } from './clock';
import type { Logger } from './log';
import type { Random } from './random';
import { callRoom } from './rooms';
import type { CallRunner } from './runner';
import { answer, fail, type RequestResult } from './result';
import { hashToken, type PairingRow, type ParticipantRow, type ResultRow, type Store, type WorkshopRow } from './store';

export type WorkshopResult = RequestResult;

/** What the workshops need from the lobby: players by id, and calls started and ended. */
export interface WorkshopLobby {
  isConnected(playerId: string): boolean;
  isInCall(playerId: string): boolean;
  nameOf(playerId: string): string | undefined;
  /** Start a call for a workshop round; `b` null means a bot. Returns the call. */
  startWorkshopCall(a: string, b: string | null, plan: { line: LineName; teaching: boolean; level: LevelId | null }, tag: CallTag): CallRunner;
  /** Make sure a participant restored from the store exists as a player. */
  restorePlayer(p: ParticipantRow): void;
  rename(playerId: string, name: string): void;
  /** Take a removed participant out of their call and the workshop. */
  evict(playerId: string): void;
  joinRoom(playerId: string, room: string): void;
  leaveRoom(playerId: string, room: string): void;
  emitToRoom<E extends keyof ServerToClientEvents>(room: string, event: E, payload: ServerPayload<E>): void;
  emitToPlayer<E extends keyof ServerToClientEvents>(playerId: string, event: E, payload: ServerPayload<E>): void;
  /** Is the server shutting down (no new call may start)? */
  isClosing(): boolean;
}

export interface CallTag {
  readonly workshopId: string;
  readonly round: number;
}

export const DEFAULT_PROMPTS = {
  en: ['What is the best sound you heard today?', 'If you could call anyone in history, who would it be?', 'What would you teach a robot first?'],
  zh: ['今天听到的最好听的声音是什么？', '如果能给历史上任何一个人打电话，你会打给谁？', '你会先教机器人什么？'],
} as const;

const DASHBOARD_EVERY_MS = 250;

export function hostRoom(workshopId: string): string {
  return `host:${workshopId}`;
}
export function workshopRoom(workshopId: string): string {
  return `workshop:${workshopId}`;
}

interface Live {
  readonly runner: CallRunner;
  readonly round: number;
  readonly a: string;
  readonly b: string | null;
}

export class Workshops {
  /** Live calls of workshops, by call id. */
  private readonly live = new Map<string, Live>();
  /** Participants' workshop, by participant (player) id. */
  private readonly memberOf = new Map<string, string>();
  /** The call each workshop's host shows on the big screen, and the host player watching it. */
  private readonly shown = new Map<string, { readonly callId: string; readonly host: string }>();
  private readonly dashboardTimers = new Map<string, TimerHandle>();
  /** Each workshop's work runs one piece at a time, in the order it came: the tail of its queue. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Results of calls that ended and are not written yet, by workshop. */
  private readonly unwritten = new Map<string, ResultRow[]>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly lobby: WorkshopLobby,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly log: Logger,
    private readonly codeTaken: (code: string) => boolean,
    private readonly options: { readonly roundsOutliveServer?: boolean } = {},
  ) {}

  /**
   * Before the server takes anyone: the schema up to date, and rounds a restart cut short
   * ended (their calls did not survive). Not with several servers: there a round's calls
   * outlive any one server (server/journal.ts), and a server starting again ends nothing.
   */
  async open(): Promise<void> {
    await this.store.migrate();
    if (this.options.roundsOutliveServer !== true) await this.store.closeOpenRounds();
  }

  /** A participant now seated on this server (handed over, or their call carried on here). */
  adoptMember(playerId: string, workshopId: string): void {
    this.memberOf.set(playerId, workshopId);
  }

  /** A participant handed over to another server. */
  memberLeft(playerId: string): void {
    this.memberOf.delete(playerId);
  }

  /** A round's call carried on here (rebuilt from its journal): its result is kept here. */
  adoptCall(runner: CallRunner, a: string | null, b: string | null): void {
    const tag = runner.tag;
    if (tag === null || a === null) return;
    this.live.set(runner.id, { runner, round: tag.round, a, b });
    this.pushDashboardSoon(tag.workshopId);
  }

  /** A round's call handed over to another server. */
  released(callId: string): void {
    this.live.delete(callId);
  }

  /** Resolves once every workshop's queue is empty: every result written, everyone told. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all(this.queues.values());
  }

  /**
   * Shutting down (every call has ended): no more dashboard refreshes, presence or
   * greetings, so nothing new reaches for the store once it is about to close. Results
   * already queued are still written (see `idle`).
   */
  stop(): void {
    this.stopped = true;
    for (const timer of this.dashboardTimers.values()) this.clock.clearTimeout(timer);
    this.dashboardTimers.clear();
  }

  workshopOf(playerId: string): string | null {
    return this.memberOf.get(playerId) ?? null;
  }

  create(playerId: string, title: string, line: LineName, teaching: boolean, lang: 'en' | 'zh'): Promise<WorkshopResult> {
    return this.guard('workshop:create', async () => {
      let code = this.random.code();
      while (this.codeTaken(code) || (await this.store.workshopByCode(code)) !== null) code = this.random.code();
      const hostToken = this.random.token();
      const row: WorkshopRow = {
        id: this.random.token(),
        code,
        title,
        hostTokenHash: hashToken(hostToken),
        createdAt: Date.now(),
        level: 'hello',
        line,
        teaching,
        leaderboard: false,
        prompts: DEFAULT_PROMPTS[lang],
        round: 0,
        roundOpen: false,
      };
      await this.store.createWorkshop(row);
      return this.serial(row.id, async () => {
        this.lobby.joinRoom(playerId, hostRoom(row.id));
        const created = { code, title, hostToken, joinLink: `/?join=${code}`, hostLink: `/host.html?w=${code}` };
        this.lobby.emitToPlayer(playerId, 'workshop:created', created);
        await this.pushDashboard(row.id);
        this.log.info({ workshop: row.id, code }, 'workshop created');
        return answer('workshop:created', created);
      });
    });
  }

  /** A player proves it is the host (the code and the secret): it gets the dashboard, now and whenever it changes. */
  host(playerId: string, code: string, hostToken: string): Promise<WorkshopResult> {
    return this.asHost(playerId, code, hostToken, 'workshop:host', (row) => this.answerHost(row.id));
  }

  /**
   * A participant joins by code (or comes back to the same workshop), keeping their resume
   * token. Null if no workshop has that code. `admit` is asked, in the workshop's turn,
   * whether the player may join now (the lobby's own checks); a refusal is the answer.
   */
  join(playerId: string, code: string, resumeToken: string, admit: () => WorkshopResult | null): Promise<WorkshopResult | null> {
    return this.guard('call:join', async () => {
      const found = await this.store.workshopByCode(code);
      if (found === null) return null;
      return this.serial(found.id, async () => {
        const row = (await this.store.workshopById(found.id)) ?? found;
        const participants = await this.store.participants(row.id);
        const refused = admit();
        if (refused !== null) return refused;
        const known = participants.find((p) => p.id === playerId);
        if (known?.removed === true) return fail('workshop/removed', 'call:join');
        if (known === undefined) {
          const name = this.lobby.nameOf(playerId) ?? 'Guest';
          const joined: ParticipantRow = { id: playerId, workshopId: row.id, name, resumeToken, joinedAt: Date.now(), removed: false };
          await this.store.addParticipant(joined);
          participants.push(joined);
        }
        this.memberOf.set(playerId, row.id);
        this.lobby.joinRoom(playerId, workshopRoom(row.id));
        const results = row.leaderboard ? await this.store.results(row.id) : null;
        const status = this.statusOf(row, participants, results, playerId);
        this.lobby.emitToPlayer(playerId, 'workshop:status', status);
        // A late joiner during a round plays at once, with a bot (once a round).
        if (row.roundOpen) {
          const playedThisRound = (await this.store.pairings(row.id)).some((p) => p.round === row.round && (p.a === playerId || p.b === playerId));
          if (!playedThisRound && this.lobby.isConnected(playerId) && !this.lobby.isInCall(playerId) && !this.lobby.isClosing()) {
            await this.store.addPairings([this.startPair(row, playerId, null)]);
          }
        }
        await this.pushDashboard(row.id);
        return answer('workshop:status', status);
      });
    });
  }

  /** The lobby asks how to recreate a player from a resume token it does not know (after a restart). */
  async restore(resumeToken: string): Promise<ParticipantRow | null> {
    const p = await this.store.participantByToken(resumeToken);
    if (p === null || p.removed) return null;
    this.memberOf.set(p.id, p.workshopId);
    return p;
  }

  /** A participant's connection came or went: the host's list shows it. */
  presence(playerId: string): void {
    const workshopId = this.memberOf.get(playerId);
    if (workshopId !== undefined && !this.stopped) this.background(workshopId, () => this.pushDashboard(workshopId));
  }

  /** A participant changed their name (between calls): the roster follows. Null if they are in no workshop. */
  renamed(playerId: string, name: string): Promise<void> | null {
    const workshopId = this.memberOf.get(playerId);
    if (workshopId === undefined) return null;
    return this.serial(workshopId, async () => {
      await this.store.updateParticipant(playerId, { name });
      await this.pushDashboard(workshopId);
    });
  }

  /** A participant (or the host) came back or said hello: resend what they need. */
  greet(playerId: string): void {
    const workshopId = this.memberOf.get(playerId);
    if (workshopId === undefined || this.stopped) return;
    this.background(workshopId, async () => {
      const row = await this.store.workshopById(workshopId);
      if (row === null) return;
      this.lobby.joinRoom(playerId, workshopRoom(workshopId));
      this.lobby.emitToPlayer(playerId, 'workshop:status', await this.status(row, playerId));
      await this.pushDashboard(workshopId);
    });
  }

  round(playerId: string, code: string, hostToken: string, action: 'start' | 'end', level: LevelId | null | undefined, rotate: boolean): Promise<WorkshopResult> {
    return this.asHost(playerId, code, hostToken, 'workshop:round', async (row) => {
      if (action === 'end') {
        if (!row.roundOpen) return fail('workshop/no-round', 'workshop:round');
        await this.store.updateWorkshop(row.id, { roundOpen: false });
        for (const [, call] of this.live) if (call.runner.tag?.workshopId === row.id) call.runner.endByHost();
        // The calls just ended: their results are part of the answer.
        await this.flush(row.id);
        await this.broadcastStatus(row.id);
        return this.answerHost(row.id);
      }
      if (row.roundOpen) return fail('workshop/round-open', 'workshop:round');
      const participants = await this.store.participants(row.id);
      const met = new Set<string>();
      if (rotate) for (const p of await this.store.pairings(row.id)) if (p.b !== null) met.add(pairKey(p.a, p.b));
      // Who is ready is asked again after the write, right before the calls start: no await in between.
      const ready = () => participants.filter((p) => !p.removed && this.lobby.isConnected(p.id) && !this.lobby.isInCall(p.id)).map((p) => p.id);
      if (ready().length === 0) return fail('workshop/too-few', 'workshop:round');
      if (this.lobby.isClosing()) return fail('server/closing', 'workshop:round');
      const chosen = level === undefined ? row.level : level;
      // A lesson brings its own line; the host can still change the weather during the round.
      const line = chosen === null ? row.line : levelById(chosen).line;
      const next = { ...row, round: row.round + 1, roundOpen: true, level: chosen, line };
      await this.store.updateWorkshop(row.id, { round: next.round, roundOpen: true, level: chosen, line });
      const players = this.lobby.isClosing() ? [] : ready();
      const pairs = this.pairUp(players, met, next.round).map(([a, b]) => this.startPair(next, a, b));
      await this.store.addPairings(pairs);
      this.log.info({ workshop: row.id, round: next.round, players: players.length }, 'round started');
      await this.broadcastStatus(row.id);
      return this.answerHost(row.id);
    });
  }

  weather(playerId: string, code: string, hostToken: string, line: LineName, callId: string | undefined): Promise<WorkshopResult> {
    return this.asHost(playerId, code, hostToken, 'workshop:weather', async (row) => {
      if (callId !== undefined) {
        const call = this.live.get(callId);
        if (call === undefined || call.runner.tag?.workshopId !== row.id) return fail('workshop/call-not-found', 'workshop:weather');
        call.runner.setLine(line);
      } else {
        await this.store.updateWorkshop(row.id, { line });
        for (const [, call] of this.live) if (call.runner.tag?.workshopId === row.id) call.runner.setLine(line);
      }
      return this.answerHost(row.id);
    });
  }

  participant(playerId: string, code: string, hostToken: string, participantId: string, action: 'rename' | 'remove', name: string | undefined): Promise<WorkshopResult> {
    return this.asHost(playerId, code, hostToken, 'workshop:participant', async (row) => {
      const p = (await this.store.participants(row.id)).find((x) => x.id === participantId);
      if (p === undefined) return fail('workshop/no-participant', 'workshop:participant');
      if (action === 'rename') {
        if (name === undefined) return fail('input/invalid', 'workshop:participant');
        await this.store.updateParticipant(p.id, { name });
        this.lobby.rename(p.id, name);
        this.lobby.emitToPlayer(p.id, 'workshop:status', await this.status(row, p.id));
      } else {
        await this.store.updateParticipant(p.id, { removed: true });
        this.lobby.emitToPlayer(p.id, 'workshop:removed', { code: row.code });
        this.memberOf.delete(p.id);
        this.lobby.evict(p.id);
      }
      return this.answerHost(row.id);
    });
  }

  /**
   * The host watches one live call of the round, read-only (`callId`), or stops (null).
   * The host's connection joins the call's room, so its updates reach the big screen as
   * they reach the players; both players are told they are being shown.
   */
  spectate(playerId: string, code: string, hostToken: string, callId: string | null): Promise<WorkshopResult> {
    return this.asHost(playerId, code, hostToken, 'workshop:spectate', async (row) => {
      const call = callId === null ? undefined : this.live.get(callId);
      if (callId !== null && (call === undefined || call.runner.tag?.workshopId !== row.id)) return fail('workshop/call-not-found', 'workshop:spectate');
      const before = this.shown.get(row.id);
      if (before !== undefined && before.callId !== callId) {
        this.lobby.leaveRoom(before.host, callRoom(before.callId));
        const old = this.live.get(before.callId);
        if (old !== undefined) old.runner.shown = false;
        this.lobby.emitToRoom(callRoom(before.callId), 'call:shown', { callId: before.callId, on: false });
        this.shown.delete(row.id);
      }
      if (call === undefined) {
        const none = { callId: null, call: null };
        this.lobby.emitToPlayer(playerId, 'workshop:spectating', none);
        await this.pushDashboard(row.id);
        return answer('workshop:spectating', none);
      }
      this.shown.set(row.id, { callId: call.runner.id, host: playerId });
      call.runner.shown = true;
      this.lobby.emitToRoom(callRoom(call.runner.id), 'call:shown', { callId: call.runner.id, on: true });
      this.lobby.joinRoom(playerId, callRoom(call.runner.id));
      const spectating = { callId: call.runner.id, call: call.runner.snapshotFor('a') };
      this.lobby.emitToPlayer(playerId, 'workshop:spectating', spectating);
      await this.pushDashboard(row.id);
      return answer('workshop:spectating', spectating);
    });
  }

  settings(playerId: string, code: string, hostToken: string, fields: { leaderboard?: boolean | undefined; teaching?: boolean | undefined; prompts?: readonly string[] | undefined }): Promise<WorkshopResult> {
    return this.asHost(playerId, code, hostToken, 'workshop:settings', async (row) => {
      await this.store.updateWorkshop(row.id, {
        ...(fields.leaderboard === undefined ? {} : { leaderboard: fields.leaderboard }),
        ...(fields.teaching === undefined ? {} : { teaching: fields.teaching }),
        ...(fields.prompts === undefined ? {} : { prompts: fields.prompts }),
      });
      await this.broadcastStatus(row.id);
      return this.answerHost(row.id);
    });
  }

  /** Results for the host's export, with names; null if the code or secret is wrong. Rejects if the store cannot be reached. */
  async export(
    code: string,
    hostToken: string,
  ): Promise<{ workshop: WorkshopRow; rows: (ResultRow & { name: string; partner: string })[]; reports: MisconceptionReport[] } | null> {
    const found = await this.store.workshopByCode(normalizeCode(code));
    if (found === null || !keyMatches(found, hostToken)) return null;
    return this.serial(found.id, async () => {
      const workshop = (await this.store.workshopById(found.id)) ?? found;
      const participants = await this.store.participants(workshop.id);
      const results = await this.store.results(workshop.id);
      const names = new Map(participants.map((p) => [p.id, p.name]));
      const rows = results.map((r) => ({ ...r, name: names.get(r.participantId) ?? '', partner: r.partnerId === null ? 'bot' : names.get(r.partnerId) ?? '' }));
      return { workshop, rows, reports: misconceptions(participants.filter((p) => !p.removed), results) };
    });
  }

  /** A workshop call changed: refresh the host's dashboard soon (at most every 250 ms). */
  touched(callId: string): void {
    const call = this.live.get(callId);
    if (call?.runner.tag !== undefined && call.runner.tag !== null) this.pushDashboardSoon(call.runner.tag.workshopId);
  }

  /**
   * A workshop call ended: keep every human's result. The results are written in the
   * workshop's turn, before anything else it does next (see `serial`); then everyone hears.
   */
  ended(runner: CallRunner, summary: CallSummary, goal: GoalResult | null): void {
    const call = this.live.get(runner.id);
    const tag = runner.tag;
    if (call === undefined || tag === null || tag === undefined) return;
    this.live.delete(runner.id);
    const rows = this.unwritten.get(tag.workshopId) ?? [];
    for (const side of ['a', 'b'] as const) {
      const participantId = side === 'a' ? call.a : call.b;
      if (participantId === null) continue;
      const figures = summary.sides[side];
      rows.push({
        workshopId: tag.workshopId,
        round: tag.round,
        callId: runner.id,
        participantId,
        partnerId: side === 'a' ? call.b : call.a,
        level: runner.level?.id ?? null,
        outcome: summary.outcome,
        goalMet: goal?.met ?? null,
        score: figures.score,
        handshakeMs: summary.handshakeMs,
        callMs: summary.callMs,
        retransmissions: figures.retransmissions,
        correctMoves: figures.correctMoves,
        wrongMoves: figures.wrongMoves,
        mistakes: runner.mistakes(side),
        finishedAt: Date.now(),
      });
    }
    this.unwritten.set(tag.workshopId, rows);
    this.background(tag.workshopId, async () => {
      await this.broadcastStatus(tag.workshopId);
      await this.pushDashboard(tag.workshopId);
    });
  }

  /** The host's dashboard as the store and the live calls have it now; null if there is no such workshop. */
  async dashboard(workshopId: string): Promise<Dashboard | null> {
    const row = await this.store.workshopById(workshopId);
    if (row === null) return null;
    const participants = await this.store.participants(row.id);
    const results = await this.store.results(row.id);
    const pairings = await this.store.pairings(row.id);
    const scores = new Map<string, number>();
    for (const r of results) scores.set(r.participantId, (scores.get(r.participantId) ?? 0) + r.score);
    const callOf = new Map<string, string>();
    const pairs: Dashboard['pairs'][number][] = [];
    for (const [callId, call] of this.live) {
      if (call.runner.tag?.workshopId !== row.id) continue;
      callOf.set(call.a, callId);
      if (call.b !== null) callOf.set(call.b, callId);
      const state = call.runner.state.endpoints;
      const end = (side: Side, id: string | null) => ({ participantId: id, name: call.runner.players[side].name, state: state[side].state });
      pairs.push({
        callId,
        a: end('a', call.a),
        b: end('b', call.b),
        line: call.runner.currentLine,
        outcome: null,
        goalMet: call.runner.goal()?.met ?? null,
        ...call.runner.trouble(),
        shown: this.shown.get(row.id)?.callId === callId,
      });
    }
    // The round's finished calls, too.
    const finished = new Map<string, ResultRow[]>();
    for (const r of results) if (r.round === row.round) finished.set(r.callId, [...(finished.get(r.callId) ?? []), r]);
    const names = new Map(participants.map((p) => [p.id, p.name]));
    for (const [callId, rows] of finished) {
      const first = rows[0];
      if (first === undefined || this.live.has(callId)) continue;
      const pairing = pairings.find((p) => p.callId === callId);
      const aId = pairing?.a ?? first.participantId;
      const bId = pairing?.b ?? null;
      pairs.push({
        callId,
        a: { participantId: aId, name: names.get(aId) ?? '', state: 'CLOSED' },
        b: { participantId: bId, name: bId === null ? 'bot' : names.get(bId) ?? '', state: 'CLOSED' },
        line: row.line,
        outcome: first.outcome,
        goalMet: first.goalMet,
        retransmissions: rows.reduce((n, r) => n + r.retransmissions, 0),
        wrongMoves: rows.reduce((n, r) => n + r.wrongMoves, 0),
        shown: this.shown.get(row.id)?.callId === callId,
      });
    }
    // Finished calls' handshakes, and those of live calls that have connected.
    const live = [...this.live.values()].filter((c) => c.runner.tag?.workshopId === row.id).map((c) => c.runner.handshakeMs);
    const finishedHandshakes = [...new Map(results.map((r) => [r.callId, r.handshakeMs])).values()];
    const handshakes = [...finishedHandshakes, ...live].filter((ms): ms is number => ms !== null).sort((x, y) => x - y);
    const byStep = Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number>;
    for (const r of results) for (const s of STEPS) byStep[s] += r.mistakes[s] ?? 0;
    const ranking = participants
      .filter((p) => !p.removed)
      .map((p) => ({ participantId: p.id, name: p.name, score: scores.get(p.id) ?? 0 }))
      .sort((x, y) => y.score - x.score || x.name.localeCompare(y.name));
    return {
      code: row.code,
      title: row.title,
      round: row.round,
      roundOpen: row.roundOpen,
      level: row.level,
      line: row.line,
      teaching: row.teaching,
      leaderboard: row.leaderboard,
      prompts: row.prompts,
      participants: participants.map((p) => ({
        id: p.id,
        name: p.name,
        connected: this.lobby.isConnected(p.id),
        removed: p.removed,
        callId: callOf.get(p.id) ?? null,
        score: scores.get(p.id) ?? 0,
      })),
      pairs,
      figures: {
        calls: new Set(results.map((r) => r.callId)).size + pairs.filter((p) => p.outcome === null).length,
        connected: handshakes.length,
        medianHandshakeMs: handshakes.length === 0 ? null : median(handshakes),
        retransmissions: results.reduce((n, r) => n + r.retransmissions, 0),
        wrongMoves: results.reduce((n, r) => n + r.wrongMoves, 0),
        mistakesByStep: byStep,
      },
      ranking,
      reports: misconceptions(participants.filter((p) => !p.removed), results),
    };
  }

  /** Start one pair's call (at once: nothing is awaited); returns the pairing to keep. */
  private startPair(row: WorkshopRow, a: string, b: string | null): PairingRow {
    const runner = this.lobby.startWorkshopCall(a, b, { line: row.line, teaching: row.teaching, level: row.level }, { workshopId: row.id, round: row.round });
    this.live.set(runner.id, { runner, round: row.round, a, b });
    return { workshopId: row.id, round: row.round, callId: runner.id, a, b };
  }

  /**
   * Pairs for a round. With partners already `met` (rotation), nobody gets a partner they
   * already had if that can be avoided (an icebreaker wants new faces); an odd one out
   * plays with a bot.
   */
  private pairUp(ready: readonly string[], met: ReadonlySet<string>, round: number): [string, string | null][] {
    // A fixed shuffle per round, so a restart pairs the same way.
    const order = [...ready].sort((x, y) => hashOf(`${round}:${x}`) - hashOf(`${round}:${y}`));
    return pairWithoutRepeats(order, met) ?? pairGreedily(order, met);
  }

  private async status(row: WorkshopRow, playerId: string): Promise<WorkshopStatus> {
    const participants = await this.store.participants(row.id);
    const results = row.leaderboard ? await this.store.results(row.id) : null;
    return this.statusOf(row, participants, results, playerId);
  }

  /** A participant's status from the roster (and, with the leaderboard on, the results). */
  private statusOf(row: WorkshopRow, participants: readonly ParticipantRow[], results: readonly ResultRow[] | null, playerId: string): WorkshopStatus {
    const me = participants.find((p) => p.id === playerId);
    let ranking: WorkshopStatus['ranking'] = null;
    if (row.leaderboard && results !== null) {
      const scores = new Map<string, number>();
      for (const r of results) scores.set(r.participantId, (scores.get(r.participantId) ?? 0) + r.score);
      ranking = participants
        .filter((p) => !p.removed)
        .map((p) => ({ name: p.name, score: scores.get(p.id) ?? 0 }))
        .sort((x, y) => y.score - x.score || x.name.localeCompare(y.name))
        .slice(0, 10);
    }
    return {
      code: row.code,
      title: row.title,
      participantId: playerId,
      name: me?.name ?? this.lobby.nameOf(playerId) ?? '',
      round: row.round,
      roundOpen: row.roundOpen,
      level: row.level,
      prompts: row.prompts,
      ranking,
    };
  }

  private async broadcastStatus(workshopId: string): Promise<void> {
    const row = await this.store.workshopById(workshopId);
    if (row === null) return;
    const participants = await this.store.participants(workshopId);
    const results = row.leaderboard ? await this.store.results(workshopId) : null;
    for (const p of participants) if (!p.removed) this.lobby.emitToPlayer(p.id, 'workshop:status', this.statusOf(row, participants, results, p.id));
  }

  /** Send the dashboard to every host connection now; returns it. */
  private async pushDashboard(workshopId: string): Promise<Dashboard | null> {
    const timer = this.dashboardTimers.get(workshopId);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.dashboardTimers.delete(workshopId);
    const board = await this.dashboard(workshopId);
    if (board !== null) this.lobby.emitToRoom(hostRoom(workshopId), 'workshop:dashboard', board);
    return board;
  }

  /** A host request was done: the dashboard, as it is now, is its answer. */
  private async answerHost(workshopId: string): Promise<WorkshopResult> {
    const board = await this.pushDashboard(workshopId);
    return board === null ? fail('workshop/not-found') : answer('workshop:dashboard', board);
  }

  private pushDashboardSoon(workshopId: string): void {
    if (this.dashboardTimers.has(workshopId) || this.stopped) return;
    this.dashboardTimers.set(
      workshopId,
      this.clock.setTimeout(() => {
        this.dashboardTimers.delete(workshopId);
        this.background(workshopId, () => this.pushDashboard(workshopId));
      }, DASHBOARD_EVERY_MS),
    );
  }

  /**
   * Run `work` in the workshop's turn: after everything queued for it before, and before
   * anything queued after. Each turn first writes the results of calls that have ended, so
   * whatever it reads or answers includes them. Two joins at once, a round started while
   * results are written, a rename during a round: each sees the store as the one before
   * left it, and players hear of them in that order.
   */
  private serial<T>(workshopId: string, work: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(workshopId) ?? Promise.resolve()).then(async () => {
      await this.flush(workshopId);
      return work();
    });
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(workshopId, tail);
    void tail.then(() => {
      if (this.queues.get(workshopId) === tail) this.queues.delete(workshopId);
    });
    return run;
  }

  /** Work nobody waits for (a refresh, a greeting): in the workshop's turn; a failure is logged. */
  private background(workshopId: string, work: () => Promise<unknown>): void {
    this.serial(workshopId, work).catch((error: unknown) => this.log.error({ err: error, workshop: workshopId }, 'workshop storage failed'));
  }

  /** Write the results of calls that have ended (kept for the next turn if the store fails). */
  private async flush(workshopId: string): Promise<void> {
    const rows = this.unwritten.get(workshopId);
    if (rows === undefined) return;
    this.unwritten.delete(workshopId);
    try {
      await this.store.addResults(rows);
    } catch (error) {
      this.unwritten.set(workshopId, [...rows, ...(this.unwritten.get(workshopId) ?? [])]);
      throw error;
    }
  }

  /** A request that reads or writes the store: if the store fails, the answer is `workshop/unavailable` (and it is logged). */
  private async guard<T>(event: string, work: () => Promise<T>): Promise<T | { ok: false; error: WireError }> {
    try {
      return await work();
    } catch (error) {
      this.log.error({ err: error, event }, 'workshop storage failed');
      return fail('workshop/unavailable', event);
    }
  }

  /**
   * A host request: the code and the host's secret, then `work` in the workshop's turn. A
   * player who proves it is the host is one from then on: it joins the host room, so the
   * dashboard it is answered with (and every later one) reaches it, whether or not it sent
   * `workshop:host` first.
   */
  private asHost(playerId: string, code: string, hostToken: string, event: string, work: (row: WorkshopRow) => Promise<WorkshopResult>): Promise<WorkshopResult> {
    return this.guard(event, async () => {
      const found = await this.store.workshopByCode(normalizeCode(code));
      if (found === null) return fail('workshop/not-found', event);
      if (!keyMatches(found, hostToken)) return fail('workshop/bad-token', event);
      this.lobby.joinRoom(playerId, hostRoom(found.id));
      return this.serial(found.id, async () => {
        // Read again in the workshop's turn: the request before this one may have changed it.
        const row = await this.store.workshopById(found.id);
        return row === null ? fail('workshop/not-found', event) : work(row);
      });
    });
  }
}

/** Is this the host's secret for that workshop? (Compared in constant time.) */
function keyMatches(row: WorkshopRow, hostToken: string): boolean {
  const given = Buffer.from(hashToken(hostToken));
  const kept = Buffer.from(row.hostTokenHash);
  return given.length === kept.length && timingSafeEqual(given, kept);
}

/** How many steps the search for a pairing without repeats may take before settling for fewer repeats. */
const PAIRING_SEARCH_STEPS = 50_000;

/**
 * A pairing in which nobody meets someone they already met (the odd one out, if any, gets
 * the bot), found by a bounded depth-first search; null if none was found in time.
 */
export function pairWithoutRepeats(order: readonly string[], met: ReadonlySet<string>): [string, string | null][] | null {
  let steps = 0;
  const pairs: [string, string | null][] = [];
  const search = (left: readonly string[], botUsed: boolean): boolean => {
    if (++steps > PAIRING_SEARCH_STEPS) return false;
    const [a, ...rest] = left;
    if (a === undefined) return true;
    for (const [i, b] of rest.entries()) {
      if (met.has(pairKey(a, b))) continue;
      pairs.push([a, b]);
      if (search([...rest.slice(0, i), ...rest.slice(i + 1)], botUsed)) return true;
      pairs.pop();
    }
    if (!botUsed && left.length % 2 === 1) {
      pairs.push([a, null]);
      if (search(rest, true)) return true;
      pairs.pop();
    }
    return false;
  };
  return search(order, false) ? pairs : null;
}

/** Each in turn takes the first partner they have not met (or anyone): few repeats, quickly. */
export function pairGreedily(order: readonly string[], met: ReadonlySet<string>): [string, string | null][] {
  const pairs: [string, string | null][] = [];
  const left = [...order];
  while (left.length > 1) {
    const a = left.shift() as string;
    const fresh = left.findIndex((b) => !met.has(pairKey(a, b)));
    const [b] = left.splice(fresh >= 0 ? fresh : 0, 1);
    pairs.push([a, b ?? null]);
  }
  if (left[0] !== undefined) pairs.push([left[0], null]);
  return pairs;
}

function pairKey(x: string, y: string): string {
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

function hashOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : Math.round(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
}

