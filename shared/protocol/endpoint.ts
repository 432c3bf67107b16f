/**
 * The reference TCP endpoint: RFC 9293's connection state machine as a pure function.
 *
 * `step(endpoint, input, now)` returns the next endpoint, the segments to send and what
 * happened, and never mutates its argument or reads a clock. Whoever hosts an endpoint
 * owns the real clock: it calls `step` with `{ kind: 'tick' }` at `nextDeadline(endpoint)`.
 * The choices this module makes where RFC 9293 allows more than one are listed in
 * docs/protocol.md ("Choices").
 */
import { segmentLength, seqAdd, seqDiff, seqLe, seqLt, utf8Length } from './seq';
import {
  DEFAULT_CONFIG,
  type CloseReason,
  type DropCode,
  type Endpoint,
  type Input,
  type ProtocolConfig,
  type ProtocolEvent,
  type RefusalCode,
  type Reply,
  type Segment,
  type State,
  type StepResult,
  type TimerName,
  type Timers,
  type Unacked,
} from './types';

type Draft = { -readonly [K in keyof Endpoint]: Endpoint[K] };
interface Out {
  readonly send: Segment[];
  readonly events: ProtocolEvent[];
}

/** Segments that arrived early are held up to this many; more are dropped and re-sent later. */
const OUT_OF_ORDER_LIMIT = 32;

const NO_TIMERS: Timers = Object.freeze({ reply: null, timeWait: null, keepalive: null, retryWait: null });
const KEEPALIVE_STATES: ReadonlySet<State> = new Set<State>(['ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT_2']);

/**
 * A new endpoint in CLOSED. `iss` is the initial sequence number of its first connection
 * (0 unless given; hosts pass one from a seeded PRNG, or the story's 1 and 3).
 *
 * @example
 * const a = createEndpoint({ iss: 1 });
 * const { endpoint, send } = step(a, { kind: 'open' }, 0); // SYN_SENT, sends SYN seq=1
 */
export function createEndpoint(config: Partial<ProtocolConfig> & { iss?: number } = {}): Endpoint {
  const { iss = 0, ...overrides } = config;
  return endpointWith(Object.freeze({ ...DEFAULT_CONFIG, ...overrides }), iss);
}

/**
 * The two ends of a call, with one shared value for their settings: a host running many
 * calls with the same (frozen) settings keeps one copy of them, not two per call.
 *
 * @example
 * const { a, b } = createEndpoints({ mslMs: 5_000 }, { a: 1, b: 3 });
 */
export function createEndpoints(config: Partial<ProtocolConfig>, iss: { readonly a: number; readonly b: number }): { a: Endpoint; b: Endpoint } {
  const full = settingsFor(config);
  return { a: endpointWith(full, iss.a), b: endpointWith(full, iss.b) };
}

/** Full settings made from frozen overrides, kept: the same overrides give the same value. */
const settingsOf = new WeakMap<Partial<ProtocolConfig>, ProtocolConfig>();

function settingsFor(overrides: Partial<ProtocolConfig>): ProtocolConfig {
  const known = settingsOf.get(overrides);
  if (known !== undefined) return known;
  const full = Object.freeze({ ...DEFAULT_CONFIG, ...overrides });
  // Only frozen overrides can be kept: anything else might change after this.
  if (Object.isFrozen(overrides)) settingsOf.set(overrides, full);
  return full;
}

function endpointWith(config: ProtocolConfig, iss: number): Endpoint {
  const start = iss >>> 0;
  return {
    state: 'CLOSED',
    config,
    iss: start,
    irs: 0,
    sndUna: start,
    sndNxt: start,
    rcvNxt: 0,
    passive: false,
    unacked: [],
    outOfOrder: [],
    timers: NO_TIMERS,
    retries: 0,
    probes: 0,
    closeReason: null,
  };
}

/**
 * When the host must next call `step(endpoint, { kind: 'tick' }, at)`, or null if no timer
 * runs. A timer is due when `now >= deadline`.
 *
 * @example
 * const { endpoint } = step(createEndpoint({ iss: 1 }), { kind: 'open' }, 0);
 * nextDeadline(endpoint); // 5000: retransmit the SYN if nobody answers
 */
export function nextDeadline(endpoint: Endpoint): number | null {
  const t = endpoint.timers;
  let min: number | null = null;
  if (t.reply !== null) min = t.reply;
  if (t.timeWait !== null && (min === null || t.timeWait < min)) min = t.timeWait;
  if (t.keepalive !== null && (min === null || t.keepalive < min)) min = t.keepalive;
  if (t.retryWait !== null && (min === null || t.retryWait < min)) min = t.retryWait;
  return min;
}

/**
 * Feed one input to an endpoint at time `now` (milliseconds on the host's clock).
 * Returns the next endpoint, the segments it sends, and the events of this step.
 *
 * @example
 * let b = step(createEndpoint({ iss: 3 }), { kind: 'listen' }, 0).endpoint;
 * const syn = { syn: true, ack: false, fin: false, rst: false, seq: 1, ackNo: 0, data: '' };
 * const r = step(b, { kind: 'receive', segment: syn }, 10);
 * r.endpoint.state; // 'SYN_RCVD'
 * r.send[0];        // SYN+ACK seq=3 ack=2: "2. And 2+2 = ?"
 */
export function step(endpoint: Endpoint, input: Input, now: number): StepResult {
  const d = draftOf(endpoint);
  const out: Out = { send: [], events: [] };
  let heard = false;
  switch (input.kind) {
    case 'listen':
      listen(d, input.iss, out);
      break;
    case 'open':
      open(d, input.iss, now, out);
      break;
    case 'send':
      send(d, input.data, now, out);
      break;
    case 'close':
      close(d, now, out);
      break;
    case 'abort':
      abort(d, out);
      break;
    case 'receive':
      heard = receive(d, input.segment, now, out);
      break;
    case 'tick':
      tick(d, now, out);
      break;
  }
  updateKeepalive(d, now, heard);
  diffTimers(endpoint.timers, d.timers, out.events);
  return { endpoint: d, send: out.send, events: out.events };
}

/**
 * A working copy of an endpoint, written out field by field in the order `createEndpoint`
 * uses: every endpoint then has the same shape, its fields inside the object. (A spread
 * copy is slower and spills most fields into a separate store.)
 */
function draftOf(e: Endpoint): Draft {
  return {
    state: e.state,
    config: e.config,
    iss: e.iss,
    irs: e.irs,
    sndUna: e.sndUna,
    sndNxt: e.sndNxt,
    rcvNxt: e.rcvNxt,
    passive: e.passive,
    unacked: e.unacked,
    outOfOrder: e.outOfOrder,
    timers: e.timers,
    retries: e.retries,
    probes: e.probes,
    closeReason: e.closeReason,
  };
}

/** `t` with some timers changed, as a new value of the one shape timers have. */
function timersWith(t: Timers, change: Partial<Timers>): Timers {
  return {
    reply: change.reply === undefined ? t.reply : change.reply,
    timeWait: change.timeWait === undefined ? t.timeWait : change.timeWait,
    keepalive: change.keepalive === undefined ? t.keepalive : change.keepalive,
    retryWait: change.retryWait === undefined ? t.retryWait : change.retryWait,
  };
}

// ---------------------------------------------------------------- user calls

function listen(d: Draft, iss: number | undefined, out: Out): void {
  if (d.state !== 'CLOSED' && d.state !== 'LISTEN') return refuse(out, 'state/already-open', 'listen');
  if (iss !== undefined) d.iss = iss >>> 0;
  d.passive = true;
  d.closeReason = null;
  resetSequenceState(d);
  setState(d, 'LISTEN', out);
}

function open(d: Draft, iss: number | undefined, now: number, out: Out): void {
  if (d.state !== 'CLOSED' && d.state !== 'LISTEN') return refuse(out, 'state/already-open', 'open');
  const waitUntil = d.timers.retryWait;
  if (waitUntil !== null && now < waitUntil) {
    out.events.push({ type: 'refused', code: 'open/too-soon', input: 'open', retryAllowedAt: waitUntil });
    return;
  }
  // The wait is over even if the host has not ticked yet.
  if (waitUntil !== null) d.timers = timersWith(d.timers, { retryWait: null });
  if (iss !== undefined) d.iss = iss >>> 0;
  d.passive = false;
  d.closeReason = null;
  resetSequenceState(d);
  setState(d, 'SYN_SENT', out);
  queue(d, { seq: d.iss, syn: true, fin: false, data: '', len: 1 }, now, out);
}

function send(d: Draft, data: string, now: number, out: Out): void {
  if (d.state !== 'ESTABLISHED' && d.state !== 'CLOSE_WAIT') {
    return refuse(out, isClosing(d.state) ? 'state/closing' : 'state/not-established', 'send');
  }
  if (data === '') return refuse(out, 'send/empty', 'send');
  queue(d, { seq: d.sndNxt, syn: false, fin: false, data, len: utf8Length(data) }, now, out);
}

function close(d: Draft, now: number, out: Out): void {
  switch (d.state) {
    case 'CLOSED':
      return refuse(out, 'state/not-open', 'close');
    case 'LISTEN':
    case 'SYN_SENT':
      return enterClosed(d, 'cancelled', out);
    case 'SYN_RCVD':
    case 'ESTABLISHED':
      setState(d, 'FIN_WAIT_1', out);
      return queue(d, { seq: d.sndNxt, syn: false, fin: true, data: '', len: 1 }, now, out);
    case 'CLOSE_WAIT':
      setState(d, 'LAST_ACK', out);
      return queue(d, { seq: d.sndNxt, syn: false, fin: true, data: '', len: 1 }, now, out);
    default:
      return refuse(out, 'state/closing', 'close');
  }
}

function abort(d: Draft, out: Out): void {
  switch (d.state) {
    case 'CLOSED':
      return refuse(out, 'state/not-open', 'abort');
    case 'SYN_RCVD':
    case 'ESTABLISHED':
    case 'FIN_WAIT_1':
    case 'FIN_WAIT_2':
    case 'CLOSE_WAIT':
      out.send.push(makeSegment({ rst: true, seq: d.sndNxt }));
      return enterClosed(d, 'aborted', out);
    default:
      // LISTEN and SYN_SENT have told nobody anything yet; CLOSING, LAST_ACK and
      // TIME_WAIT have already sent their FIN, so RFC 9293 just deletes the TCB.
      return enterClosed(d, 'aborted', out);
  }
}

// ---------------------------------------------------------------- arriving segments

/** Returns true when the segment was acceptable (the peer was heard from). */
function receive(d: Draft, seg: Segment, now: number, out: Out): boolean {
  switch (d.state) {
    case 'CLOSED':
      receiveClosed(seg, out);
      return false;
    case 'LISTEN':
      receiveListen(d, seg, now, out);
      return false;
    case 'SYN_SENT':
      return receiveSynSent(d, seg, now, out);
    default:
      return receiveSynchronized(d, seg, now, out);
  }
}

/** RFC 9293 §3.10.7.1: everything but a RST gets a RST. */
function receiveClosed(seg: Segment, out: Out): void {
  if (seg.rst) return drop(out, 'segment/no-connection', seg, null);
  if (seg.ack) out.send.push(makeSegment({ rst: true, seq: seg.ackNo }));
  else out.send.push(makeSegment({ rst: true, ack: true, seq: 0, ackNo: seqAdd(seg.seq, segmentLength(seg)) }));
  drop(out, 'segment/no-connection', seg, 'rst');
}

/** RFC 9293 §3.10.7.2. Data and FIN on a SYN are not taken (see Choices). */
function receiveListen(d: Draft, seg: Segment, now: number, out: Out): void {
  if (seg.rst) return drop(out, 'rst/ignored', seg, null);
  if (seg.ack) {
    out.send.push(makeSegment({ rst: true, seq: seg.ackNo }));
    return drop(out, 'ack/unexpected', seg, 'rst');
  }
  if (!seg.syn) return drop(out, 'segment/no-syn', seg, null);
  d.irs = seg.seq;
  d.rcvNxt = seqAdd(seg.seq, 1);
  d.passive = true;
  setState(d, 'SYN_RCVD', out);
  queue(d, { seq: d.iss, syn: true, fin: false, data: '', len: 1 }, now, out);
}

/** RFC 9293 §3.10.7.3. Returns true when the segment was acceptable. */
function receiveSynSent(d: Draft, seg: Segment, now: number, out: Out): boolean {
  let ackOk = false;
  if (seg.ack) {
    if (seqLe(seg.ackNo, d.iss) || seqLt(d.sndNxt, seg.ackNo)) {
      // Not an answer to our SYN: an old duplicate's answer, or a confused peer.
      if (seg.rst) {
        drop(out, 'rst/unacceptable', seg, null);
      } else {
        out.send.push(makeSegment({ rst: true, seq: seg.ackNo }));
        drop(out, 'ack/unacceptable', seg, 'rst');
      }
      return false;
    }
    ackOk = true;
  }
  if (seg.rst) {
    if (!ackOk) {
      drop(out, 'rst/unacceptable', seg, null);
      return false;
    }
    enterClosed(d, 'refused', out);
    return true;
  }
  if (!seg.syn) {
    drop(out, 'segment/no-syn', seg, null);
    return false;
  }
  d.irs = seg.seq;
  d.rcvNxt = seqAdd(seg.seq, 1);
  if (ackOk) {
    acknowledge(d, seg.ackNo, now, out);
    setState(d, 'ESTABLISHED', out);
    sendAck(d, out);
  } else {
    // Simultaneous open: answer with SYN+ACK, reusing our ISN (the SYN still in flight).
    d.passive = false;
    setState(d, 'SYN_RCVD', out);
    const head = d.unacked[0];
    if (head !== undefined) out.send.push(segmentFor(d, head));
  }
  return true;
}

/** RFC 9293 §3.10.7.4, for SYN_RCVD and every synchronized state. */
function receiveSynchronized(d: Draft, seg: Segment, now: number, out: Out): boolean {
  const len = segmentLength(seg);

  if (d.state === 'SYN_RCVD' && seg.syn && !seg.rst && seg.seq === d.irs) {
    if (!seg.ack) {
      // The peer asked again: our SYN+ACK was lost or is late. Answer it again (see Choices).
      const head = d.unacked[0];
      if (head !== undefined) out.send.push(segmentFor(d, head));
      drop(out, 'seq/duplicate', seg, head !== undefined ? 'syn-ack' : null);
      return true;
    }
    if (seqLt(d.sndUna, seg.ackNo) && seqLe(seg.ackNo, d.sndNxt)) {
      // Simultaneous open, RFC 9293 Figure 7: the peer's SYN+ACK acknowledges our SYN.
      acknowledge(d, seg.ackNo, now, out);
      setState(d, 'ESTABLISHED', out);
      return true;
    }
  }

  // First: is the segment inside the receive window?
  if (!acceptable(d, seg, len)) {
    if (d.state === 'TIME_WAIT' && seg.fin && !seg.rst && seqAdd(seg.seq, len) === d.rcvNxt) {
      // The peer repeats its FIN: our last ACK was lost. Answer again, wait 2 MSL anew.
      sendAck(d, out);
      d.timers = timersWith(d.timers, { timeWait: now + 2 * d.config.mslMs });
      drop(out, 'seq/duplicate', seg, 'ack');
      return true;
    }
    if (seg.rst) {
      drop(out, 'rst/out-of-window', seg, null);
      return false;
    }
    sendAck(d, out);
    drop(out, seqLt(seg.seq, d.rcvNxt) ? 'seq/duplicate' : 'seq/out-of-window', seg, 'ack');
    return false;
  }

  // Second: RST. Only an exact RCV.NXT resets (RFC 5961, folded into RFC 9293).
  if (seg.rst) {
    if (d.state === 'TIME_WAIT') {
      // RFC 1337: a RST must not cut TIME_WAIT short ("TIME-WAIT assassination").
      drop(out, 'rst/ignored', seg, null);
      return false;
    }
    if (seg.seq !== d.rcvNxt) {
      sendAck(d, out);
      drop(out, 'rst/inexact', seg, 'ack');
      return false;
    }
    if (d.state === 'SYN_RCVD') {
      if (d.passive) returnToListen(d, 'reset', out);
      else enterClosed(d, 'refused', out);
    } else {
      enterClosed(d, 'reset', out);
    }
    return true;
  }

  // Fourth: a SYN in a synchronized state is answered with a challenge ACK.
  if (seg.syn) {
    if (d.state === 'SYN_RCVD' && d.passive) {
      drop(out, 'syn/unexpected', seg, null);
      returnToListen(d, 'reset', out);
      return false;
    }
    sendAck(d, out);
    drop(out, 'syn/unexpected', seg, 'ack');
    return false;
  }

  // A segment starting before RCV.NXT but running past it is not split (see Choices).
  if (len > 0 && seqLt(seg.seq, d.rcvNxt)) {
    sendAck(d, out);
    drop(out, 'seq/overlap', seg, 'ack');
    return false;
  }

  // Fifth: the ACK field.
  if (!seg.ack) {
    drop(out, 'ack/missing', seg, null);
    return false;
  }
  if (d.state === 'SYN_RCVD') {
    if (!(seqLt(d.sndUna, seg.ackNo) && seqLe(seg.ackNo, d.sndNxt))) {
      // "4" was the wrong answer: reset it, and keep waiting for the right one.
      out.send.push(makeSegment({ rst: true, seq: seg.ackNo }));
      drop(out, 'ack/unacceptable', seg, 'rst');
      return false;
    }
    setState(d, 'ESTABLISHED', out);
  }
  if (seqLt(d.sndNxt, seg.ackNo)) {
    sendAck(d, out);
    drop(out, 'ack/ahead', seg, 'ack');
    return false;
  }
  if (seqLt(d.sndUna, seg.ackNo)) acknowledge(d, seg.ackNo, now, out);
  const finAcked = d.sndUna === d.sndNxt;
  if (d.state === 'CLOSING' && finAcked) {
    enterTimeWait(d, now, out);
    return true;
  }
  if (d.state === 'LAST_ACK' && finAcked) {
    enterClosed(d, 'normal', out);
    return true;
  }

  // Seventh and eighth: the text and the FIN.
  const dataLen = len - (seg.fin ? 1 : 0);
  if (dataLen > 0 || seg.fin) {
    if (d.state === 'ESTABLISHED' || d.state === 'FIN_WAIT_1' || d.state === 'FIN_WAIT_2') {
      if (seg.seq === d.rcvNxt) {
        takeText(d, seg, dataLen, now, out);
        drainOutOfOrder(d, now, out);
      } else {
        hold(d, seg, out);
      }
      sendAck(d, out);
    } else {
      drop(out, 'data/after-fin', seg, null);
    }
  }
  if (d.state === 'FIN_WAIT_1' && d.sndUna === d.sndNxt) setState(d, 'FIN_WAIT_2', out);
  return true;
}

/** The sequence acceptability test of RFC 9293 §3.10.7.4 (window always open). */
function acceptable(d: Draft, seg: Segment, len: number): boolean {
  const wnd = d.config.receiveWindow;
  if (len === 0) return inWindow(d.rcvNxt, wnd, seg.seq);
  return inWindow(d.rcvNxt, wnd, seg.seq) || inWindow(d.rcvNxt, wnd, seqAdd(seg.seq, len - 1));
}

/** Is sequence number `n` within the receive window that starts at `rcvNxt`? */
function inWindow(rcvNxt: number, wnd: number, n: number): boolean {
  return seqLe(rcvNxt, n) && seqLt(n, seqAdd(rcvNxt, wnd));
}

/** Deliver in-order data and, if present, take the FIN. */
function takeText(d: Draft, seg: Segment, dataLen: number, now: number, out: Out): void {
  if (dataLen > 0) {
    out.events.push({ type: 'delivered', seq: seg.seq, data: seg.data });
    d.rcvNxt = seqAdd(d.rcvNxt, dataLen);
  }
  if (!seg.fin) return;
  d.rcvNxt = seqAdd(d.rcvNxt, 1);
  out.events.push({ type: 'peer-closed' });
  if (d.state === 'ESTABLISHED') setState(d, 'CLOSE_WAIT', out);
  else if (d.state === 'FIN_WAIT_2') enterTimeWait(d, now, out);
  else if (d.state === 'FIN_WAIT_1') {
    // Our FIN acknowledged (perhaps by this very segment): straight to TIME_WAIT.
    if (d.sndUna === d.sndNxt) enterTimeWait(d, now, out);
    else setState(d, 'CLOSING', out);
  }
}

function hold(d: Draft, seg: Segment, out: Out): void {
  if (d.outOfOrder.some((s) => s.seq === seg.seq)) return;
  if (d.outOfOrder.length >= OUT_OF_ORDER_LIMIT) return drop(out, 'seq/buffer-full', seg, 'ack');
  d.outOfOrder = [...d.outOfOrder, seg];
  out.events.push({ type: 'buffered', segment: seg });
}

function drainOutOfOrder(d: Draft, now: number, out: Out): void {
  while (d.outOfOrder.length > 0 && (d.state === 'ESTABLISHED' || d.state === 'FIN_WAIT_1' || d.state === 'FIN_WAIT_2')) {
    const next = d.outOfOrder.find((s) => s.seq === d.rcvNxt);
    if (next === undefined) break;
    d.outOfOrder = d.outOfOrder.filter((s) => s !== next);
    takeText(d, next, segmentLength(next) - (next.fin ? 1 : 0), now, out);
  }
  // Anything now behind RCV.NXT was covered by what just arrived.
  if (d.outOfOrder.length > 0) d.outOfOrder = d.outOfOrder.filter((s) => seqLt(d.rcvNxt, seqAdd(s.seq, segmentLength(s))));
}

/** SND.UNA moves up to `ackNo`: forget what is acknowledged, restart or stop the reply timer. */
function acknowledge(d: Draft, ackNo: number, now: number, out: Out): void {
  const bytes = seqDiff(ackNo, d.sndUna);
  d.sndUna = ackNo;
  d.unacked = d.unacked.filter((u) => seqLt(ackNo, seqAdd(u.seq, u.len)));
  d.retries = 0;
  d.timers = timersWith(d.timers, { reply: d.unacked.length > 0 ? now + d.config.replyTimeoutMs : null });
  out.events.push({ type: 'acked', ackNo, bytes });
}

// ---------------------------------------------------------------- time

function tick(d: Draft, now: number, out: Out): void {
  // Fire due timers earliest first; each firing can only stop or push back the others.
  for (let guard = 0; guard < 8; guard++) {
    const t = d.timers;
    let due: TimerName | null = null;
    let at = Infinity;
    if (t.reply !== null && t.reply <= now && t.reply < at) (due = 'reply'), (at = t.reply);
    if (t.timeWait !== null && t.timeWait <= now && t.timeWait < at) (due = 'timeWait'), (at = t.timeWait);
    if (t.keepalive !== null && t.keepalive <= now && t.keepalive < at) (due = 'keepalive'), (at = t.keepalive);
    if (t.retryWait !== null && t.retryWait <= now && t.retryWait < at) (due = 'retryWait'), (at = t.retryWait);
    if (due === null) return;
    fire(d, due, now, out);
  }
}

function fire(d: Draft, timer: TimerName, now: number, out: Out): void {
  switch (timer) {
    case 'reply': {
      const head = d.unacked[0];
      if (head === undefined) {
        d.timers = timersWith(d.timers, { reply: null });
        return;
      }
      if (d.retries >= d.config.maxRetries) return giveUp(d, 'timeout', now, out);
      d.retries += 1;
      const segment = segmentFor(d, head);
      out.send.push(segment);
      out.events.push({ type: 'retransmit', segment, attempt: d.retries, maxRetries: d.config.maxRetries });
      d.timers = timersWith(d.timers, { reply: now + d.config.replyTimeoutMs });
      return;
    }
    case 'timeWait':
      d.timers = timersWith(d.timers, { timeWait: null });
      return enterClosed(d, 'normal', out);
    case 'keepalive': {
      const ka = d.config.keepalive;
      if (ka === null || !KEEPALIVE_STATES.has(d.state)) {
        d.timers = timersWith(d.timers, { keepalive: null });
        return;
      }
      if (d.probes >= ka.probes) return giveUp(d, 'keepalive', now, out);
      d.probes += 1;
      // A probe carries a sequence number the peer has already seen, so it must answer.
      out.send.push(makeSegment({ ack: true, seq: seqAdd(d.sndNxt, -1), ackNo: d.rcvNxt }));
      out.events.push({ type: 'keepalive-probe', attempt: d.probes });
      d.timers = timersWith(d.timers, { keepalive: now + ka.intervalMs });
      return;
    }
    case 'retryWait':
      d.timers = timersWith(d.timers, { retryWait: null });
      out.events.push({ type: 'retry-allowed' });
      return;
  }
}

function giveUp(d: Draft, reason: CloseReason, now: number, out: Out): void {
  if (d.state === 'SYN_RCVD' && d.passive) {
    out.events.push({ type: 'gave-up', retryAllowedAt: null });
    return returnToListen(d, reason, out);
  }
  const retryAllowedAt = now + d.config.retryWaitMs;
  out.events.push({ type: 'gave-up', retryAllowedAt });
  enterClosed(d, reason, out);
  d.timers = timersWith(d.timers, { retryWait: retryAllowedAt });
}

/** Keep-alive runs while connected and idle; any acceptable segment restarts the idle time. */
function updateKeepalive(d: Draft, now: number, heard: boolean): void {
  const ka = d.config.keepalive;
  if (ka === null || !KEEPALIVE_STATES.has(d.state) || d.unacked.length > 0) {
    if (d.timers.keepalive !== null) d.timers = timersWith(d.timers, { keepalive: null });
    d.probes = 0;
    return;
  }
  if (heard || d.timers.keepalive === null) {
    d.timers = timersWith(d.timers, { keepalive: now + ka.idleMs });
    d.probes = 0;
  }
}

// ---------------------------------------------------------------- helpers

function setState(d: Draft, to: State, out: Out): void {
  if (d.state === to) return;
  out.events.push({ type: 'state', from: d.state, to });
  d.state = to;
}

function enterTimeWait(d: Draft, now: number, out: Out): void {
  setState(d, 'TIME_WAIT', out);
  d.unacked = [];
  d.outOfOrder = [];
  d.retries = 0;
  d.timers = timersWith(d.timers, { reply: null, keepalive: null, timeWait: now + 2 * d.config.mslMs });
}

function enterClosed(d: Draft, reason: CloseReason, out: Out): void {
  setState(d, 'CLOSED', out);
  clearConnection(d, reason);
  out.events.push({ type: 'closed', reason, listening: false });
}

function returnToListen(d: Draft, reason: CloseReason, out: Out): void {
  setState(d, 'LISTEN', out);
  clearConnection(d, reason);
  resetSequenceState(d);
  out.events.push({ type: 'closed', reason, listening: true });
}

function clearConnection(d: Draft, reason: CloseReason): void {
  d.unacked = [];
  d.outOfOrder = [];
  d.retries = 0;
  d.probes = 0;
  d.closeReason = reason;
  d.timers = timersWith(NO_TIMERS, { retryWait: d.timers.retryWait });
}

function resetSequenceState(d: Draft): void {
  d.sndUna = d.iss;
  d.sndNxt = d.iss;
  d.irs = 0;
  d.rcvNxt = 0;
}

/** Has this side said goodbye (sent its FIN)? Then it can send no more data: a send is refused `state/closing`. */
export function isClosing(state: State): boolean {
  return state === 'FIN_WAIT_1' || state === 'FIN_WAIT_2' || state === 'CLOSING' || state === 'LAST_ACK' || state === 'TIME_WAIT';
}

/** Send a segment that takes sequence space and keep it until it is acknowledged. */
function queue(d: Draft, u: Unacked, now: number, out: Out): void {
  d.unacked = [...d.unacked, u];
  d.sndNxt = seqAdd(u.seq, u.len);
  out.send.push(segmentFor(d, u));
  if (d.timers.reply === null) {
    d.retries = 0;
    d.timers = timersWith(d.timers, { reply: now + d.config.replyTimeoutMs });
  }
}

/** The segment for an unacknowledged entry, carrying the current ACK once the peer's ISN is known. */
function segmentFor(d: Draft, u: Unacked): Segment {
  const knowsPeer = d.state !== 'SYN_SENT' && d.state !== 'CLOSED' && d.state !== 'LISTEN';
  return {
    syn: u.syn,
    ack: knowsPeer,
    fin: u.fin,
    rst: false,
    seq: u.seq,
    ackNo: knowsPeer ? d.rcvNxt : 0,
    data: u.data,
  };
}

function sendAck(d: Draft, out: Out): void {
  out.send.push(makeSegment({ ack: true, seq: d.sndNxt, ackNo: d.rcvNxt }));
}

function drop(out: Out, code: DropCode, segment: Segment, reply: Reply): void {
  out.events.push({ type: 'dropped', code, segment, reply });
}

function refuse(out: Out, code: RefusalCode, input: Input['kind']): void {
  out.events.push({ type: 'refused', code, input });
}

/**
 * A segment with every field given a value: flags default to false, numbers to 0,
 * data to ''.
 *
 * @example makeSegment({ syn: true, seq: 1 }) // the story's "1+1 = ?"
 */
export function makeSegment(fields: Partial<Segment>): Segment {
  return {
    syn: fields.syn ?? false,
    ack: fields.ack ?? false,
    fin: fields.fin ?? false,
    rst: fields.rst ?? false,
    seq: (fields.seq ?? 0) >>> 0,
    ackNo: (fields.ackNo ?? 0) >>> 0,
    data: fields.data ?? '',
  };
}

function diffTimers(before: Timers, after: Timers, events: ProtocolEvent[]): void {
  if (before === after) return;
  diffTimer('reply', before.reply, after.reply, events);
  diffTimer('timeWait', before.timeWait, after.timeWait, events);
  diffTimer('keepalive', before.keepalive, after.keepalive, events);
  diffTimer('retryWait', before.retryWait, after.retryWait, events);
}

function diffTimer(timer: TimerName, before: number | null, after: number | null, events: ProtocolEvent[]): void {
  if (before === after) return;
  if (after === null) events.push({ type: 'timer-cancelled', timer });
  else events.push({ type: 'timer-armed', timer, at: after });
}
