/**
 * The vocabulary of the reference TCP endpoint: states, segments, inputs, configuration
 * and the events a step reports. Pure types and constants, no behaviour.
 */

/** The eleven connection states of RFC 9293 §3.3.2. */
export const STATES = [
  'CLOSED',
  'LISTEN',
  'SYN_SENT',
  'SYN_RCVD',
  'ESTABLISHED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
  'CLOSING',
  'LAST_ACK',
  'TIME_WAIT',
] as const;
export type State = (typeof STATES)[number];

/**
 * One TCP segment, reduced to what the game teaches. `ackNo` is meaningful only when `ack`
 * is set (it is 0 otherwise). `data` is text; its length in sequence space is its UTF-8
 * byte count, as real TCP counts bytes.
 */
export interface Segment {
  readonly syn: boolean;
  readonly ack: boolean;
  readonly fin: boolean;
  readonly rst: boolean;
  readonly seq: number;
  readonly ackNo: number;
  readonly data: string;
}

/**
 * What can happen to an endpoint. The user calls of RFC 9293 §3.10 (`listen` is a passive
 * OPEN, `open` an active one), a segment arriving, or time passing (`tick` fires every
 * timer that is due at `now`). `listen` and `open` may carry a fresh initial sequence
 * number; without one the endpoint keeps the ISS it was created with.
 */
export type Input =
  | { readonly kind: 'listen'; readonly iss?: number }
  | { readonly kind: 'open'; readonly iss?: number }
  | { readonly kind: 'send'; readonly data: string }
  | { readonly kind: 'close' }
  | { readonly kind: 'abort' }
  | { readonly kind: 'receive'; readonly segment: Segment }
  | { readonly kind: 'tick' };

/** Keep-alive probing (RFC 9293 §3.8.4): off unless configured. */
export interface KeepaliveConfig {
  /** Quiet time before the first probe. */
  readonly idleMs: number;
  /** Time between unanswered probes. */
  readonly intervalMs: number;
  /** Unanswered probes after which the peer is declared gone. */
  readonly probes: number;
}

export interface ProtocolConfig {
  /** The story's rule: no reply within this long and the try has failed (retransmit). */
  readonly replyTimeoutMs: number;
  /** Retransmissions of one segment before giving up. */
  readonly maxRetries: number;
  /** After giving up, how long before asking again (`open`) is allowed. */
  readonly retryWaitMs: number;
  /** Maximum segment lifetime; TIME_WAIT lasts 2 × mslMs. */
  readonly mslMs: number;
  /** Receive window in bytes, used for the sequence acceptability test. */
  readonly receiveWindow: number;
  readonly keepalive: KeepaliveConfig | null;
}

export const DEFAULT_CONFIG: ProtocolConfig = Object.freeze({
  replyTimeoutMs: 5_000,
  maxRetries: 3,
  retryWaitMs: 60_000,
  mslMs: 30_000,
  receiveWindow: 65_535,
  keepalive: null,
});

/** The endpoint's timers; each holds the time it fires, or null when it is not running. */
export interface Timers {
  /** Waiting for a reply to the oldest unacknowledged segment (retransmission timer). */
  readonly reply: number | null;
  /** TIME_WAIT's 2 × MSL. */
  readonly timeWait: number | null;
  /** Next keep-alive probe, or the verdict after the last one. */
  readonly keepalive: number | null;
  /** End of the wait after giving up, before asking again is allowed. */
  readonly retryWait: number | null;
}
export type TimerName = keyof Timers;
export const TIMER_NAMES = ['reply', 'timeWait', 'keepalive', 'retryWait'] as const satisfies readonly TimerName[];

/** A segment we sent that takes sequence space (SYN, data, FIN) and is not yet acknowledged. */
export interface Unacked {
  readonly seq: number;
  readonly syn: boolean;
  readonly fin: boolean;
  readonly data: string;
  /** Sequence space it takes: 1 for SYN or FIN, the UTF-8 byte length of data. */
  readonly len: number;
}

/** Why a connection (or a connection attempt) ended. */
export type CloseReason =
  /** Both goodbyes were said and acknowledged (LAST_ACK acked, or TIME_WAIT ran out). */
  | 'normal'
  /** No reply after every retry: the line was judged down. */
  | 'timeout'
  /** The peer reset a connection ("connection reset by peer"). */
  | 'reset'
  /** The peer refused the connection attempt with a RST. */
  | 'refused'
  /** This side hung up without a goodbye (abort). */
  | 'aborted'
  /** Keep-alive probes went unanswered: the peer vanished. */
  | 'keepalive'
  /** This side closed before a connection existed (LISTEN or SYN_SENT). */
  | 'cancelled';

/** Why an arriving segment was not taken as it came. A reply, if any, is in `send`. */
export type DropCode =
  | 'segment/no-connection'
  | 'segment/no-syn'
  | 'rst/ignored'
  | 'rst/unacceptable'
  | 'rst/out-of-window'
  | 'rst/inexact'
  | 'syn/unexpected'
  | 'ack/missing'
  | 'ack/unacceptable'
  | 'ack/unexpected'
  | 'ack/ahead'
  | 'seq/duplicate'
  | 'seq/out-of-window'
  | 'seq/overlap'
  | 'seq/buffer-full'
  | 'data/after-fin';

/** Why a user call was refused; the endpoint is unchanged. */
export type RefusalCode =
  | 'state/already-open'
  | 'state/not-open'
  | 'state/not-established'
  | 'state/closing'
  | 'open/too-soon'
  | 'send/empty';

/** How an endpoint answered a dropped segment. */
export type Reply = 'ack' | 'rst' | 'syn-ack' | null;

/**
 * What happened during one step, in order, in terms a UI or a server can use without
 * re-deriving anything from the endpoint.
 */
export type ProtocolEvent =
  | { readonly type: 'state'; readonly from: State; readonly to: State }
  | { readonly type: 'timer-armed'; readonly timer: TimerName; readonly at: number }
  | { readonly type: 'timer-cancelled'; readonly timer: TimerName }
  | { readonly type: 'retransmit'; readonly segment: Segment; readonly attempt: number; readonly maxRetries: number }
  | { readonly type: 'gave-up'; readonly retryAllowedAt: number | null }
  | { readonly type: 'retry-allowed' }
  | { readonly type: 'closed'; readonly reason: CloseReason; readonly listening: boolean }
  | { readonly type: 'acked'; readonly ackNo: number; readonly bytes: number }
  | { readonly type: 'delivered'; readonly seq: number; readonly data: string }
  | { readonly type: 'peer-closed' }
  | { readonly type: 'buffered'; readonly segment: Segment }
  | { readonly type: 'dropped'; readonly code: DropCode; readonly segment: Segment; readonly reply: Reply }
  | { readonly type: 'refused'; readonly code: RefusalCode; readonly input: Input['kind']; readonly retryAllowedAt?: number }
  | { readonly type: 'keepalive-probe'; readonly attempt: number };

/** One TCP endpoint: an immutable value. Use `step` to get the next one. */
export interface Endpoint {
  readonly state: State;
  readonly config: ProtocolConfig;
  /** Initial send sequence number of the current (or next) connection. */
  readonly iss: number;
  /** Initial receive sequence number: the peer's ISN (0 until known). */
  readonly irs: number;
  readonly sndUna: number;
  readonly sndNxt: number;
  readonly rcvNxt: number;
  /** Opened by `listen`: a failed attempt in SYN_RCVD falls back to LISTEN. */
  readonly passive: boolean;
  /** Our segments waiting for an acknowledgement, oldest first. */
  readonly unacked: readonly Unacked[];
  /** Segments that arrived ahead of RCV.NXT, held until the gap fills. */
  readonly outOfOrder: readonly Segment[];
  readonly timers: Timers;
  /** Retransmissions of the oldest unacknowledged segment so far. */
  readonly retries: number;
  /** Keep-alive probes sent without an answer. */
  readonly probes: number;
  /** Why the last connection ended, or null while one is open or none has been. */
  readonly closeReason: CloseReason | null;
}

export interface StepResult {
  readonly endpoint: Endpoint;
  /** Segments to put on the line, in order. */
  readonly send: readonly Segment[];
  readonly events: readonly ProtocolEvent[];
}
