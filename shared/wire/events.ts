/**
 * The socket.io event maps, typed once and used as generics on both ends:
 * `Server<ClientToServerEvents, ServerToClientEvents>` and
 * `Socket<ServerToClientEvents, ClientToServerEvents>`. Requests are validated against
 * `CLIENT_SCHEMAS` on arrival; these types are what a valid request looks like.
 */
import type { CallEvent, CallRecord, CallView, Side } from '../call';
import type { MisconceptionReport } from '../game/advice';
import type { GoalResult, LevelId } from '../game/levels';
import type { Step } from '../game/steps';
import type { CallSummary } from '../game/summary';
import type { LineConditions } from '../net';
import type { ProtocolConfig, State } from '../protocol';
import type { WireError } from './errors';
import type { ClientEventName, ClientPayloads, Lang, LineName, Personality } from './schemas';

/**
 * Requests. Each may carry a socket.io acknowledgement callback as its last argument:
 * then the answer (or the refusal) also comes back through it, as a `Reply`.
 */
export type ClientToServerEvents = { [K in ClientEventName]: (payload: ClientPayloads[K], ack?: (reply: Reply<K>) => void) => void };

export interface Welcome {
  readonly playerId: string;
  readonly name: string;
  readonly lang: Lang;
  /** Keep it: `hello` with it after a drop gives back the same seat, call included. */
  readonly resumeToken: string;
  readonly resumed: boolean;
  /** Something to tell about this hello: `session/unknown-resume` when the seat asked for was no longer held. */
  readonly notice?: WireError;
}

export interface QueueWaiting {
  readonly line: LineName;
  /** After this long without a partner, a bot is offered. */
  readonly botOfferAfterMs: number;
}

export interface CallCreated {
  readonly code: string;
  /** Path of the join link, e.g. `/?join=ABC234`; the client adds its origin. */
  readonly link: string;
}

export interface PlayerInfo {
  readonly name: string;
  readonly bot: boolean;
  readonly connected: boolean;
}

export interface CallStarted {
  readonly callId: string;
  readonly you: Side;
  readonly players: { readonly a: PlayerInfo; readonly b: PlayerInfo };
  readonly line: LineName;
  /** The lesson being played, if any. */
  readonly level: LevelId | null;
  /** The bot partner's personality, if the partner is a bot. */
  readonly personality: Personality | null;
  /** Teaching mode: slower timers and no speed points. */
  readonly teaching: boolean;
  readonly conditions: LineConditions;
  readonly config: ProtocolConfig;
  /** Which sides build their segments by hand (humans) and which TCP plays (bots). */
  readonly manual: { readonly a: boolean; readonly b: boolean };
  /** Every event so far: both sides starting to listen for a new call, the whole story for a resumed one. */
  readonly events: readonly CallEvent[];
  readonly view: CallView;
  /** The lesson's goal so far (null outside lessons). */
  readonly goal: GoalResult | null;
  /** Is a workshop's host showing this call on the big screen? (`call:shown` tells of changes.) */
  readonly shown: boolean;
}

/** The answer to `workshop:spectate`: the call the host now watches (read-only), or none. */
export interface Spectating {
  readonly callId: string | null;
  /** The call as it is now, drawn from side a's end; later changes come as `call:update` and `call:ended`. */
  readonly call: CallStarted | null;
}

export interface CallUpdate {
  readonly callId: string;
  /** Call time of this update (ms since the call started); event times use the same clock. */
  readonly time: number;
  readonly events: readonly CallEvent[];
  readonly view: CallView;
  /** The lesson's goal so far (null outside lessons). */
  readonly goal: GoalResult | null;
}

export interface CallEnded {
  readonly callId: string;
  readonly summary: CallSummary;
  /** Whether the lesson's goal was met (null outside lessons). */
  readonly goal: GoalResult | null;
  /** The call as its setup and inputs: replaying it gives the same call. */
  readonly record: CallRecord;
}

export interface CallLeft {
  /** What you were doing: in a call (hung up if it was still on), hosting a private call, or waiting for a partner. */
  readonly from: 'call' | 'hosting' | 'queue';
}

export interface PartnerStatus {
  readonly callId: string;
  readonly side: Side;
  readonly connected: boolean;
  /** Call time until which a dropped player's seat is kept. */
  readonly graceUntil: number | null;
  /** A bot now plays this side (the partner chose to finish the call with one). */
  readonly bot?: boolean;
}

export interface WorkshopCreated {
  readonly code: string;
  readonly title: string;
  /** The host's secret: every host request carries it. Never sent to anyone else. */
  readonly hostToken: string;
  /** Path of the participants' join link, e.g. `/?join=K7P2QX`. */
  readonly joinLink: string;
  /** Path of the host's dashboard (the token goes in the fragment, which never reaches a server). */
  readonly hostLink: string;
}

export interface PairEnd {
  /** Participant id, or null for a bot. */
  readonly participantId: string | null;
  readonly name: string;
  readonly state: State;
}

export interface Dashboard {
  readonly code: string;
  readonly title: string;
  readonly round: number;
  readonly roundOpen: boolean;
  readonly level: LevelId | null;
  readonly line: LineName;
  readonly teaching: boolean;
  readonly leaderboard: boolean;
  readonly prompts: readonly string[];
  readonly participants: readonly {
    readonly id: string;
    readonly name: string;
    readonly connected: boolean;
    readonly removed: boolean;
    readonly callId: string | null;
    readonly score: number;
  }[];
  /** The calls of the current round: each pair's live state on both ends. */
  readonly pairs: readonly {
    readonly callId: string;
    readonly a: PairEnd;
    readonly b: PairEnd;
    readonly line: LineName;
    readonly outcome: string | null;
    readonly goalMet: boolean | null;
    /** Segments sent again and wrong moves in this call so far (both players). */
    readonly retransmissions: number;
    readonly wrongMoves: number;
    /** Is the host showing this call on the big screen (spectating it)? */
    readonly shown: boolean;
  }[];
  /** Class-wide figures over every call of the workshop. */
  readonly figures: {
    readonly calls: number;
    readonly connected: number;
    readonly medianHandshakeMs: number | null;
    readonly retransmissions: number;
    readonly wrongMoves: number;
    readonly mistakesByStep: Readonly<Record<Step, number>>;
  };
  readonly ranking: readonly { readonly participantId: string; readonly name: string; readonly score: number }[];
  /** Per participant (not removed): the steps they got wrong, most frequent first. */
  readonly reports: readonly MisconceptionReport[];
}

export interface WorkshopStatus {
  readonly code: string;
  readonly title: string;
  readonly participantId: string;
  readonly name: string;
  readonly round: number;
  readonly roundOpen: boolean;
  readonly level: LevelId | null;
  readonly prompts: readonly string[];
  /** Shown only when the host turns the leaderboard on. */
  readonly ranking: readonly { readonly name: string; readonly score: number }[] | null;
}

/**
 * "Call again" after a call ended: which sides asked for it, and a side that left instead
 * (then there is no calling again). Once both sides asked, a new call starts.
 */
export interface RematchStatus {
  readonly callId: string;
  readonly wants: { readonly a: boolean; readonly b: boolean };
  readonly left: Side | null;
}

export interface ServerToClientEvents {
  welcome: (payload: Welcome) => void;
  'queue:waiting': (payload: QueueWaiting) => void;
  'queue:bot-offer': (payload: Record<string, never>) => void;
  'queue:left': (payload: Record<string, never>) => void;
  'call:created': (payload: CallCreated) => void;
  'call:started': (payload: CallStarted) => void;
  'call:update': (payload: CallUpdate) => void;
  'call:partner': (payload: PartnerStatus) => void;
  'call:ended': (payload: CallEnded) => void;
  /** The answer to `call:leave`: you left the call, stopped hosting, or stopped waiting. */
  'call:left': (payload: CallLeft) => void;
  /** After a call: who wants to call again; sent to both players whenever it changes. */
  'call:rematch-status': (payload: RematchStatus) => void;
  'server:closing': (payload: { readonly inMs: number }) => void;
  'workshop:created': (payload: WorkshopCreated) => void;
  'workshop:dashboard': (payload: Dashboard) => void;
  'workshop:status': (payload: WorkshopStatus) => void;
  'workshop:removed': (payload: { readonly code: string }) => void;
  'workshop:spectating': (payload: Spectating) => void;
  /** To both players of a call (and the host): the host started or stopped showing it on the big screen. */
  'call:shown': (payload: { readonly callId: string; readonly on: boolean }) => void;
  error: (payload: WireError) => void;
}

/** The one payload of a server event. */
export type ServerPayload<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

export type ServerEventName = keyof ServerToClientEvents;

/** One message from the server: an event name and its payload, narrowed together. */
export type ServerMessage = { [E in ServerEventName]: { readonly event: E; readonly payload: Parameters<ServerToClientEvents[E]>[0] } }[ServerEventName];

/**
 * The event that answers each request when it is not refused. Every request gets exactly
 * one answer: one of these events, or an `error` naming the request. The answer reaches
 * the player who asked (a `call:update` reaches both players of the call).
 */
export const ANSWERS = {
  hello: ['welcome'],
  'queue:join': ['queue:waiting', 'call:started'],
  'queue:leave': ['queue:left'],
  'queue:accept-bot': ['call:started'],
  'call:create': ['call:created'],
  'call:join': ['call:started', 'workshop:status'],
  'call:practice': ['call:started'],
  'call:takeover': ['call:partner'],
  'call:action': ['call:update'],
  'call:move': ['call:update'],
  'call:chat': ['call:update'],
  'call:leave': ['call:left'],
  'call:rematch': ['call:rematch-status', 'call:started'],
  'workshop:create': ['workshop:created'],
  'workshop:host': ['workshop:dashboard'],
  'workshop:round': ['workshop:dashboard'],
  'workshop:weather': ['workshop:dashboard'],
  'workshop:participant': ['workshop:dashboard'],
  'workshop:settings': ['workshop:dashboard'],
  'workshop:spectate': ['workshop:spectating'],
} as const satisfies { readonly [K in ClientEventName]: readonly ServerEventName[] };

/** The answer to request K, as an event and its payload. */
export type AnswerTo<K extends ClientEventName> = Extract<ServerMessage, { readonly event: (typeof ANSWERS)[K][number] }>;

/** What an acknowledgement callback receives: the answer, or the refusal. */
export type Reply<K extends ClientEventName = ClientEventName> = ({ readonly ok: true } & AnswerTo<K>) | { readonly ok: false; readonly error: WireError };
