/**
 * What the client knows about the call: exactly what the server said (events and view),
 * arranged for drawing. Nothing here decides an outcome; it only indexes and times.
 */
import type { CallEvent, CallRecord, CallView, Side } from '../../shared/call';
import { tripOf, type Trip } from '../../shared/call/trip';
import type { GoalResult, LevelId } from '../../shared/game/levels';
import type { CallSummary } from '../../shared/game/summary';
import type { State } from '../../shared/protocol';
import type { CallStarted, CallUpdate, PlayerInfo } from '../../shared/wire';

/** A segment on the line, as the ladder and the scene draw it (see shared/call's `tripOf`). */
export type Track = Trip;

export interface StateMark {
  readonly side: Side;
  readonly at: number;
  readonly to: State;
}

export interface CallModel {
  readonly callId: string;
  /** The side this page plays; a spectator (the host's big screen) draws side a's end but plays neither. */
  readonly you: Side;
  readonly spectator: boolean;
  readonly players: { a: PlayerInfo; b: PlayerInfo };
  readonly line: CallStarted['line'];
  readonly level: LevelId | null;
  readonly teaching: boolean;
  readonly manual: CallStarted['manual'];
  readonly replyTimeoutMs: number;
  readonly maxRetries: number;
  events: CallEvent[];
  view: CallView;
  tracks: Track[];
  states: StateMark[];
  /** Local clock minus call time: the smallest seen, i.e. the least delayed message. */
  offsetMs: number;
  summary: CallSummary | null;
  goal: GoalResult | null;
  record: CallRecord | null;
  /** The listen queue, in the flood lesson. */
  backlog: { used: number; size: number } | null;
  away: Partial<Record<Side, number>>;
}

export function createModel(started: CallStarted, localNow: number, spectator = false): CallModel {
  const model: CallModel = {
    callId: started.callId,
    you: started.you,
    spectator,
    players: { a: { ...started.players.a }, b: { ...started.players.b } },
    line: started.line,
    level: started.level,
    teaching: started.teaching,
    manual: started.manual,
    replyTimeoutMs: started.config.replyTimeoutMs,
    maxRetries: started.config.maxRetries,
    events: [],
    view: started.view,
    tracks: [],
    states: [],
    offsetMs: localNow - started.view.time,
    summary: null,
    goal: started.goal,
    record: null,
    backlog: null,
    away: {},
  };
  absorb(model, started.events);
  for (const side of ['a', 'b'] as const) if (!started.players[side].connected) model.away[side] = started.view.time;
  return model;
}

export function applyUpdate(model: CallModel, update: CallUpdate, localNow: number): void {
  model.offsetMs = Math.min(model.offsetMs, localNow - update.time);
  model.view = update.view;
  model.goal = update.goal;
  absorb(model, update.events);
}

/** The call time now, on the server's clock as best this client can tell. */
export function callTime(model: CallModel, localNow: number): number {
  return localNow - model.offsetMs;
}

function absorb(model: CallModel, events: readonly CallEvent[]): void {
  for (const e of events) {
    model.events.push(e);
    const trip = tripOf(e);
    if (trip !== null) {
      model.tracks.push(trip);
    } else if (e.type === 'backlog') {
      model.backlog = { used: e.used, size: e.size };
    } else if (e.type === 'endpoint' && e.event.type === 'state') {
      model.states.push({ side: e.side, at: e.at, to: e.event.to });
    }
  }
}

export const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');
