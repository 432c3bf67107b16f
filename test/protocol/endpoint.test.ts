/**
 * The reference TCP endpoint, specified as tables (docs/protocol.md, RFC 9293).
 *
 * Numbers used throughout: our endpoint ("A") has iss = 100 and talks to a peer with
 * iss = 300, so A's first data byte is 101 and the peer's is 301. `reach(state)` drives a
 * fresh endpoint into any of the eleven states by feeding it real inputs at time 0; tests
 * then act at later times. Time is only ever the `now` passed to `step`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  STATES,
  TIMER_NAMES,
  createEndpoint,
  formatSegment,
  makeSegment,
  nextDeadline,
  parseSegment,
  step,
} from '../../shared/protocol';
import type {
  Endpoint,
  Input,
  KeepaliveConfig,
  ProtocolConfig,
  ProtocolEvent,
  Segment,
  State,
  StepResult,
} from '../../shared/protocol';

// ---------------------------------------------------------------- helpers

const A_ISS = 100;
const PEER_ISS = 300;
const KA: KeepaliveConfig = { idleMs: 10_000, intervalMs: 5_000, probes: 3 };

const rx = (text: string): Input => ({ kind: 'receive', segment: parseSegment(text) });
const LISTEN: Input = { kind: 'listen' };
const OPEN: Input = { kind: 'open' };
const CLOSE: Input = { kind: 'close' };
const ABORT: Input = { kind: 'abort' };
const TICK: Input = { kind: 'tick' };
const send = (data: string): Input => ({ kind: 'send', data });

/** `listen`, `open`, `send "text"`, `close`, `abort`, `tick`, or a segment `<SEQ=…>…`. */
function inputFor(action: string): Input {
  if (action.startsWith('<')) return rx(action);
  if (action.startsWith('send ')) return send(JSON.parse(action.slice(5)) as string);
  switch (action) {
    case 'listen':
      return LISTEN;
    case 'open':
      return OPEN;
    case 'close':
      return CLOSE;
    case 'abort':
      return ABORT;
    case 'tick':
      return TICK;
    default:
      throw new Error(`unknown action ${action}`);
  }
}

/** A state to start from; SYN_RCVD comes in two flavours (after `listen`, after `open`). */
type Setup = State | 'SYN_RCVD (active)';

const TO_ESTABLISHED = [OPEN, rx('<SEQ=300><ACK=101><CTL=SYN,ACK>')];
const TO_FIN_WAIT_1 = [...TO_ESTABLISHED, CLOSE];
const TO_FIN_WAIT_2 = [...TO_FIN_WAIT_1, rx('<SEQ=301><ACK=102><CTL=ACK>')];
const TO_CLOSE_WAIT = [...TO_ESTABLISHED, rx('<SEQ=301><ACK=101><CTL=FIN,ACK>')];

/** The real inputs that take a fresh endpoint (iss 100) into each state, the peer's ISS being 300. */
const PATHS: Readonly<Record<Setup, readonly Input[]>> = {
  CLOSED: [],
  LISTEN: [LISTEN],
  SYN_SENT: [OPEN],
  SYN_RCVD: [LISTEN, rx('<SEQ=300><CTL=SYN>')],
  'SYN_RCVD (active)': [OPEN, rx('<SEQ=300><CTL=SYN>')],
  ESTABLISHED: TO_ESTABLISHED,
  FIN_WAIT_1: TO_FIN_WAIT_1,
  FIN_WAIT_2: TO_FIN_WAIT_2,
  CLOSE_WAIT: TO_CLOSE_WAIT,
  CLOSING: [...TO_FIN_WAIT_1, rx('<SEQ=301><ACK=101><CTL=FIN,ACK>')],
  LAST_ACK: [...TO_CLOSE_WAIT, CLOSE],
  TIME_WAIT: [...TO_FIN_WAIT_2, rx('<SEQ=301><ACK=102><CTL=FIN,ACK>')],
};
const SETUPS = Object.keys(PATHS) as Setup[];

/** The sequence variables each setup ends with: what every table below is computed from. */
const NUMBERS: Readonly<Record<Setup, { sndUna: number; sndNxt: number; rcvNxt: number }>> = {
  CLOSED: { sndUna: 100, sndNxt: 100, rcvNxt: 0 },
  LISTEN: { sndUna: 100, sndNxt: 100, rcvNxt: 0 },
  SYN_SENT: { sndUna: 100, sndNxt: 101, rcvNxt: 0 },
  SYN_RCVD: { sndUna: 100, sndNxt: 101, rcvNxt: 301 },
  'SYN_RCVD (active)': { sndUna: 100, sndNxt: 101, rcvNxt: 301 },
  ESTABLISHED: { sndUna: 101, sndNxt: 101, rcvNxt: 301 },
  FIN_WAIT_1: { sndUna: 101, sndNxt: 102, rcvNxt: 301 },
  FIN_WAIT_2: { sndUna: 102, sndNxt: 102, rcvNxt: 301 },
  CLOSE_WAIT: { sndUna: 101, sndNxt: 101, rcvNxt: 302 },
  CLOSING: { sndUna: 101, sndNxt: 102, rcvNxt: 302 },
  LAST_ACK: { sndUna: 101, sndNxt: 102, rcvNxt: 302 },
  TIME_WAIT: { sndUna: 102, sndNxt: 102, rcvNxt: 302 },
};

const SYNCHRONIZED: readonly Setup[] = [
  'SYN_RCVD',
  'SYN_RCVD (active)',
  'ESTABLISHED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
  'CLOSING',
  'LAST_ACK',
  'TIME_WAIT',
];

const stateOf = (setup: Setup): State => (setup === 'SYN_RCVD (active)' ? 'SYN_RCVD' : setup);

interface ReachOptions {
  readonly config?: Partial<ProtocolConfig>;
  /** The time every setup input is fed at (default 0). */
  readonly at?: number;
  /** A different ISS for our side (the peer's numbers then no longer match NUMBERS). */
  readonly iss?: number;
}

/** A fresh endpoint (iss 100) driven into `setup` by real inputs at time `at`. */
function reach(setup: Setup, options: ReachOptions = {}): Endpoint {
  let endpoint = createEndpoint({ ...options.config, iss: options.iss ?? A_ISS });
  for (const input of PATHS[setup]) endpoint = step(endpoint, input, options.at ?? 0).endpoint;
  if (endpoint.state !== stateOf(setup)) throw new Error(`reach(${setup}) ended in ${endpoint.state}`);
  return endpoint;
}

const sent = (result: StepResult): string[] => result.send.map(formatSegment);

/** The events a transition table cares about, as short strings. Timer and ack events are checked elsewhere. */
function keyEvents(events: readonly ProtocolEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'state':
        out.push(`${e.from}→${e.to}`);
        break;
      case 'dropped':
        out.push(`dropped ${e.code}, reply ${e.reply ?? 'none'}`);
        break;
      case 'refused':
        out.push(`refused ${e.code}`);
        break;
      case 'closed':
        out.push(`closed ${e.reason}${e.listening ? ', listening' : ''}`);
        break;
      case 'peer-closed':
        out.push('peer-closed');
        break;
      case 'delivered':
        out.push(`delivered ${e.seq} ${JSON.stringify(e.data)}`);
        break;
      case 'buffered':
        out.push(`buffered ${e.segment.seq}`);
        break;
      default:
        break;
    }
  }
  return out;
}

const timerEvents = (events: readonly ProtocolEvent[]): ProtocolEvent[] =>
  events.filter((e) => e.type === 'timer-armed' || e.type === 'timer-cancelled');
const delivered = (events: readonly ProtocolEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'delivered' ? [e.data] : []));

/** Recursively freezes a value so that any mutation throws (modules run in strict mode). */
function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child, seen);
  return value;
}

/** `step` on a deep-frozen endpoint and input, checking both are unchanged afterwards. */
function frozenStep(endpoint: Endpoint, input: Input, now: number): StepResult {
  const before = structuredClone(endpoint);
  const inputBefore = structuredClone(input);
  const result = step(deepFreeze(endpoint), deepFreeze(input), now);
  expect(endpoint).toEqual(before);
  expect(input).toEqual(inputBefore);
  return result;
}

type Side = 'A' | 'B';
const other = (side: Side): Side => (side === 'A' ? 'B' : 'A');

/**
 * Two endpoints and a line between them, for conversations: `do` feeds a user call or a
 * tick, `receive` hands a side the oldest segment (or the `index`th) in flight towards it.
 */
class Call {
  readonly ep: Record<Side, Endpoint>;
  readonly wire: Record<Side, Segment[]> = { A: [], B: [] };
  now = 0;
  readonly delivered: Record<Side, string[]> = { A: [], B: [] };

  constructor(
    iss: Readonly<Record<Side, number>>,
    readonly config: Partial<ProtocolConfig> = {},
    readonly stepFn: (endpoint: Endpoint, input: Input, now: number) => StepResult = step,
  ) {
    this.ep = { A: createEndpoint({ ...config, iss: iss.A }), B: createEndpoint({ ...config, iss: iss.B }) };
  }

  do(side: Side, input: Input): StepResult {
    const result = this.stepFn(this.ep[side], input, this.now);
    this.ep[side] = result.endpoint;
    this.wire[side].push(...result.send);
    this.delivered[side].push(...delivered(result.events));
    return result;
  }

  receive(side: Side, index = 0, keepCopy = false): StepResult {
    const queue = this.wire[other(side)];
    const segment = queue[index];
    if (segment === undefined) throw new Error(`nothing in flight towards ${side}`);
    if (!keepCopy) queue.splice(index, 1);
    return this.do(side, { kind: 'receive', segment });
  }

  lose(from: Side): void {
    if (this.wire[from].shift() === undefined) throw new Error(`nothing in flight from ${from}`);
  }

  crash(side: Side, iss: number): void {
    this.ep[side] = createEndpoint({ ...this.config, iss });
  }

  /** Moves the clock to `t`, ticking each side at every deadline on the way, as a host does. */
  advance(t: number, onTick?: (side: Side, result: StepResult) => void): void {
    for (let guard = 0; guard < 1000; guard++) {
      const due = (['A', 'B'] as const)
        .map((side) => nextDeadline(this.ep[side]))
        .filter((d): d is number => d !== null && d <= t);
      if (due.length === 0) break;
      this.now = Math.max(this.now, Math.min(...due));
      for (const side of ['A', 'B'] as const) {
        const deadline = nextDeadline(this.ep[side]);
        if (deadline !== null && deadline <= this.now) {
          const result = this.do(side, TICK);
          onTick?.(side, result);
        }
      }
    }
    this.now = Math.max(this.now, t);
  }
}

// ---------------------------------------------------------------- the helper itself

describe('reach (test helper)', () => {
  it('covers all eleven states', () => {
    expect(new Set(SETUPS.map(stateOf))).toEqual(new Set(STATES));
  });

  it.each(SETUPS)('drives a fresh endpoint into %s with the documented numbers', (setup) => {
    const endpoint = reach(setup);
    expect(endpoint.state).toBe(stateOf(setup));
    expect({ sndUna: endpoint.sndUna, sndNxt: endpoint.sndNxt, rcvNxt: endpoint.rcvNxt }).toEqual(NUMBERS[setup]);
    if (setup === 'SYN_RCVD') expect(endpoint.passive).toBe(true);
    if (setup === 'SYN_RCVD (active)') expect(endpoint.passive).toBe(false);
  });
});

// ---------------------------------------------------------------- the engine

describe('endpoint', () => {
  describe('createEndpoint', () => {
    it('starts CLOSED with the default config, no timers and the given ISS', () => {
      const endpoint = createEndpoint({ iss: 42 });
      expect(endpoint.state).toBe('CLOSED');
      expect(endpoint.config).toEqual(DEFAULT_CONFIG);
      expect(endpoint.iss).toBe(42);
      expect(endpoint.timers).toEqual({ reply: null, timeWait: null, keepalive: null, retryWait: null });
      expect(nextDeadline(endpoint)).toBeNull();
      expect(endpoint.closeReason).toBeNull();
    });

    it('defaults the ISS to 0 and takes any config field', () => {
      const endpoint = createEndpoint({ mslMs: 1000, keepalive: KA });
      expect(endpoint.iss).toBe(0);
      expect(endpoint.config).toEqual({ ...DEFAULT_CONFIG, mslMs: 1000, keepalive: KA });
    });

    it('has the documented defaults', () => {
      expect(DEFAULT_CONFIG).toEqual({
        replyTimeoutMs: 5000,
        maxRetries: 3,
        retryWaitMs: 60000,
        mslMs: 30000,
        receiveWindow: 65535,
        keepalive: null,
      });
    });

    it('takes a new ISS from listen and open', () => {
      expect(step(createEndpoint({ iss: 1 }), { kind: 'open', iss: 7 }, 0).send.map(formatSegment)).toEqual(['<SEQ=7><CTL=SYN>']);
      const listening = step(createEndpoint({ iss: 1 }), { kind: 'listen', iss: 9 }, 0).endpoint;
      const relisten = step(listening, { kind: 'listen', iss: 11 }, 0);
      expect(relisten.events).toEqual([]);
      expect(sent(step(relisten.endpoint, rx('<SEQ=5><CTL=SYN>'), 0))).toEqual(['<SEQ=11><ACK=6><CTL=SYN,ACK>']);
    });
  });

  // -------------------------------------------------------------- transitions

  describe('user calls in every state', () => {
    const rows: readonly (readonly [Setup, string, State, readonly string[], readonly string[]])[] = [
      // from, call, to, segments sent, key events
      ['CLOSED', 'listen', 'LISTEN', [], ['CLOSED→LISTEN']],
      ['CLOSED', 'open', 'SYN_SENT', ['<SEQ=100><CTL=SYN>'], ['CLOSED→SYN_SENT']],
      ['CLOSED', 'send "hi"', 'CLOSED', [], ['refused state/not-established']],
      ['CLOSED', 'close', 'CLOSED', [], ['refused state/not-open']],
      ['CLOSED', 'abort', 'CLOSED', [], ['refused state/not-open']],

      ['LISTEN', 'listen', 'LISTEN', [], []],
      ['LISTEN', 'open', 'SYN_SENT', ['<SEQ=100><CTL=SYN>'], ['LISTEN→SYN_SENT']],
      ['LISTEN', 'send "hi"', 'LISTEN', [], ['refused state/not-established']],
      ['LISTEN', 'close', 'CLOSED', [], ['LISTEN→CLOSED', 'closed cancelled']],
      ['LISTEN', 'abort', 'CLOSED', [], ['LISTEN→CLOSED', 'closed aborted']],

      ['SYN_SENT', 'listen', 'SYN_SENT', [], ['refused state/already-open']],
      ['SYN_SENT', 'open', 'SYN_SENT', [], ['refused state/already-open']],
      ['SYN_SENT', 'send "hi"', 'SYN_SENT', [], ['refused state/not-established']],
      ['SYN_SENT', 'close', 'CLOSED', [], ['SYN_SENT→CLOSED', 'closed cancelled']],
      ['SYN_SENT', 'abort', 'CLOSED', [], ['SYN_SENT→CLOSED', 'closed aborted']],

      ['SYN_RCVD', 'listen', 'SYN_RCVD', [], ['refused state/already-open']],
      ['SYN_RCVD', 'open', 'SYN_RCVD', [], ['refused state/already-open']],
      ['SYN_RCVD', 'send "hi"', 'SYN_RCVD', [], ['refused state/not-established']],
      ['SYN_RCVD', 'close', 'FIN_WAIT_1', ['<SEQ=101><ACK=301><CTL=FIN,ACK>'], ['SYN_RCVD→FIN_WAIT_1']],
      ['SYN_RCVD', 'abort', 'CLOSED', ['<SEQ=101><CTL=RST>'], ['SYN_RCVD→CLOSED', 'closed aborted']],

      ['SYN_RCVD (active)', 'listen', 'SYN_RCVD', [], ['refused state/already-open']],
      ['SYN_RCVD (active)', 'open', 'SYN_RCVD', [], ['refused state/already-open']],
      ['SYN_RCVD (active)', 'send "hi"', 'SYN_RCVD', [], ['refused state/not-established']],
      ['SYN_RCVD (active)', 'close', 'FIN_WAIT_1', ['<SEQ=101><ACK=301><CTL=FIN,ACK>'], ['SYN_RCVD→FIN_WAIT_1']],
      ['SYN_RCVD (active)', 'abort', 'CLOSED', ['<SEQ=101><CTL=RST>'], ['SYN_RCVD→CLOSED', 'closed aborted']],

      ['ESTABLISHED', 'listen', 'ESTABLISHED', [], ['refused state/already-open']],
      ['ESTABLISHED', 'open', 'ESTABLISHED', [], ['refused state/already-open']],
      ['ESTABLISHED', 'send "hi"', 'ESTABLISHED', ['<SEQ=101><ACK=301><CTL=ACK><DATA="hi">'], []],
      ['ESTABLISHED', 'send ""', 'ESTABLISHED', [], ['refused send/empty']],
      ['ESTABLISHED', 'close', 'FIN_WAIT_1', ['<SEQ=101><ACK=301><CTL=FIN,ACK>'], ['ESTABLISHED→FIN_WAIT_1']],
      ['ESTABLISHED', 'abort', 'CLOSED', ['<SEQ=101><CTL=RST>'], ['ESTABLISHED→CLOSED', 'closed aborted']],

      ['FIN_WAIT_1', 'listen', 'FIN_WAIT_1', [], ['refused state/already-open']],
      ['FIN_WAIT_1', 'open', 'FIN_WAIT_1', [], ['refused state/already-open']],
      ['FIN_WAIT_1', 'send "hi"', 'FIN_WAIT_1', [], ['refused state/closing']],
      ['FIN_WAIT_1', 'close', 'FIN_WAIT_1', [], ['refused state/closing']],
      ['FIN_WAIT_1', 'abort', 'CLOSED', ['<SEQ=102><CTL=RST>'], ['FIN_WAIT_1→CLOSED', 'closed aborted']],

      ['FIN_WAIT_2', 'listen', 'FIN_WAIT_2', [], ['refused state/already-open']],
      ['FIN_WAIT_2', 'open', 'FIN_WAIT_2', [], ['refused state/already-open']],
      ['FIN_WAIT_2', 'send "hi"', 'FIN_WAIT_2', [], ['refused state/closing']],
      ['FIN_WAIT_2', 'close', 'FIN_WAIT_2', [], ['refused state/closing']],
      ['FIN_WAIT_2', 'abort', 'CLOSED', ['<SEQ=102><CTL=RST>'], ['FIN_WAIT_2→CLOSED', 'closed aborted']],

      ['CLOSE_WAIT', 'listen', 'CLOSE_WAIT', [], ['refused state/already-open']],
      ['CLOSE_WAIT', 'open', 'CLOSE_WAIT', [], ['refused state/already-open']],
      ['CLOSE_WAIT', 'send "hi"', 'CLOSE_WAIT', ['<SEQ=101><ACK=302><CTL=ACK><DATA="hi">'], []],
      ['CLOSE_WAIT', 'send ""', 'CLOSE_WAIT', [], ['refused send/empty']],
      ['CLOSE_WAIT', 'close', 'LAST_ACK', ['<SEQ=101><ACK=302><CTL=FIN,ACK>'], ['CLOSE_WAIT→LAST_ACK']],
      ['CLOSE_WAIT', 'abort', 'CLOSED', ['<SEQ=101><CTL=RST>'], ['CLOSE_WAIT→CLOSED', 'closed aborted']],

      ['CLOSING', 'listen', 'CLOSING', [], ['refused state/already-open']],
      ['CLOSING', 'open', 'CLOSING', [], ['refused state/already-open']],
      ['CLOSING', 'send "hi"', 'CLOSING', [], ['refused state/closing']],
      ['CLOSING', 'close', 'CLOSING', [], ['refused state/closing']],
      ['CLOSING', 'abort', 'CLOSED', [], ['CLOSING→CLOSED', 'closed aborted']],

      ['LAST_ACK', 'listen', 'LAST_ACK', [], ['refused state/already-open']],
      ['LAST_ACK', 'open', 'LAST_ACK', [], ['refused state/already-open']],
      ['LAST_ACK', 'send "hi"', 'LAST_ACK', [], ['refused state/closing']],
      ['LAST_ACK', 'close', 'LAST_ACK', [], ['refused state/closing']],
      ['LAST_ACK', 'abort', 'CLOSED', [], ['LAST_ACK→CLOSED', 'closed aborted']],

      ['TIME_WAIT', 'listen', 'TIME_WAIT', [], ['refused state/already-open']],
      ['TIME_WAIT', 'open', 'TIME_WAIT', [], ['refused state/already-open']],
      ['TIME_WAIT', 'send "hi"', 'TIME_WAIT', [], ['refused state/closing']],
      ['TIME_WAIT', 'close', 'TIME_WAIT', [], ['refused state/closing']],
      ['TIME_WAIT', 'abort', 'CLOSED', [], ['TIME_WAIT→CLOSED', 'closed aborted']],
    ];

    it('has a row for every call in every state', () => {
      for (const setup of SETUPS) {
        for (const call of ['listen', 'open', 'send "hi"', 'close', 'abort']) {
          expect(rows.some(([from, c]) => from === setup && c === call), `${setup} ${call}`).toBe(true);
        }
      }
    });

    it.each(rows.map(([from, call, to, sends, events]) => ({ from, call, to, sends, events })))(
      '$from: $call → $to',
      ({ from, call, to, sends, events }) => {
        const before = reach(from);
        const input = inputFor(call);
        const result = step(before, input, 1000);
        expect(result.endpoint.state).toBe(to);
        expect(sent(result)).toEqual(sends);
        expect(keyEvents(result.events)).toEqual(events);
        const refused = result.events.find((e) => e.type === 'refused');
        if (refused !== undefined) {
          // "A call that is not allowed in the current state changes nothing."
          expect(result.endpoint).toEqual(before);
          expect(result.events).toEqual([{ type: 'refused', code: refused.code, input: input.kind }]);
        }
      },
    );

    it.each([
      ['LISTEN', 'cancelled'],
      ['SYN_SENT', 'cancelled'],
      ['SYN_RCVD', 'aborted'],
      ['ESTABLISHED', 'aborted'],
      ['TIME_WAIT', 'aborted'],
    ] as const)('leaves no timer running and records why after ending in %s (%s)', (setup, reason) => {
      const result = step(reach(setup), reason === 'cancelled' ? CLOSE : ABORT, 1000);
      expect(result.endpoint.closeReason).toBe(reason);
      expect(result.endpoint.unacked).toEqual([]);
      expect(nextDeadline(result.endpoint)).toBeNull();
    });
  });

  describe('arriving segments in every state', () => {
    const rows: readonly (readonly [Setup, string, string, State, readonly string[], readonly string[]])[] = [
      // from, what, segment, to, segments sent, key events
      ['LISTEN', 'SYN', '<SEQ=300><CTL=SYN>', 'SYN_RCVD', ['<SEQ=100><ACK=301><CTL=SYN,ACK>'], ['LISTEN→SYN_RCVD']],
      ['LISTEN', 'SYN with data (Choice 8)', '<SEQ=300><CTL=SYN><DATA="hi">', 'SYN_RCVD', ['<SEQ=100><ACK=301><CTL=SYN,ACK>'], ['LISTEN→SYN_RCVD']],
      ['LISTEN', 'SYN with FIN (Choice 8)', '<SEQ=300><CTL=SYN,FIN>', 'SYN_RCVD', ['<SEQ=100><ACK=301><CTL=SYN,ACK>'], ['LISTEN→SYN_RCVD']],
      ['LISTEN', 'SYN+ACK', '<SEQ=300><ACK=101><CTL=SYN,ACK>', 'LISTEN', ['<SEQ=101><CTL=RST>'], ['dropped ack/unexpected, reply rst']],
      ['LISTEN', 'bare ACK', '<SEQ=301><ACK=77><CTL=ACK>', 'LISTEN', ['<SEQ=77><CTL=RST>'], ['dropped ack/unexpected, reply rst']],
      ['LISTEN', 'data', '<SEQ=301><DATA="hi">', 'LISTEN', [], ['dropped segment/no-syn, reply none']],
      ['LISTEN', 'FIN', '<SEQ=301><CTL=FIN>', 'LISTEN', [], ['dropped segment/no-syn, reply none']],
      ['LISTEN', 'RST', '<SEQ=300><CTL=RST>', 'LISTEN', [], ['dropped rst/ignored, reply none']],
      ['LISTEN', 'RST+ACK', '<SEQ=300><ACK=101><CTL=RST,ACK>', 'LISTEN', [], ['dropped rst/ignored, reply none']],

      ['SYN_SENT', 'SYN+ACK acking our SYN', '<SEQ=300><ACK=101><CTL=SYN,ACK>', 'ESTABLISHED', ['<SEQ=101><ACK=301><CTL=ACK>'], ['SYN_SENT→ESTABLISHED']],
      ['SYN_SENT', 'SYN+ACK with data (Choice 8)', '<SEQ=300><ACK=101><CTL=SYN,ACK><DATA="hi">', 'ESTABLISHED', ['<SEQ=101><ACK=301><CTL=ACK>'], ['SYN_SENT→ESTABLISHED']],
      ['SYN_SENT', 'SYN+ACK acking ISS (wrong)', '<SEQ=300><ACK=100><CTL=SYN,ACK>', 'SYN_SENT', ['<SEQ=100><CTL=RST>'], ['dropped ack/unacceptable, reply rst']],
      ['SYN_SENT', 'SYN+ACK acking beyond SND.NXT', '<SEQ=300><ACK=102><CTL=SYN,ACK>', 'SYN_SENT', ['<SEQ=102><CTL=RST>'], ['dropped ack/unacceptable, reply rst']],
      ['SYN_SENT', 'old SYN+ACK (Figure 8)', '<SEQ=300><ACK=91><CTL=SYN,ACK>', 'SYN_SENT', ['<SEQ=91><CTL=RST>'], ['dropped ack/unacceptable, reply rst']],
      ['SYN_SENT', 'bare SYN (simultaneous open)', '<SEQ=300><CTL=SYN>', 'SYN_RCVD', ['<SEQ=100><ACK=301><CTL=SYN,ACK>'], ['SYN_SENT→SYN_RCVD']],
      ['SYN_SENT', 'right bare ACK', '<SEQ=301><ACK=101><CTL=ACK>', 'SYN_SENT', [], ['dropped segment/no-syn, reply none']],
      ['SYN_SENT', 'wrong bare ACK', '<SEQ=301><ACK=91><CTL=ACK>', 'SYN_SENT', ['<SEQ=91><CTL=RST>'], ['dropped ack/unacceptable, reply rst']],
      ['SYN_SENT', 'FIN', '<SEQ=301><CTL=FIN>', 'SYN_SENT', [], ['dropped segment/no-syn, reply none']],
      ['SYN_SENT', 'RST acking our SYN', '<SEQ=0><ACK=101><CTL=RST,ACK>', 'CLOSED', [], ['SYN_SENT→CLOSED', 'closed refused']],
      ['SYN_SENT', 'RST without ACK', '<SEQ=300><CTL=RST>', 'SYN_SENT', [], ['dropped rst/unacceptable, reply none']],
      ['SYN_SENT', 'RST acking the wrong number', '<SEQ=0><ACK=100><CTL=RST,ACK>', 'SYN_SENT', [], ['dropped rst/unacceptable, reply none']],

      ['SYN_RCVD', 'right ACK', '<SEQ=301><ACK=101><CTL=ACK>', 'ESTABLISHED', [], ['SYN_RCVD→ESTABLISHED']],
      ['SYN_RCVD', 'wrong ACK (ISS)', '<SEQ=301><ACK=100><CTL=ACK>', 'SYN_RCVD', ['<SEQ=100><CTL=RST>'], ['dropped ack/unacceptable, reply rst']],
      ['SYN_RCVD', 'wrong ACK (ahead)', '<SEQ=301><ACK=102><CTL=ACK>', 'SYN_RCVD', ['<SEQ=102><CTL=RST>'], ['dropped ack/unacceptable, reply rst']],
      ['SYN_RCVD', 'right ACK with data', '<SEQ=301><ACK=101><CTL=ACK><DATA="hi">', 'ESTABLISHED', ['<SEQ=101><ACK=303><CTL=ACK>'], ['SYN_RCVD→ESTABLISHED', 'delivered 301 "hi"']],
      ['SYN_RCVD', 'right ACK with FIN', '<SEQ=301><ACK=101><CTL=FIN,ACK>', 'CLOSE_WAIT', ['<SEQ=101><ACK=302><CTL=ACK>'], ['SYN_RCVD→ESTABLISHED', 'peer-closed', 'ESTABLISHED→CLOSE_WAIT']],
      ['SYN_RCVD', 'data without ACK', '<SEQ=301><DATA="hi">', 'SYN_RCVD', [], ['dropped ack/missing, reply none']],
      ['SYN_RCVD', 'repeated SYN (Choice 2)', '<SEQ=300><CTL=SYN>', 'SYN_RCVD', ['<SEQ=100><ACK=301><CTL=SYN,ACK>'], ['dropped seq/duplicate, reply syn-ack']],
      ['SYN_RCVD', 'another SYN in the window', '<SEQ=400><CTL=SYN>', 'LISTEN', [], ['dropped syn/unexpected, reply none', 'SYN_RCVD→LISTEN', 'closed reset, listening']],
      ['SYN_RCVD', 'RST exact', '<SEQ=301><CTL=RST>', 'LISTEN', [], ['SYN_RCVD→LISTEN', 'closed reset, listening']],
      ['SYN_RCVD', 'RST in window, inexact', '<SEQ=302><CTL=RST>', 'SYN_RCVD', ['<SEQ=101><ACK=301><CTL=ACK>'], ['dropped rst/inexact, reply ack']],
      ['SYN_RCVD', 'RST out of window', '<SEQ=300><CTL=RST>', 'SYN_RCVD', [], ['dropped rst/out-of-window, reply none']],

      ['SYN_RCVD (active)', "peer's SYN+ACK (Choice 1)", '<SEQ=300><ACK=101><CTL=SYN,ACK>', 'ESTABLISHED', [], ['SYN_RCVD→ESTABLISHED']],
      ['SYN_RCVD (active)', 'right ACK', '<SEQ=301><ACK=101><CTL=ACK>', 'ESTABLISHED', [], ['SYN_RCVD→ESTABLISHED']],
      ['SYN_RCVD (active)', 'wrong ACK', '<SEQ=301><ACK=100><CTL=ACK>', 'SYN_RCVD', ['<SEQ=100><CTL=RST>'], ['dropped ack/unacceptable, reply rst']],
      ['SYN_RCVD (active)', 'repeated SYN', '<SEQ=300><CTL=SYN>', 'SYN_RCVD', ['<SEQ=100><ACK=301><CTL=SYN,ACK>'], ['dropped seq/duplicate, reply syn-ack']],
      ['SYN_RCVD (active)', 'another SYN in the window', '<SEQ=400><CTL=SYN>', 'SYN_RCVD', ['<SEQ=101><ACK=301><CTL=ACK>'], ['dropped syn/unexpected, reply ack']],
      ['SYN_RCVD (active)', 'RST exact', '<SEQ=301><CTL=RST>', 'CLOSED', [], ['SYN_RCVD→CLOSED', 'closed refused']],

      ['ESTABLISHED', 'data', '<SEQ=301><ACK=101><CTL=ACK><DATA="hi">', 'ESTABLISHED', ['<SEQ=101><ACK=303><CTL=ACK>'], ['delivered 301 "hi"']],
      ['ESTABLISHED', 'data without ACK', '<SEQ=301><DATA="hi">', 'ESTABLISHED', [], ['dropped ack/missing, reply none']],
      ['ESTABLISHED', 'data ahead of a gap', '<SEQ=303><ACK=101><CTL=ACK><DATA="cd">', 'ESTABLISHED', ['<SEQ=101><ACK=301><CTL=ACK>'], ['buffered 303']],
      ['ESTABLISHED', 'data beyond the window', '<SEQ=65836><ACK=101><CTL=ACK><DATA="x">', 'ESTABLISHED', ['<SEQ=101><ACK=301><CTL=ACK>'], ['dropped seq/out-of-window, reply ack']],
      ['ESTABLISHED', 'data already received', '<SEQ=299><ACK=101><CTL=ACK><DATA="ab">', 'ESTABLISHED', ['<SEQ=101><ACK=301><CTL=ACK>'], ['dropped seq/duplicate, reply ack']],
      ['ESTABLISHED', 'data overlapping RCV.NXT (Choice 9)', '<SEQ=300><ACK=101><CTL=ACK><DATA="ab">', 'ESTABLISHED', ['<SEQ=101><ACK=301><CTL=ACK>'], ['dropped seq/overlap, reply ack']],
      ['ESTABLISHED', 'FIN', '<SEQ=301><ACK=101><CTL=FIN,ACK>', 'CLOSE_WAIT', ['<SEQ=101><ACK=302><CTL=ACK>'], ['peer-closed', 'ESTABLISHED→CLOSE_WAIT']],
      ['ESTABLISHED', 'data with FIN', '<SEQ=301><ACK=101><CTL=FIN,ACK><DATA="bye">', 'CLOSE_WAIT', ['<SEQ=101><ACK=305><CTL=ACK>'], ['delivered 301 "bye"', 'peer-closed', 'ESTABLISHED→CLOSE_WAIT']],
      ['ESTABLISHED', 'FIN without ACK', '<SEQ=301><CTL=FIN>', 'ESTABLISHED', [], ['dropped ack/missing, reply none']],
      ['ESTABLISHED', 'right bare ACK', '<SEQ=301><ACK=101><CTL=ACK>', 'ESTABLISHED', [], []],
      ['ESTABLISHED', 'old ACK (ignored)', '<SEQ=301><ACK=100><CTL=ACK>', 'ESTABLISHED', [], []],
      ['ESTABLISHED', 'ACK of unsent data', '<SEQ=301><ACK=105><CTL=ACK>', 'ESTABLISHED', ['<SEQ=101><ACK=301><CTL=ACK>'], ['dropped ack/ahead, reply ack']],
      ['ESTABLISHED', 'repeated SYN+ACK (our ACK was lost)', '<SEQ=300><ACK=101><CTL=SYN,ACK>', 'ESTABLISHED', ['<SEQ=101><ACK=301><CTL=ACK>'], ['dropped seq/duplicate, reply ack']],
      ['ESTABLISHED', 'SYN in the window (Figure 9)', '<SEQ=400><CTL=SYN>', 'ESTABLISHED', ['<SEQ=101><ACK=301><CTL=ACK>'], ['dropped syn/unexpected, reply ack']],
      ['ESTABLISHED', 'RST exact', '<SEQ=301><CTL=RST>', 'CLOSED', [], ['ESTABLISHED→CLOSED', 'closed reset']],
      ['ESTABLISHED', 'RST in window, inexact', '<SEQ=400><CTL=RST>', 'ESTABLISHED', ['<SEQ=101><ACK=301><CTL=ACK>'], ['dropped rst/inexact, reply ack']],
      ['ESTABLISHED', 'RST out of window', '<SEQ=100><CTL=RST>', 'ESTABLISHED', [], ['dropped rst/out-of-window, reply none']],

      ['FIN_WAIT_1', 'ACK of our FIN', '<SEQ=301><ACK=102><CTL=ACK>', 'FIN_WAIT_2', [], ['FIN_WAIT_1→FIN_WAIT_2']],
      ['FIN_WAIT_1', 'ACK not of our FIN', '<SEQ=301><ACK=101><CTL=ACK>', 'FIN_WAIT_1', [], []],
      ['FIN_WAIT_1', 'FIN acking our FIN', '<SEQ=301><ACK=102><CTL=FIN,ACK>', 'TIME_WAIT', ['<SEQ=102><ACK=302><CTL=ACK>'], ['peer-closed', 'FIN_WAIT_1→TIME_WAIT']],
      ['FIN_WAIT_1', 'FIN not acking it', '<SEQ=301><ACK=101><CTL=FIN,ACK>', 'CLOSING', ['<SEQ=102><ACK=302><CTL=ACK>'], ['peer-closed', 'FIN_WAIT_1→CLOSING']],
      ['FIN_WAIT_1', 'data', '<SEQ=301><ACK=101><CTL=ACK><DATA="hi">', 'FIN_WAIT_1', ['<SEQ=102><ACK=303><CTL=ACK>'], ['delivered 301 "hi"']],
      ['FIN_WAIT_1', 'data acking our FIN', '<SEQ=301><ACK=102><CTL=ACK><DATA="hi">', 'FIN_WAIT_2', ['<SEQ=102><ACK=303><CTL=ACK>'], ['delivered 301 "hi"', 'FIN_WAIT_1→FIN_WAIT_2']],
      ['FIN_WAIT_1', 'SYN in the window', '<SEQ=400><CTL=SYN>', 'FIN_WAIT_1', ['<SEQ=102><ACK=301><CTL=ACK>'], ['dropped syn/unexpected, reply ack']],
      ['FIN_WAIT_1', 'RST exact', '<SEQ=301><CTL=RST>', 'CLOSED', [], ['FIN_WAIT_1→CLOSED', 'closed reset']],
      ['FIN_WAIT_1', 'RST in window, inexact', '<SEQ=302><CTL=RST>', 'FIN_WAIT_1', ['<SEQ=102><ACK=301><CTL=ACK>'], ['dropped rst/inexact, reply ack']],

      ['FIN_WAIT_2', 'FIN', '<SEQ=301><ACK=102><CTL=FIN,ACK>', 'TIME_WAIT', ['<SEQ=102><ACK=302><CTL=ACK>'], ['peer-closed', 'FIN_WAIT_2→TIME_WAIT']],
      ['FIN_WAIT_2', 'data (half-close)', '<SEQ=301><ACK=102><CTL=ACK><DATA="bye!">', 'FIN_WAIT_2', ['<SEQ=102><ACK=305><CTL=ACK>'], ['delivered 301 "bye!"']],
      ['FIN_WAIT_2', 'bare ACK', '<SEQ=301><ACK=102><CTL=ACK>', 'FIN_WAIT_2', [], []],
      ['FIN_WAIT_2', 'RST exact', '<SEQ=301><CTL=RST>', 'CLOSED', [], ['FIN_WAIT_2→CLOSED', 'closed reset']],
      ['FIN_WAIT_2', 'RST in window, inexact', '<SEQ=302><CTL=RST>', 'FIN_WAIT_2', ['<SEQ=102><ACK=301><CTL=ACK>'], ['dropped rst/inexact, reply ack']],
      ['FIN_WAIT_2', 'RST out of window', '<SEQ=200><CTL=RST>', 'FIN_WAIT_2', [], ['dropped rst/out-of-window, reply none']],

      ['CLOSE_WAIT', 'repeated FIN', '<SEQ=301><ACK=101><CTL=FIN,ACK>', 'CLOSE_WAIT', ['<SEQ=101><ACK=302><CTL=ACK>'], ['dropped seq/duplicate, reply ack']],
      ['CLOSE_WAIT', 'data after the FIN', '<SEQ=302><ACK=101><CTL=ACK><DATA="x">', 'CLOSE_WAIT', [], ['dropped data/after-fin, reply none']],
      ['CLOSE_WAIT', 'bare ACK', '<SEQ=302><ACK=101><CTL=ACK>', 'CLOSE_WAIT', [], []],
      ['CLOSE_WAIT', 'RST exact', '<SEQ=302><CTL=RST>', 'CLOSED', [], ['CLOSE_WAIT→CLOSED', 'closed reset']],
      ['CLOSE_WAIT', 'RST in window, inexact', '<SEQ=303><CTL=RST>', 'CLOSE_WAIT', ['<SEQ=101><ACK=302><CTL=ACK>'], ['dropped rst/inexact, reply ack']],

      ['CLOSING', 'ACK of our FIN', '<SEQ=302><ACK=102><CTL=ACK>', 'TIME_WAIT', [], ['CLOSING→TIME_WAIT']],
      ['CLOSING', 'ACK not of our FIN', '<SEQ=302><ACK=101><CTL=ACK>', 'CLOSING', [], []],
      ['CLOSING', 'repeated FIN', '<SEQ=301><ACK=101><CTL=FIN,ACK>', 'CLOSING', ['<SEQ=102><ACK=302><CTL=ACK>'], ['dropped seq/duplicate, reply ack']],
      ['CLOSING', 'RST exact', '<SEQ=302><CTL=RST>', 'CLOSED', [], ['CLOSING→CLOSED', 'closed reset']],

      ['LAST_ACK', 'ACK of our FIN', '<SEQ=302><ACK=102><CTL=ACK>', 'CLOSED', [], ['LAST_ACK→CLOSED', 'closed normal']],
      ['LAST_ACK', 'ACK not of our FIN', '<SEQ=302><ACK=101><CTL=ACK>', 'LAST_ACK', [], []],
      ['LAST_ACK', 'ACK of unsent data', '<SEQ=302><ACK=105><CTL=ACK>', 'LAST_ACK', ['<SEQ=102><ACK=302><CTL=ACK>'], ['dropped ack/ahead, reply ack']],
      ['LAST_ACK', 'repeated FIN', '<SEQ=301><ACK=101><CTL=FIN,ACK>', 'LAST_ACK', ['<SEQ=102><ACK=302><CTL=ACK>'], ['dropped seq/duplicate, reply ack']],
      ['LAST_ACK', 'RST exact', '<SEQ=302><CTL=RST>', 'CLOSED', [], ['LAST_ACK→CLOSED', 'closed reset']],

      ['TIME_WAIT', 'repeated FIN', '<SEQ=301><ACK=102><CTL=FIN,ACK>', 'TIME_WAIT', ['<SEQ=102><ACK=302><CTL=ACK>'], ['dropped seq/duplicate, reply ack']],
      ['TIME_WAIT', 'bare ACK', '<SEQ=302><ACK=102><CTL=ACK>', 'TIME_WAIT', [], []],
      ['TIME_WAIT', 'RST exact (Choice 6: ignored)', '<SEQ=302><CTL=RST>', 'TIME_WAIT', [], ['dropped rst/ignored, reply none']],
      ['TIME_WAIT', 'RST in window, inexact', '<SEQ=303><CTL=RST>', 'TIME_WAIT', [], ['dropped rst/ignored, reply none']],
      ['TIME_WAIT', 'RST out of window', '<SEQ=301><CTL=RST>', 'TIME_WAIT', [], ['dropped rst/out-of-window, reply none']],
    ];

    it.each(rows.map(([from, what, segment, to, sends, events]) => ({ from, what, segment, to, sends, events })))(
      '$from: $what $segment → $to',
      ({ from, segment, to, sends, events }) => {
        const result = step(reach(from), rx(segment), 1000);
        expect(result.endpoint.state).toBe(to);
        expect(sent(result)).toEqual(sends);
        expect(keyEvents(result.events)).toEqual(events);
        const dropped = result.events.find((e) => e.type === 'dropped');
        if (dropped !== undefined) expect(formatSegment(dropped.segment)).toBe(formatSegment(parseSegment(segment)));
      },
    );

    it('reports the ACK progress a segment makes', () => {
      const result = step(reach('SYN_SENT'), rx('<SEQ=300><ACK=101><CTL=SYN,ACK>'), 1000);
      expect(result.events).toContainEqual({ type: 'acked', ackNo: 101, bytes: 1 });
      expect(step(reach('LAST_ACK'), rx('<SEQ=302><ACK=102><CTL=ACK>'), 1000).events).toContainEqual({
        type: 'acked',
        ackNo: 102,
        bytes: 1,
      });
    });
  });

  describe('a segment reaching a CLOSED endpoint', () => {
    const closedEndpoints: readonly (readonly [string, () => Endpoint])[] = [
      ['a fresh endpoint', () => reach('CLOSED')],
      ['an endpoint whose connection ended', () => step(reach('ESTABLISHED'), ABORT, 0).endpoint],
    ];
    const rows: readonly (readonly [string, string, readonly string[]])[] = [
      // what, segment, reply (RFC 9293 §3.10.7.1)
      ['SYN', '<SEQ=300><CTL=SYN>', ['<SEQ=0><ACK=301><CTL=RST,ACK>']],
      ['SYN with data', '<SEQ=300><CTL=SYN><DATA="hi">', ['<SEQ=0><ACK=303><CTL=RST,ACK>']],
      ['data without ACK', '<SEQ=5><DATA="hello">', ['<SEQ=0><ACK=10><CTL=RST,ACK>']],
      ['FIN with UTF-8 data, no ACK', '<SEQ=5><CTL=FIN><DATA="你好">', ['<SEQ=0><ACK=12><CTL=RST,ACK>']],
      ['SYN at the top of sequence space', '<SEQ=4294967295><CTL=SYN>', ['<SEQ=0><ACK=0><CTL=RST,ACK>']],
      ['bare segment, no flags', '<SEQ=9>', ['<SEQ=0><ACK=9><CTL=RST,ACK>']],
      ['SYN+ACK', '<SEQ=300><ACK=101><CTL=SYN,ACK>', ['<SEQ=101><CTL=RST>']],
      ['bare ACK', '<SEQ=301><ACK=101><CTL=ACK>', ['<SEQ=101><CTL=RST>']],
      ['data with ACK (Figure 10)', '<SEQ=300><ACK=100><CTL=ACK><DATA="0123456789">', ['<SEQ=100><CTL=RST>']],
      ['FIN+ACK', '<SEQ=301><ACK=101><CTL=FIN,ACK>', ['<SEQ=101><CTL=RST>']],
      ['RST', '<SEQ=300><CTL=RST>', []],
      ['RST+ACK', '<SEQ=300><ACK=7><CTL=RST,ACK>', []],
    ];
    const cases = closedEndpoints.flatMap(([who, make]) => rows.map(([what, segment, reply]) => ({ who, make, what, segment, reply })));

    it.each(cases)('$who answers $what $segment with $reply', ({ make, segment, reply }) => {
      const before = make();
      const result = step(before, rx(segment), 1000);
      expect(result.endpoint).toEqual(before);
      expect(sent(result)).toEqual(reply);
      expect(result.events).toEqual([
        { type: 'dropped', code: 'segment/no-connection', segment: parseSegment(segment), reply: reply.length > 0 ? 'rst' : null },
      ]);
    });
  });

  // -------------------------------------------------------------- RST

  describe('RST handling', () => {
    it.each(['<SEQ=300><CTL=RST>', '<SEQ=0><ACK=100><CTL=RST,ACK>'])('LISTEN ignores %s', (rst) => {
      const before = reach('LISTEN');
      const result = step(before, rx(rst), 1000);
      expect(result.endpoint).toEqual(before);
      expect(result.send).toEqual([]);
      expect(keyEvents(result.events)).toEqual(['dropped rst/ignored, reply none']);
    });

    it.each([
      ['<SEQ=0><ACK=101><CTL=RST,ACK>', 'CLOSED', ['SYN_SENT→CLOSED', 'closed refused']],
      ['<SEQ=12345><ACK=101><CTL=RST,ACK>', 'CLOSED', ['SYN_SENT→CLOSED', 'closed refused']],
      ['<SEQ=0><CTL=RST>', 'SYN_SENT', ['dropped rst/unacceptable, reply none']],
      ['<SEQ=0><ACK=100><CTL=RST,ACK>', 'SYN_SENT', ['dropped rst/unacceptable, reply none']],
      ['<SEQ=0><ACK=102><CTL=RST,ACK>', 'SYN_SENT', ['dropped rst/unacceptable, reply none']],
    ] as const)('SYN_SENT only accepts a RST that acks its SYN: %s → %s', (rst, to, events) => {
      const result = step(reach('SYN_SENT'), rx(rst), 1000);
      expect(result.endpoint.state).toBe(to);
      expect(result.send).toEqual([]);
      expect(keyEvents(result.events)).toEqual(events);
      if (to === 'CLOSED') {
        expect(result.endpoint.closeReason).toBe('refused');
        expect(result.events).toContainEqual({ type: 'timer-cancelled', timer: 'reply' });
        expect(nextDeadline(result.endpoint)).toBeNull();
      }
    });

    const exactOutcome: Readonly<Record<string, readonly [State, string]>> = {
      SYN_RCVD: ['LISTEN', 'closed reset, listening'],
      'SYN_RCVD (active)': ['CLOSED', 'closed refused'],
    };
    // TIME_WAIT is the exception (Choice 6, RFC 1337): see the next tests.
    const RESETTABLE = SYNCHRONIZED.filter((setup) => setup !== 'TIME_WAIT');
    const exactCases = RESETTABLE.flatMap((setup) => {
      const { sndNxt, rcvNxt } = NUMBERS[setup];
      const [to, closed] = exactOutcome[setup] ?? ['CLOSED', 'closed reset'];
      return [`<SEQ=${rcvNxt}><CTL=RST>`, `<SEQ=${rcvNxt}><ACK=${sndNxt}><CTL=RST,ACK>`].map((rst) => ({ setup, rst, to, closed }));
    });

    it.each(exactCases)('$setup: a RST exactly at RCV.NXT $rst → $to ($closed)', ({ setup, rst, to, closed }) => {
      const result = step(reach(setup), rx(rst), 1000);
      expect(result.endpoint.state).toBe(to);
      expect(result.send).toEqual([]);
      expect(keyEvents(result.events)).toEqual([`${stateOf(setup)}→${to}`, closed]);
      expect(result.endpoint.unacked).toEqual([]);
      expect(nextDeadline(result.endpoint)).toBeNull();
    });

    const inexactCases = RESETTABLE.flatMap((setup) => {
      const { sndNxt, rcvNxt } = NUMBERS[setup];
      const challenge = `<SEQ=${sndNxt}><ACK=${rcvNxt}><CTL=ACK>`;
      return [
        { setup, where: 'just after RCV.NXT', rst: `<SEQ=${rcvNxt + 1}><CTL=RST>`, reply: [challenge], code: 'rst/inexact, reply ack' },
        { setup, where: 'at the window edge', rst: `<SEQ=${rcvNxt + 65534}><CTL=RST>`, reply: [challenge], code: 'rst/inexact, reply ack' },
        { setup, where: 'just before RCV.NXT', rst: `<SEQ=${rcvNxt - 1}><CTL=RST>`, reply: [], code: 'rst/out-of-window, reply none' },
        { setup, where: 'just past the window', rst: `<SEQ=${rcvNxt + 65535}><CTL=RST>`, reply: [], code: 'rst/out-of-window, reply none' },
      ];
    });

    it.each(inexactCases)('$setup: a RST $where $rst is answered with $reply and changes nothing', ({ setup, rst, reply, code }) => {
      const before = reach(setup);
      const result = step(before, rx(rst), 1000);
      expect(result.endpoint).toEqual(before);
      expect(sent(result)).toEqual(reply);
      expect(keyEvents(result.events)).toEqual([`dropped ${code}`]);
    });

    it.each([
      ['exactly at RCV.NXT', '<SEQ=302><CTL=RST>', 'rst/ignored'],
      ['with an ACK', '<SEQ=302><ACK=102><CTL=RST,ACK>', 'rst/ignored'],
      ['inside the window', '<SEQ=303><CTL=RST>', 'rst/ignored'],
      ['at the window edge', '<SEQ=65836><CTL=RST>', 'rst/ignored'],
      ['before RCV.NXT', '<SEQ=301><CTL=RST>', 'rst/out-of-window'],
      ['past the window', '<SEQ=65837><CTL=RST>', 'rst/out-of-window'],
    ] as const)('TIME_WAIT ignores a RST %s %s (Choice 6: no TIME-WAIT assassination)', (_where, rst, code) => {
      const before = reach('TIME_WAIT');
      const result = step(before, rx(rst), 1000);
      expect(result.endpoint).toEqual(before);
      expect(result.send).toEqual([]);
      expect(keyEvents(result.events)).toEqual([`dropped ${code}, reply none`]);
      expect(step(result.endpoint, TICK, 60_000).endpoint.closeReason).toBe('normal');
    });

    it('never answers a RST with a RST, in any state', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...SETUPS),
          fc.record({ ack: fc.boolean(), syn: fc.boolean(), fin: fc.boolean(), data: fc.constantFrom('', 'x', '你好') }),
          fc.integer({ min: -3, max: 70_000 }),
          fc.integer({ min: -3, max: 3 }),
          (setup, flags, seqDelta, ackDelta) => {
            const { sndNxt, rcvNxt } = NUMBERS[setup];
            const segment = makeSegment({ ...flags, rst: true, seq: rcvNxt + seqDelta, ackNo: flags.ack ? sndNxt + ackDelta : 0 });
            const result = step(reach(setup), { kind: 'receive', segment }, 1000);
            expect(result.send.filter((s) => s.rst)).toEqual([]);
          },
        ),
      );
    });

    it('a crashed peer (a fresh CLOSED endpoint) resets a live connection: Figure 10', () => {
      const call = new Call({ A: 100, B: 300 });
      call.do('B', LISTEN);
      call.do('A', OPEN);
      call.receive('B');
      call.receive('A');
      call.receive('B');
      call.crash('A', 100);
      call.do('B', send('0123456789'));
      expect(sent(call.receive('A'))).toEqual(['<SEQ=101><CTL=RST>']);
      const result = call.receive('B');
      expect(result.endpoint.state).toBe('CLOSED');
      expect(keyEvents(result.events)).toEqual(['ESTABLISHED→CLOSED', 'closed reset']);
    });

    it('a reset from an aborting peer closes the other side with reason reset', () => {
      const call = new Call({ A: 100, B: 300 });
      call.do('B', LISTEN);
      call.do('A', OPEN);
      call.receive('B');
      call.receive('A');
      call.receive('B');
      expect(sent(call.do('A', ABORT))).toEqual(['<SEQ=101><CTL=RST>']);
      expect(call.receive('B').events).toContainEqual({ type: 'closed', reason: 'reset', listening: false });
    });
  });

  // -------------------------------------------------------------- purity

  describe('purity', () => {
    const probeInputs = (setup: Setup): Input[] => {
      const { sndNxt, rcvNxt } = NUMBERS[setup];
      const segments = [
        makeSegment({ ack: true, seq: rcvNxt, ackNo: sndNxt }),
        makeSegment({ ack: true, seq: rcvNxt, ackNo: sndNxt, data: 'hi' }),
        makeSegment({ ack: true, seq: rcvNxt + 5, ackNo: sndNxt, data: 'later' }),
        makeSegment({ ack: true, fin: true, seq: rcvNxt, ackNo: sndNxt }),
        makeSegment({ rst: true, seq: rcvNxt }),
        makeSegment({ syn: true, seq: PEER_ISS }),
        makeSegment({ syn: true, ack: true, seq: PEER_ISS, ackNo: sndNxt }),
      ];
      return [LISTEN, OPEN, send('hi'), CLOSE, ABORT, TICK, ...segments.map((segment): Input => ({ kind: 'receive', segment }))];
    };
    const cases = SETUPS.flatMap((setup) =>
      probeInputs(setup).map((input) => ({ setup, input, label: input.kind === 'receive' ? formatSegment(input.segment) : input.kind })),
    );

    it.each(cases)('$setup: step($label) leaves its deep-frozen endpoint and input unchanged', ({ setup, input }) => {
      const endpoint = reach(setup, { config: { keepalive: { ...KA } } });
      const deadline = nextDeadline(endpoint) ?? 0;
      const result = frozenStep(endpoint, structuredClone(input), input.kind === 'tick' ? deadline : 1000);
      expect(result.endpoint).not.toBe(endpoint);
    });

    it('runs a whole call (handshake, data both ways, close, TIME_WAIT) on frozen values', () => {
      const call = new Call({ A: 1, B: 3 }, { keepalive: { ...KA } }, frozenStep);
      call.do('B', LISTEN);
      call.do('A', OPEN);
      call.receive('B');
      call.receive('A');
      call.receive('B');
      call.do('A', send('hi'));
      call.do('A', send('there'));
      call.lose('A');
      call.receive('B'); // "there" ahead of the lost "hi": held
      call.receive('A');
      call.advance(5000); // "hi" sent again
      call.receive('B');
      call.receive('A');
      call.do('B', send('你好'));
      call.receive('A');
      call.receive('B');
      call.advance(20_000); // keep-alive probe and its answer
      call.receive('B');
      call.receive('A');
      call.do('A', CLOSE);
      call.receive('B');
      call.receive('A');
      call.do('B', CLOSE);
      call.receive('A');
      call.receive('B');
      call.advance(200_000);
      expect(call.ep.A.state).toBe('CLOSED');
      expect(call.ep.B.state).toBe('CLOSED');
      expect(call.delivered.B.join('')).toBe('hithere');
      expect(call.delivered.A).toEqual(['你好']);
    });

    it('never mutates its argument, whatever happens (random calls)', () => {
      fc.assert(
        fc.property(configArb, opsArb, (config, ops) => {
          simulate(config, ops, frozenStep);
        }),
        { numRuns: 150 },
      );
    });
  });

  // -------------------------------------------------------------- timers

  describe('timers', () => {
    it.each([
      ['a SYN (open)', 'CLOSED', OPEN, '<SEQ=100><CTL=SYN>'],
      ['a SYN+ACK (listen, SYN)', 'LISTEN', rx('<SEQ=300><CTL=SYN>'), '<SEQ=100><ACK=301><CTL=SYN,ACK>'],
      ['data', 'ESTABLISHED', send('hi'), '<SEQ=101><ACK=301><CTL=ACK><DATA="hi">'],
      ['a FIN (close)', 'ESTABLISHED', CLOSE, '<SEQ=101><ACK=301><CTL=FIN,ACK>'],
      ['a FIN from CLOSE_WAIT', 'CLOSE_WAIT', CLOSE, '<SEQ=101><ACK=302><CTL=FIN,ACK>'],
    ] as const)('arms the reply timer at now + 5000 when it sends %s', (_what, setup, input, segment) => {
      const result = step(reach(setup), input, 1000);
      expect(sent(result)).toEqual([segment]);
      expect(timerEvents(result.events)).toEqual([{ type: 'timer-armed', timer: 'reply', at: 6000 }]);
      expect(result.endpoint.timers.reply).toBe(6000);
      expect(nextDeadline(result.endpoint)).toBe(6000);
    });

    it('does not arm the reply timer for a bare ACK', () => {
      const result = step(reach('ESTABLISHED'), rx('<SEQ=301><ACK=101><CTL=ACK><DATA="hi">'), 1000);
      expect(sent(result)).toEqual(['<SEQ=101><ACK=303><CTL=ACK>']);
      expect(timerEvents(result.events)).toEqual([]);
      expect(nextDeadline(result.endpoint)).toBeNull();
    });

    it('keeps the running reply timer when a second segment is sent', () => {
      const first = step(reach('ESTABLISHED'), send('ab'), 1000);
      const second = step(first.endpoint, send('cd'), 2000);
      expect(sent(second)).toEqual(['<SEQ=103><ACK=301><CTL=ACK><DATA="cd">']);
      expect(timerEvents(second.events)).toEqual([]);
      expect(second.endpoint.timers.reply).toBe(6000);
    });

    it('restarts the reply timer on partial ACK progress and cancels it when all is acked', () => {
      let endpoint = step(reach('ESTABLISHED'), send('ab'), 1000).endpoint;
      endpoint = step(endpoint, send('cd'), 2000).endpoint;
      const partial = step(endpoint, rx('<SEQ=301><ACK=103><CTL=ACK>'), 3000);
      expect(partial.events).toEqual([
        { type: 'acked', ackNo: 103, bytes: 2 },
        { type: 'timer-armed', timer: 'reply', at: 8000 },
      ]);
      const all = step(partial.endpoint, rx('<SEQ=301><ACK=105><CTL=ACK>'), 4000);
      expect(all.events).toEqual([
        { type: 'acked', ackNo: 105, bytes: 2 },
        { type: 'timer-cancelled', timer: 'reply' },
      ]);
      expect(all.endpoint.unacked).toEqual([]);
      expect(nextDeadline(all.endpoint)).toBeNull();
    });

    it('retransmits only the oldest unacknowledged segment, and counts again after progress', () => {
      let endpoint = step(reach('ESTABLISHED'), send('ab'), 0).endpoint;
      endpoint = step(endpoint, send('cd'), 0).endpoint;
      const first = step(endpoint, TICK, 5000);
      expect(sent(first)).toEqual(['<SEQ=101><ACK=301><CTL=ACK><DATA="ab">']);
      expect(first.events).toContainEqual(expect.objectContaining({ type: 'retransmit', attempt: 1 }));
      const progress = step(first.endpoint, rx('<SEQ=301><ACK=103><CTL=ACK>'), 6000);
      const next = step(progress.endpoint, TICK, 11_000);
      expect(sent(next)).toEqual(['<SEQ=103><ACK=301><CTL=ACK><DATA="cd">']);
      expect(next.events).toContainEqual(expect.objectContaining({ type: 'retransmit', attempt: 1 }));
    });

    it('retransmits the SYN after 5 s, then gives up after maxRetries', () => {
      const opened = step(reach('CLOSED'), OPEN, 0);
      expect(opened.events).toEqual([
        { type: 'state', from: 'CLOSED', to: 'SYN_SENT' },
        { type: 'timer-armed', timer: 'reply', at: 5000 },
      ]);
      let endpoint = opened.endpoint;
      const early = step(endpoint, TICK, 4999);
      expect(early).toEqual({ endpoint, send: [], events: [] });

      const syn = parseSegment('<SEQ=100><CTL=SYN>');
      for (const [attempt, at] of [
        [1, 5000],
        [2, 10_000],
        [3, 15_000],
      ] as const) {
        const result = step(endpoint, TICK, at);
        expect(result.send).toEqual([syn]);
        expect(result.events).toEqual([
          { type: 'retransmit', segment: syn, attempt, maxRetries: 3 },
          { type: 'timer-armed', timer: 'reply', at: at + 5000 },
        ]);
        expect(result.endpoint.state).toBe('SYN_SENT');
        endpoint = result.endpoint;
      }

      const gaveUp = step(endpoint, TICK, 20_000);
      expect(gaveUp.send).toEqual([]); // no RST: the line is presumed down
      expect(gaveUp.endpoint.state).toBe('CLOSED');
      expect(gaveUp.endpoint.closeReason).toBe('timeout');
      expect(gaveUp.events).toEqual([
        { type: 'gave-up', retryAllowedAt: 80_000 },
        { type: 'state', from: 'SYN_SENT', to: 'CLOSED' },
        { type: 'closed', reason: 'timeout', listening: false },
        { type: 'timer-cancelled', timer: 'reply' },
        { type: 'timer-armed', timer: 'retryWait', at: 80_000 },
      ]);
      expect(nextDeadline(gaveUp.endpoint)).toBe(80_000);
    });

    it('refuses open during the retry wait with open/too-soon, and allows it after the retry-allowed tick', () => {
      let endpoint = step(reach('CLOSED'), OPEN, 0).endpoint;
      for (const at of [5000, 10_000, 15_000, 20_000]) endpoint = step(endpoint, TICK, at).endpoint;
      expect(endpoint.state).toBe('CLOSED');

      const tooSoon = step(endpoint, OPEN, 30_000);
      expect(tooSoon.endpoint).toEqual(endpoint);
      expect(tooSoon.send).toEqual([]);
      expect(tooSoon.events).toEqual([{ type: 'refused', code: 'open/too-soon', input: 'open', retryAllowedAt: 80_000 }]);

      expect(step(endpoint, TICK, 79_999)).toEqual({ endpoint, send: [], events: [] });
      const allowed = step(endpoint, TICK, 80_000);
      expect(allowed.events).toEqual([{ type: 'retry-allowed' }, { type: 'timer-cancelled', timer: 'retryWait' }]);
      expect(nextDeadline(allowed.endpoint)).toBeNull();

      const reopened = step(allowed.endpoint, OPEN, 80_000);
      expect(reopened.endpoint.state).toBe('SYN_SENT');
      expect(sent(reopened)).toEqual(['<SEQ=100><CTL=SYN>']);
    });

    it.each([
      ['the SYN', 'SYN_SENT', [], '<SEQ=100><CTL=SYN>', 'CLOSED'],
      ['the SYN+ACK of a listener', 'SYN_RCVD', [], '<SEQ=100><ACK=301><CTL=SYN,ACK>', 'LISTEN'],
      ['the SYN+ACK of a simultaneous open', 'SYN_RCVD (active)', [], '<SEQ=100><ACK=301><CTL=SYN,ACK>', 'CLOSED'],
      ['data', 'ESTABLISHED', [send('hi')], '<SEQ=101><ACK=301><CTL=ACK><DATA="hi">', 'CLOSED'],
      ['data from CLOSE_WAIT', 'CLOSE_WAIT', [send('hi')], '<SEQ=101><ACK=302><CTL=ACK><DATA="hi">', 'CLOSED'],
      ['the FIN of FIN_WAIT_1', 'FIN_WAIT_1', [], '<SEQ=101><ACK=301><CTL=FIN,ACK>', 'CLOSED'],
      ['the FIN of CLOSING, with the new ACK', 'CLOSING', [], '<SEQ=101><ACK=302><CTL=FIN,ACK>', 'CLOSED'],
      ['the FIN of LAST_ACK', 'LAST_ACK', [], '<SEQ=101><ACK=302><CTL=FIN,ACK>', 'CLOSED'],
    ] as const)('retransmits %s three times, then gives up to %s', (_what, setup, inputs, segment, finalState) => {
      let endpoint = reach(setup);
      for (const input of inputs) endpoint = step(endpoint, input, 0).endpoint;
      for (const attempt of [1, 2, 3]) {
        const result = step(endpoint, TICK, attempt * 5000);
        expect(sent(result)).toEqual([segment]);
        expect(result.events[0]).toEqual({ type: 'retransmit', segment: parseSegment(segment), attempt, maxRetries: 3 });
        endpoint = result.endpoint;
      }
      const gaveUp = step(endpoint, TICK, 20_000);
      expect(gaveUp.send).toEqual([]);
      expect(gaveUp.endpoint.state).toBe(finalState);
      expect(gaveUp.endpoint.closeReason).toBe('timeout');
      if (finalState === 'LISTEN') {
        // A passive SYN_RCVD was not the one asking: back to LISTEN, no retry wait.
        expect(gaveUp.events).toEqual([
          { type: 'gave-up', retryAllowedAt: null },
          { type: 'state', from: 'SYN_RCVD', to: 'LISTEN' },
          { type: 'closed', reason: 'timeout', listening: true },
          { type: 'timer-cancelled', timer: 'reply' },
        ]);
        expect(nextDeadline(gaveUp.endpoint)).toBeNull();
        const again = step(gaveUp.endpoint, rx('<SEQ=500><CTL=SYN>'), 20_001);
        expect(again.endpoint.state).toBe('SYN_RCVD');
        expect(sent(again)).toEqual(['<SEQ=100><ACK=501><CTL=SYN,ACK>']);
      } else {
        expect(gaveUp.events).toEqual([
          { type: 'gave-up', retryAllowedAt: 80_000 },
          { type: 'state', from: stateOf(setup), to: 'CLOSED' },
          { type: 'closed', reason: 'timeout', listening: false },
          { type: 'timer-cancelled', timer: 'reply' },
          { type: 'timer-armed', timer: 'retryWait', at: 80_000 },
        ]);
        expect(gaveUp.endpoint.timers).toEqual({ reply: null, timeWait: null, keepalive: null, retryWait: 80_000 });
      }
    });

    it.each([
      [0, 5000],
      [1, 10_000],
      [5, 30_000],
    ])('with maxRetries %i gives up at %i ms', (maxRetries, giveUpAt) => {
      let endpoint = step(reach('CLOSED', { config: { maxRetries } }), OPEN, 0).endpoint;
      for (let attempt = 1; attempt <= maxRetries; attempt++) {
        const result = step(endpoint, TICK, attempt * 5000);
        expect(result.events[0]).toEqual(expect.objectContaining({ type: 'retransmit', attempt, maxRetries }));
        endpoint = result.endpoint;
      }
      const gaveUp = step(endpoint, TICK, giveUpAt);
      expect(gaveUp.endpoint.state).toBe('CLOSED');
      expect(gaveUp.events[0]).toEqual({ type: 'gave-up', retryAllowedAt: giveUpAt + 60_000 });
    });

    it('uses replyTimeoutMs and retryWaitMs from the config', () => {
      const config = { replyTimeoutMs: 1000, maxRetries: 1, retryWaitMs: 500 };
      let endpoint = step(reach('CLOSED', { config }), OPEN, 0).endpoint;
      expect(nextDeadline(endpoint)).toBe(1000);
      endpoint = step(endpoint, TICK, 1000).endpoint;
      expect(nextDeadline(endpoint)).toBe(2000);
      const gaveUp = step(endpoint, TICK, 2000);
      expect(gaveUp.events[0]).toEqual({ type: 'gave-up', retryAllowedAt: 2500 });
    });

    it('a late tick retransmits once and re-arms from the tick time', () => {
      const endpoint = step(reach('CLOSED'), OPEN, 0).endpoint;
      const late = step(endpoint, TICK, 12_345);
      expect(late.events).toEqual([
        { type: 'retransmit', segment: parseSegment('<SEQ=100><CTL=SYN>'), attempt: 1, maxRetries: 3 },
        { type: 'timer-armed', timer: 'reply', at: 17_345 },
      ]);
    });

    it.each([
      [30_000, 60_000],
      [5000, 10_000],
      [1000, 2000],
    ])('with mslMs %i, TIME_WAIT lasts %i ms and then closes normally', (mslMs, wait) => {
      const entered = step(reach('FIN_WAIT_2', { config: { mslMs } }), rx('<SEQ=301><ACK=102><CTL=FIN,ACK>'), 1000);
      expect(entered.endpoint.state).toBe('TIME_WAIT');
      expect(timerEvents(entered.events)).toEqual([{ type: 'timer-armed', timer: 'timeWait', at: 1000 + wait }]);
      expect(nextDeadline(entered.endpoint)).toBe(1000 + wait);
      expect(step(entered.endpoint, TICK, 1000 + wait - 1)).toEqual({ endpoint: entered.endpoint, send: [], events: [] });
      const closed = step(entered.endpoint, TICK, 1000 + wait);
      expect(closed.send).toEqual([]);
      expect(closed.events).toEqual([
        { type: 'state', from: 'TIME_WAIT', to: 'CLOSED' },
        { type: 'closed', reason: 'normal', listening: false },
        { type: 'timer-cancelled', timer: 'timeWait' },
      ]);
      expect(closed.endpoint.closeReason).toBe('normal');
      expect(nextDeadline(closed.endpoint)).toBeNull();
    });

    it('entering TIME_WAIT from CLOSING stops the reply timer and starts 2 × MSL', () => {
      const result = step(reach('CLOSING'), rx('<SEQ=302><ACK=102><CTL=ACK>'), 1000);
      expect(timerEvents(result.events)).toEqual([
        { type: 'timer-cancelled', timer: 'reply' },
        { type: 'timer-armed', timer: 'timeWait', at: 61_000 },
      ]);
    });

    it('restarts TIME_WAIT when the peer repeats its FIN', () => {
      const tw = reach('TIME_WAIT', { config: { mslMs: 1000 } });
      expect(nextDeadline(tw)).toBe(2000);
      const repeat = step(tw, rx('<SEQ=301><ACK=102><CTL=FIN,ACK>'), 1500);
      expect(sent(repeat)).toEqual(['<SEQ=102><ACK=302><CTL=ACK>']);
      expect(timerEvents(repeat.events)).toEqual([{ type: 'timer-armed', timer: 'timeWait', at: 3500 }]);
      expect(step(repeat.endpoint, TICK, 2000).events).toEqual([]);
      expect(step(repeat.endpoint, TICK, 3500).endpoint.state).toBe('CLOSED');
    });

    it('TIME_WAIT is not restarted by anything but a repeated FIN', () => {
      const tw = reach('TIME_WAIT', { config: { mslMs: 1000 } });
      const ack = step(tw, rx('<SEQ=302><ACK=102><CTL=ACK>'), 1500);
      expect(timerEvents(ack.events)).toEqual([]);
      expect(nextDeadline(ack.endpoint)).toBe(2000);
    });

    it.each(SETUPS)('%s: a tick before the next deadline does nothing', (setup) => {
      const endpoint = reach(setup, { config: { keepalive: KA } });
      const deadline = nextDeadline(endpoint);
      const now = deadline === null ? 1_000_000 : deadline - 1;
      expect(step(endpoint, TICK, now)).toEqual({ endpoint, send: [], events: [] });
    });

    it.each([
      ['CLOSED', null],
      ['LISTEN', null],
      ['SYN_SENT', 5000],
      ['SYN_RCVD', 5000],
      ['ESTABLISHED', null],
      ['FIN_WAIT_1', 5000],
      ['FIN_WAIT_2', null],
      ['CLOSE_WAIT', null],
      ['CLOSING', 5000],
      ['LAST_ACK', 5000],
      ['TIME_WAIT', 60_000],
    ] as const)('nextDeadline in %s (no keep-alive) is %s', (setup, deadline) => {
      expect(nextDeadline(reach(setup))).toBe(deadline);
    });

    it('nextDeadline is the earliest of several running timers, and a late tick fires them earliest first', () => {
      // Give up an open (retryWait until 80000), then listen and take a SYN (reply at 30000).
      let endpoint = step(reach('CLOSED'), OPEN, 0).endpoint;
      for (const at of [5000, 10_000, 15_000, 20_000]) endpoint = step(endpoint, TICK, at).endpoint;
      endpoint = step(endpoint, LISTEN, 20_000).endpoint;
      endpoint = step(endpoint, rx('<SEQ=300><CTL=SYN>'), 25_000).endpoint;
      expect(endpoint.timers).toEqual({ reply: 30_000, timeWait: null, keepalive: null, retryWait: 80_000 });
      expect(nextDeadline(endpoint)).toBe(30_000);

      const late = step(endpoint, TICK, 90_000);
      expect(late.events).toEqual([
        { type: 'retransmit', segment: parseSegment('<SEQ=100><ACK=301><CTL=SYN,ACK>'), attempt: 1, maxRetries: 3 },
        { type: 'retry-allowed' },
        { type: 'timer-armed', timer: 'reply', at: 95_000 },
        { type: 'timer-cancelled', timer: 'retryWait' },
      ]);
      expect(nextDeadline(late.endpoint)).toBe(95_000);
    });

    it('nextDeadline picks keep-alive over a later retry wait', () => {
      let endpoint = step(reach('CLOSED', { config: { keepalive: KA } }), OPEN, 0).endpoint;
      for (const at of [5000, 10_000, 15_000, 20_000]) endpoint = step(endpoint, TICK, at).endpoint;
      endpoint = step(endpoint, LISTEN, 20_000).endpoint;
      endpoint = step(endpoint, rx('<SEQ=300><CTL=SYN>'), 21_000).endpoint;
      endpoint = step(endpoint, rx('<SEQ=301><ACK=101><CTL=ACK>'), 22_000).endpoint;
      expect(endpoint.state).toBe('ESTABLISHED');
      expect(endpoint.timers).toEqual({ reply: null, timeWait: null, keepalive: 32_000, retryWait: 80_000 });
      expect(nextDeadline(endpoint)).toBe(32_000);
    });

    it('reports timer-armed / timer-cancelled for exactly the timers that changed (random calls)', () => {
      fc.assert(
        fc.property(configArb, opsArb, (config, ops) => {
          simulate(config, ops, (endpoint, input, now) => {
            const result = step(endpoint, input, now);
            const changes = TIMER_NAMES.flatMap((timer): ProtocolEvent[] => {
              const before = endpoint.timers[timer];
              const after = result.endpoint.timers[timer];
              if (before === after) return [];
              return [after === null ? { type: 'timer-cancelled', timer } : { type: 'timer-armed', timer, at: after }];
            });
            expect(timerEvents(result.events)).toEqual(changes);
            const running = TIMER_NAMES.map((t) => result.endpoint.timers[t]).filter((t): t is number => t !== null);
            expect(nextDeadline(result.endpoint)).toBe(running.length === 0 ? null : Math.min(...running));
            return result;
          });
        }),
        { numRuns: 150 },
      );
    });
  });

  // -------------------------------------------------------------- sequence numbers

  describe('sequence numbers', () => {
    it.each([
      ['hi', 2],
      ['hello', 5],
      ['é', 2],
      ['你好', 6],
      ['😀', 4],
      ['a😀b', 6],
    ] as const)('data %j takes %i sequence numbers (its UTF-8 byte length)', (data, length) => {
      const first = step(reach('ESTABLISHED'), send(data), 0);
      expect(sent(first)).toEqual([formatSegment(makeSegment({ ack: true, seq: 101, ackNo: 301, data }))]);
      const second = step(first.endpoint, send('x'), 0);
      expect(second.send[0]?.seq).toBe(101 + length);
      const received = step(reach('ESTABLISHED'), { kind: 'receive', segment: makeSegment({ ack: true, seq: 301, ackNo: 101, data }) }, 0);
      expect(sent(received)).toEqual([`<SEQ=101><ACK=${301 + length}><CTL=ACK>`]);
    });

    it('SYN and FIN take one number each, a bare ACK none: the first data byte is ISS + 1', () => {
      const call = new Call({ A: 100, B: 300 });
      call.do('B', LISTEN);
      expect(sent(call.do('A', OPEN))).toEqual(['<SEQ=100><CTL=SYN>']);
      expect(sent(call.receive('B'))).toEqual(['<SEQ=300><ACK=101><CTL=SYN,ACK>']);
      expect(sent(call.receive('A'))).toEqual(['<SEQ=101><ACK=301><CTL=ACK>']);
      call.receive('B');
      // The bare ACK at 101 took nothing: A's data starts at 101 too, B's at 301.
      expect(sent(call.do('A', send('hi')))).toEqual(['<SEQ=101><ACK=301><CTL=ACK><DATA="hi">']);
      expect(sent(call.receive('B'))).toEqual(['<SEQ=301><ACK=103><CTL=ACK>']);
      call.receive('A');
      expect(sent(call.do('A', CLOSE))).toEqual(['<SEQ=103><ACK=301><CTL=FIN,ACK>']);
      expect(sent(call.receive('B'))).toEqual(['<SEQ=301><ACK=104><CTL=ACK>']);
      call.receive('A');
      expect(sent(call.do('B', CLOSE))).toEqual(['<SEQ=301><ACK=104><CTL=FIN,ACK>']);
      expect(sent(call.receive('A'))).toEqual(['<SEQ=104><ACK=302><CTL=ACK>']);
      expect(call.receive('B').endpoint.state).toBe('CLOSED');
    });

    it('takes a cumulative ACK of two data segments at once', () => {
      let endpoint = step(reach('ESTABLISHED'), send('ab'), 0).endpoint;
      endpoint = step(endpoint, send('cd'), 0).endpoint;
      expect(endpoint.unacked).toHaveLength(2);
      const result = step(endpoint, rx('<SEQ=301><ACK=105><CTL=ACK>'), 1000);
      expect(result.send).toEqual([]);
      expect(result.events).toEqual([
        { type: 'acked', ackNo: 105, bytes: 4 },
        { type: 'timer-cancelled', timer: 'reply' },
      ]);
      expect(result.endpoint.unacked).toEqual([]);
      expect(result.endpoint.sndUna).toBe(105);
    });

    it('acknowledges a duplicate again and does not deliver it again', () => {
      const data = rx('<SEQ=301><ACK=101><CTL=ACK><DATA="hi">');
      const first = step(reach('ESTABLISHED'), data, 1000);
      expect(delivered(first.events)).toEqual(['hi']);
      const again = step(first.endpoint, data, 2000);
      expect(sent(again)).toEqual(['<SEQ=101><ACK=303><CTL=ACK>']);
      expect(delivered(again.events)).toEqual([]);
      expect(keyEvents(again.events)).toEqual(['dropped seq/duplicate, reply ack']);
      expect(again.endpoint.rcvNxt).toBe(303);
    });

    it('holds data that arrives ahead of a gap and delivers it in order once the gap fills', () => {
      let endpoint = reach('ESTABLISHED');
      const cd = step(endpoint, rx('<SEQ=303><ACK=101><CTL=ACK><DATA="cd">'), 1000);
      expect(sent(cd)).toEqual(['<SEQ=101><ACK=301><CTL=ACK>']);
      expect(keyEvents(cd.events)).toEqual(['buffered 303']);
      const ef = step(cd.endpoint, rx('<SEQ=305><ACK=101><CTL=ACK><DATA="ef">'), 1100);
      expect(sent(ef)).toEqual(['<SEQ=101><ACK=301><CTL=ACK>']);
      const cdAgain = step(ef.endpoint, rx('<SEQ=303><ACK=101><CTL=ACK><DATA="cd">'), 1200);
      expect(keyEvents(cdAgain.events)).toEqual([]); // already held: not held twice
      endpoint = cdAgain.endpoint;
      const ab = step(endpoint, rx('<SEQ=301><ACK=101><CTL=ACK><DATA="ab">'), 1300);
      expect(keyEvents(ab.events)).toEqual(['delivered 301 "ab"', 'delivered 303 "cd"', 'delivered 305 "ef"']);
      expect(sent(ab)).toEqual(['<SEQ=101><ACK=307><CTL=ACK>']);
      expect(ab.endpoint.outOfOrder).toEqual([]);
    });

    it('takes a FIN that arrived ahead of a gap once the gap fills', () => {
      const fin = step(reach('ESTABLISHED'), rx('<SEQ=303><ACK=101><CTL=FIN,ACK>'), 1000);
      expect(fin.endpoint.state).toBe('ESTABLISHED');
      expect(keyEvents(fin.events)).toEqual(['buffered 303']);
      const gap = step(fin.endpoint, rx('<SEQ=301><ACK=101><CTL=ACK><DATA="ab">'), 1100);
      expect(keyEvents(gap.events)).toEqual(['delivered 301 "ab"', 'peer-closed', 'ESTABLISHED→CLOSE_WAIT']);
      expect(sent(gap)).toEqual(['<SEQ=101><ACK=304><CTL=ACK>']);
    });

    it('holds at most 32 segments ahead of a gap; the rest must be sent again', () => {
      let endpoint = reach('ESTABLISHED');
      const buffered: number[] = [];
      for (let i = 1; i <= 33; i++) {
        const result = step(endpoint, { kind: 'receive', segment: makeSegment({ ack: true, seq: 301 + i, ackNo: 101, data: 'x' }) }, 1000);
        expect(sent(result)).toEqual(['<SEQ=101><ACK=301><CTL=ACK>']);
        buffered.push(...result.events.flatMap((e) => (e.type === 'buffered' ? [e.segment.seq] : [])));
        endpoint = result.endpoint;
      }
      expect(buffered).toHaveLength(32);
      expect(buffered).not.toContain(334);
      const gap = step(endpoint, rx('<SEQ=301><ACK=101><CTL=ACK><DATA="x">'), 2000);
      expect(delivered(gap.events)).toHaveLength(33); // the gap and the 32 held ones
      expect(sent(gap)).toEqual(['<SEQ=101><ACK=334><CTL=ACK>']);
    });

    it('delivers everything in order and once, whatever order and duplicates the line makes', () => {
      fc.assert(
        fc.property(
          fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
          fc.array(fc.nat(20)),
          (texts, order) => {
            let seq = 301;
            const segments = texts.map((data) => {
              const segment = makeSegment({ ack: true, seq, ackNo: 101, data });
              seq += new TextEncoder().encode(data).length;
              return segment;
            });
            // A random (possibly repeating) order first, then everything once more so the gaps fill.
            const arrivals = [...order.map((i) => segments[i % segments.length]!), ...segments];
            let endpoint = reach('ESTABLISHED');
            const got: string[] = [];
            let lastAck = '';
            for (const segment of arrivals) {
              const result = step(endpoint, { kind: 'receive', segment }, 1000);
              endpoint = result.endpoint;
              got.push(...delivered(result.events));
              lastAck = sent(result).at(-1) ?? lastAck;
            }
            expect(got).toEqual(texts);
            expect(endpoint.rcvNxt).toBe(seq);
            expect(lastAck).toBe(`<SEQ=101><ACK=${seq}><CTL=ACK>`);
          },
        ),
      );
    });

    it('uses the receive window for acceptability', () => {
      const endpoint = reach('ESTABLISHED', { config: { receiveWindow: 10 } });
      const inside = step(endpoint, rx('<SEQ=310><ACK=101><CTL=ACK><DATA="x">'), 1000);
      expect(keyEvents(inside.events)).toEqual(['buffered 310']);
      const outside = step(endpoint, rx('<SEQ=311><ACK=101><CTL=ACK><DATA="x">'), 1000);
      expect(keyEvents(outside.events)).toEqual(['dropped seq/out-of-window, reply ack']);
      expect(sent(outside)).toEqual(['<SEQ=101><ACK=301><CTL=ACK>']);
    });

    it('keeps talking after a half-close: data flows from CLOSE_WAIT to FIN_WAIT_2 and is delivered', () => {
      const call = new Call({ A: 1, B: 3 });
      call.do('B', LISTEN);
      call.do('A', OPEN);
      call.receive('B');
      call.receive('A');
      call.receive('B');
      expect(sent(call.do('A', CLOSE))).toEqual(['<SEQ=2><ACK=4><CTL=FIN,ACK>']);
      expect(call.receive('B').endpoint.state).toBe('CLOSE_WAIT');
      expect(call.receive('A').endpoint.state).toBe('FIN_WAIT_2');
      expect(sent(call.do('B', send('bye!')))).toEqual(['<SEQ=4><ACK=3><CTL=ACK><DATA="bye!">']);
      const got = call.receive('A');
      expect(got.endpoint.state).toBe('FIN_WAIT_2');
      expect(keyEvents(got.events)).toEqual(['delivered 4 "bye!"']);
      expect(sent(got)).toEqual(['<SEQ=3><ACK=8><CTL=ACK>']);
      expect(call.receive('B').events).toContainEqual({ type: 'acked', ackNo: 8, bytes: 4 });
      expect(sent(call.do('B', CLOSE))).toEqual(['<SEQ=8><ACK=3><CTL=FIN,ACK>']);
      expect(call.receive('A').endpoint.state).toBe('TIME_WAIT');
      expect(call.receive('B').endpoint.state).toBe('CLOSED');
    });
  });

  // -------------------------------------------------------------- keep-alive

  describe('keep-alive', () => {
    const withKa = (setup: Setup): Endpoint => reach(setup, { config: { keepalive: KA } });

    it('arms the keep-alive timer idleMs after the connection is established', () => {
      const result = step(withKa('SYN_SENT'), rx('<SEQ=300><ACK=101><CTL=SYN,ACK>'), 0);
      expect(timerEvents(result.events)).toEqual([
        { type: 'timer-cancelled', timer: 'reply' },
        { type: 'timer-armed', timer: 'keepalive', at: 10_000 },
      ]);
      expect(nextDeadline(result.endpoint)).toBe(10_000);
    });

    it('sends the first probe after idleMs with seq = SND.NXT - 1', () => {
      const endpoint = withKa('ESTABLISHED');
      expect(step(endpoint, TICK, 9999)).toEqual({ endpoint, send: [], events: [] });
      const probe = step(endpoint, TICK, 10_000);
      expect(sent(probe)).toEqual(['<SEQ=100><ACK=301><CTL=ACK>']);
      expect(probe.events).toEqual([
        { type: 'keepalive-probe', attempt: 1 },
        { type: 'timer-armed', timer: 'keepalive', at: 15_000 },
      ]);
      expect(probe.endpoint.state).toBe('ESTABLISHED');
    });

    it.each([
      ['CLOSE_WAIT', '<SEQ=100><ACK=302><CTL=ACK>'],
      ['FIN_WAIT_2', '<SEQ=101><ACK=301><CTL=ACK>'],
    ] as const)('probes in %s too, with %s', (setup, probe) => {
      const endpoint = withKa(setup);
      expect(nextDeadline(endpoint)).toBe(10_000);
      expect(sent(step(endpoint, TICK, 10_000))).toEqual([probe]);
    });

    it.each(['CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RCVD', 'FIN_WAIT_1', 'CLOSING', 'LAST_ACK', 'TIME_WAIT'] as const)(
      'does not probe in %s',
      (setup) => {
        expect(withKa(setup).timers.keepalive).toBeNull();
      },
    );

    it('gives up after `probes` unanswered probes: CLOSED, reason keepalive, no RST, retry wait armed', () => {
      let endpoint = withKa('ESTABLISHED');
      for (const [attempt, at] of [
        [1, 10_000],
        [2, 15_000],
        [3, 20_000],
      ] as const) {
        const probe = step(endpoint, TICK, at);
        expect(sent(probe)).toEqual(['<SEQ=100><ACK=301><CTL=ACK>']);
        expect(probe.events[0]).toEqual({ type: 'keepalive-probe', attempt });
        endpoint = probe.endpoint;
      }
      const gaveUp = step(endpoint, TICK, 25_000);
      expect(gaveUp.send).toEqual([]);
      expect(gaveUp.endpoint.state).toBe('CLOSED');
      expect(gaveUp.endpoint.closeReason).toBe('keepalive');
      expect(gaveUp.events).toEqual([
        { type: 'gave-up', retryAllowedAt: 85_000 },
        { type: 'state', from: 'ESTABLISHED', to: 'CLOSED' },
        { type: 'closed', reason: 'keepalive', listening: false },
        { type: 'timer-cancelled', timer: 'keepalive' },
        { type: 'timer-armed', timer: 'retryWait', at: 85_000 },
      ]);
      expect(step(gaveUp.endpoint, OPEN, 30_000).events[0]).toEqual(expect.objectContaining({ code: 'open/too-soon', retryAllowedAt: 85_000 }));
    });

    it('an answer to a probe restarts the idle time and the probe count', () => {
      const probe = step(withKa('ESTABLISHED'), TICK, 10_000);
      const answer = step(probe.endpoint, rx('<SEQ=301><ACK=101><CTL=ACK>'), 12_000);
      expect(answer.send).toEqual([]);
      expect(timerEvents(answer.events)).toEqual([{ type: 'timer-armed', timer: 'keepalive', at: 22_000 }]);
      expect(step(answer.endpoint, TICK, 15_000).send).toEqual([]);
      const next = step(answer.endpoint, TICK, 22_000);
      expect(next.events[0]).toEqual({ type: 'keepalive-probe', attempt: 1 });
    });

    it('any acceptable segment restarts the idle time', () => {
      const data = step(withKa('ESTABLISHED'), rx('<SEQ=301><ACK=101><CTL=ACK><DATA="hi">'), 4000);
      expect(timerEvents(data.events)).toEqual([{ type: 'timer-armed', timer: 'keepalive', at: 14_000 }]);
    });

    it('an unacceptable segment does not count as hearing from the peer', () => {
      const endpoint = withKa('ESTABLISHED');
      const old = step(endpoint, rx('<SEQ=200><ACK=101><CTL=ACK><DATA="x">'), 4000);
      expect(keyEvents(old.events)).toEqual(['dropped seq/duplicate, reply ack']);
      expect(timerEvents(old.events)).toEqual([]);
      expect(nextDeadline(old.endpoint)).toBe(10_000);
    });

    it('pauses while our data waits for its ACK', () => {
      const sending = step(withKa('ESTABLISHED'), send('hi'), 3000);
      expect(timerEvents(sending.events)).toEqual([
        { type: 'timer-armed', timer: 'reply', at: 8000 },
        { type: 'timer-cancelled', timer: 'keepalive' },
      ]);
      const acked = step(sending.endpoint, rx('<SEQ=301><ACK=103><CTL=ACK>'), 4000);
      expect(timerEvents(acked.events)).toEqual([
        { type: 'timer-cancelled', timer: 'reply' },
        { type: 'timer-armed', timer: 'keepalive', at: 14_000 },
      ]);
    });

    it('a live peer answers a probe with an ACK, which restarts the idle time', () => {
      const call = new Call({ A: 100, B: 300 }, { keepalive: KA });
      call.do('B', LISTEN);
      call.do('A', OPEN);
      call.receive('B');
      call.receive('A');
      call.receive('B');
      call.now = 10_000;
      expect(sent(call.do('A', TICK))).toEqual(['<SEQ=100><ACK=301><CTL=ACK>']);
      const answer = call.receive('B');
      expect(sent(answer)).toEqual(['<SEQ=301><ACK=101><CTL=ACK>']);
      expect(keyEvents(answer.events)).toEqual(['dropped seq/duplicate, reply ack']);
      const heard = call.receive('A');
      expect(heard.endpoint.state).toBe('ESTABLISHED');
      expect(nextDeadline(heard.endpoint)).toBe(20_000);
    });

    it('a probe answered by a RST (the peer crashed and restarted) ends the call with reason reset', () => {
      const call = new Call({ A: 100, B: 300 }, { keepalive: KA });
      call.do('B', LISTEN);
      call.do('A', OPEN);
      call.receive('B');
      call.receive('A');
      call.receive('B');
      call.crash('B', 300);
      call.now = 10_000;
      call.do('A', TICK);
      const rst = call.receive('B');
      expect(sent(rst)).toEqual(['<SEQ=301><CTL=RST>']);
      expect(keyEvents(rst.events)).toEqual(['dropped segment/no-connection, reply rst']);
      const reset = call.receive('A');
      expect(reset.endpoint.state).toBe('CLOSED');
      expect(reset.endpoint.closeReason).toBe('reset');
      expect(keyEvents(reset.events)).toEqual(['ESTABLISHED→CLOSED', 'closed reset']);
      expect(nextDeadline(reset.endpoint)).toBeNull();
    });

    it('does nothing when keepalive is null (the default)', () => {
      const endpoint = reach('ESTABLISHED');
      expect(endpoint.config.keepalive).toBeNull();
      expect(endpoint.timers.keepalive).toBeNull();
      expect(nextDeadline(endpoint)).toBeNull();
      expect(step(endpoint, TICK, 1e9)).toEqual({ endpoint, send: [], events: [] });
    });
  });

  // -------------------------------------------------------------- wrap-around

  describe('sequence numbers wrap modulo 2^32', () => {
    it('handshake, data and close with iss = 0xFFFFFFFF - 1 wrap to small numbers', () => {
      const call = new Call({ A: 0xffffffff - 1, B: 300 });
      call.do('B', LISTEN);
      expect(sent(call.do('A', OPEN))).toEqual(['<SEQ=4294967294><CTL=SYN>']);
      expect(sent(call.receive('B'))).toEqual(['<SEQ=300><ACK=4294967295><CTL=SYN,ACK>']);
      expect(sent(call.receive('A'))).toEqual(['<SEQ=4294967295><ACK=301><CTL=ACK>']);
      expect(call.receive('B').endpoint.state).toBe('ESTABLISHED');
      expect(sent(call.do('A', send('hello')))).toEqual(['<SEQ=4294967295><ACK=301><CTL=ACK><DATA="hello">']);
      const got = call.receive('B');
      expect(delivered(got.events)).toEqual(['hello']);
      expect(sent(got)).toEqual(['<SEQ=301><ACK=4><CTL=ACK>']);
      expect(call.receive('A').events).toContainEqual({ type: 'acked', ackNo: 4, bytes: 5 });
      expect(call.ep.A.unacked).toEqual([]);
      expect(sent(call.do('B', send('hi')))).toEqual(['<SEQ=301><ACK=4><CTL=ACK><DATA="hi">']);
      expect(sent(call.receive('A'))).toEqual(['<SEQ=4><ACK=303><CTL=ACK>']);
      call.receive('B');
      expect(sent(call.do('A', CLOSE))).toEqual(['<SEQ=4><ACK=303><CTL=FIN,ACK>']);
      expect(sent(call.receive('B'))).toEqual(['<SEQ=303><ACK=5><CTL=ACK>']);
      expect(call.receive('A').endpoint.state).toBe('FIN_WAIT_2');
      expect(sent(call.do('B', CLOSE))).toEqual(['<SEQ=303><ACK=5><CTL=FIN,ACK>']);
      expect(sent(call.receive('A'))).toEqual(['<SEQ=5><ACK=304><CTL=ACK>']);
      expect(call.ep.A.state).toBe('TIME_WAIT');
      expect(call.receive('B').endpoint.state).toBe('CLOSED');
    });

    it('receives across the wrap: the peer starts at 0xFFFFFFFF - 1', () => {
      const call = new Call({ A: 100, B: 0xffffffff - 1 });
      call.do('B', LISTEN);
      call.do('A', OPEN);
      expect(sent(call.receive('B'))).toEqual(['<SEQ=4294967294><ACK=101><CTL=SYN,ACK>']);
      expect(sent(call.receive('A'))).toEqual(['<SEQ=101><ACK=4294967295><CTL=ACK>']);
      call.receive('B');
      call.do('B', send('ab'));
      call.do('B', send('你好'));
      call.lose('B'); // "ab" (at 4294967295) lost: "你好" (at 1) arrives ahead of the gap
      expect(keyEvents(call.receive('A').events)).toEqual(['buffered 1']);
      call.receive('B');
      call.advance(5000);
      const filled = call.receive('A');
      expect(keyEvents(filled.events)).toEqual(['delivered 4294967295 "ab"', 'delivered 1 "你好"']);
      expect(sent(filled)).toEqual(['<SEQ=101><ACK=7><CTL=ACK>']);
    });

    it('sends the keep-alive probe at SND.NXT - 1 across the wrap', () => {
      const call = new Call({ A: 0xffffffff, B: 300 }, { keepalive: KA });
      call.do('B', LISTEN);
      call.do('A', OPEN);
      call.receive('B');
      expect(sent(call.receive('A'))).toEqual(['<SEQ=0><ACK=301><CTL=ACK>']);
      call.now = 10_000;
      expect(sent(call.do('A', TICK))).toEqual(['<SEQ=4294967295><ACK=301><CTL=ACK>']);
      expect(sent(call.receive('B'))).toEqual([]); // B is not yet ESTABLISHED: its ACK is still in flight
    });

    it.each([
      [0xffffffff - 1, 300],
      [300, 0xffffffff - 1],
      [0xffffffff, 0xfffffffd],
      [0x7ffffffe, 0x80000000],
      [0, 0xffffffff],
    ])('a whole call works with ISNs %i and %i', (issA, issB) => {
      const call = new Call({ A: issA, B: issB });
      call.do('B', LISTEN);
      call.do('A', OPEN);
      call.receive('B');
      call.receive('A');
      expect(call.receive('B').endpoint.state).toBe('ESTABLISHED');
      call.do('A', send('ping'));
      call.receive('B');
      call.receive('A');
      call.do('B', send('pong'));
      call.receive('A');
      call.receive('B');
      call.do('A', CLOSE);
      call.receive('B');
      call.receive('A');
      call.do('B', CLOSE);
      call.receive('A');
      expect(call.receive('B').endpoint.state).toBe('CLOSED');
      expect(call.ep.A.state).toBe('TIME_WAIT');
      expect(call.delivered).toEqual({ A: ['pong'], B: ['ping'] });
      expect(call.ep.A.sndNxt).toBe((issA + 6) % 2 ** 32);
      expect(call.ep.A.rcvNxt).toBe((issB + 6) % 2 ** 32);
    });
  });

  // -------------------------------------------------------------- invariants

  describe('invariants over random calls', () => {
    it('state events chain, refusals change nothing, every dropped reply is the segment sent, no RST answers a RST', () => {
      fc.assert(
        fc.property(configArb, opsArb, (config, ops) => {
          simulate(config, ops, (endpoint, input, now) => {
            const result = step(endpoint, input, now);
            const states = result.events.flatMap((e) => (e.type === 'state' ? [e] : []));
            let at = endpoint.state;
            for (const change of states) {
              expect(change.from).toBe(at);
              expect(change.to).not.toBe(change.from);
              at = change.to;
            }
            expect(result.endpoint.state).toBe(at);

            if (result.events.some((e) => e.type === 'refused')) {
              expect(result.events).toHaveLength(1);
              expect(result.send).toEqual([]);
              expect(result.endpoint).toEqual(endpoint);
            }

            const drops = result.events.flatMap((e) => (e.type === 'dropped' ? [e] : []));
            expect(drops.length).toBeLessThanOrEqual(1);
            for (const drop of drops) {
              if (input.kind === 'receive') expect(drop.segment).toEqual(input.segment);
              if (drop.reply === null) expect(result.send).toEqual([]);
              else {
                expect(result.send).toHaveLength(1);
                const reply = result.send[0]!;
                const kind = reply.rst ? 'rst' : reply.syn && reply.ack ? 'syn-ack' : reply.ack && !reply.fin && reply.data === '' ? 'ack' : 'other';
                expect(kind).toBe(drop.reply);
              }
            }

            if (input.kind === 'receive' && input.segment.rst) expect(result.send.filter((s) => s.rst)).toEqual([]);

            const deadline = nextDeadline(endpoint);
            if (input.kind === 'tick' && (deadline === null || deadline > now)) {
              expect(result).toEqual({ endpoint, send: [], events: [] });
            }

            for (const e of result.events) {
              if (e.type === 'closed') {
                expect(result.endpoint.state).toBe(e.listening ? 'LISTEN' : 'CLOSED');
                expect(result.endpoint.closeReason).toBe(e.reason);
              }
            }
            return result;
          });
        }),
        { numRuns: 300 },
      );
    });
  });
});

// ---------------------------------------------------------------- random calls

type CallName = 'listen' | 'open' | 'send' | 'close' | 'abort';
type Op =
  | { readonly kind: 'call'; readonly side: Side; readonly call: CallName; readonly data: string }
  | { readonly kind: 'deliver'; readonly side: Side; readonly index: number; readonly keep: boolean }
  | { readonly kind: 'lose'; readonly side: Side }
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'tick'; readonly side: Side }
  | { readonly kind: 'crash'; readonly side: Side; readonly iss: number }
  | {
      readonly kind: 'forge';
      readonly side: Side;
      readonly flags: { readonly syn: boolean; readonly ack: boolean; readonly fin: boolean; readonly rst: boolean };
      readonly seqDelta: number;
      readonly ackDelta: number;
      readonly data: string;
    };

const sideArb = fc.constantFrom<Side>('A', 'B');
const callArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<CallName>('send') },
  { weight: 2, arbitrary: fc.constant<CallName>('close') },
  { weight: 1, arbitrary: fc.constantFrom<CallName>('listen', 'open', 'abort') },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('call' as const), side: sideArb, call: callArb, data: fc.constantFrom('', 'hi', '你好') }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('deliver' as const), side: sideArb, index: fc.oneof(fc.constant(0), fc.nat(2)), keep: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lose' as const), side: sideArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 6000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 70_000 }) }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), side: sideArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), side: sideArb, iss: fc.constantFrom(0, 1000, 0xfffffffe) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('forge' as const),
      side: sideArb,
      flags: fc.record({ syn: fc.boolean(), ack: fc.boolean(), fin: fc.boolean(), rst: fc.boolean() }),
      seqDelta: fc.integer({ min: -2, max: 3 }),
      ackDelta: fc.integer({ min: -2, max: 2 }),
      data: fc.constantFrom('', 'x', 'yz'),
    }),
  },
);
/** Random calls: most start from a finished handshake (B listening, A asking), some from nothing. */
const opsArb: fc.Arbitrary<Op[]> = fc.tuple(fc.boolean(), fc.array(opArb, { maxLength: 60, size: 'medium' })).map(([connected, ops]) =>
  connected
    ? [
        { kind: 'call', side: 'B', call: 'listen', data: '' },
        { kind: 'call', side: 'A', call: 'open', data: '' },
        { kind: 'deliver', side: 'B', index: 0, keep: false },
        { kind: 'deliver', side: 'A', index: 0, keep: false },
        { kind: 'deliver', side: 'B', index: 0, keep: false },
        ...ops,
      ]
    : ops,
);

const configArb: fc.Arbitrary<Partial<ProtocolConfig>> = fc.record({
  keepalive: fc.option(fc.constant(KA), { nil: null }),
  maxRetries: fc.integer({ min: 0, max: 3 }),
  mslMs: fc.constantFrom(1000, 30_000),
  receiveWindow: fc.constantFrom(4, 65_535),
});

/** Plays random calls between A (iss 0xFFFFFFFE: it wraps at once) and B (iss 300) through `stepFn`. */
function simulate(
  config: Partial<ProtocolConfig>,
  ops: readonly Op[],
  stepFn: (endpoint: Endpoint, input: Input, now: number) => StepResult,
): void {
  const call = new Call({ A: 0xfffffffe, B: PEER_ISS }, config, stepFn);
  for (const op of ops) {
    switch (op.kind) {
      case 'call':
        call.do(op.side, op.call === 'send' ? send(op.data) : { kind: op.call });
        break;
      case 'deliver':
        if (call.wire[other(op.side)].length > op.index) call.receive(op.side, op.index, op.keep);
        break;
      case 'lose':
        if (call.wire[op.side].length > 0) call.lose(op.side);
        break;
      case 'wait':
        call.advance(call.now + op.ms);
        break;
      case 'tick':
        call.do(op.side, TICK);
        break;
      case 'crash':
        call.crash(op.side, op.iss);
        break;
      case 'forge': {
        const target = call.ep[op.side];
        const segment = makeSegment({
          ...op.flags,
          seq: target.rcvNxt + op.seqDelta,
          ackNo: op.flags.ack ? target.sndNxt + op.ackDelta : 0,
          data: op.data,
        });
        call.do(op.side, { kind: 'receive', segment });
        break;
      }
    }
  }
}

describe('endpoint edge cases', () => {
  it('lets open through once the retry wait is over even before the tick, and stops the wait timer', () => {
    let e = createEndpoint({ iss: 1 });
    e = step(e, { kind: 'open' }, 0).endpoint;
    for (const t of [5_000, 10_000, 15_000, 20_000]) e = step(e, { kind: 'tick' }, t).endpoint;
    expect(e.state).toBe('CLOSED');
    expect(e.timers.retryWait).toBe(80_000);
    const r = step(e, { kind: 'open' }, 80_000);
    expect(r.endpoint.state).toBe('SYN_SENT');
    expect(r.endpoint.timers.retryWait).toBeNull();
    expect(r.events).toContainEqual({ type: 'timer-cancelled', timer: 'retryWait' });
  });

  it('drops with seq/buffer-full and acknowledges when 32 early segments are already held', () => {
    let b = step(createEndpoint({ iss: 300 }), { kind: 'listen' }, 0).endpoint;
    b = step(b, { kind: 'receive', segment: parseSegment('<SEQ=100><CTL=SYN>') }, 0).endpoint;
    b = step(b, { kind: 'receive', segment: parseSegment('<SEQ=101><ACK=301><CTL=ACK>') }, 0).endpoint;
    expect(b.state).toBe('ESTABLISHED');
    // A gap at 101: every segment from 102 on is early.
    for (let i = 0; i < 32; i++) {
      b = step(b, { kind: 'receive', segment: parseSegment(`<SEQ=${102 + i}><ACK=301><CTL=ACK><DATA="x">`) }, 0).endpoint;
    }
    expect(b.outOfOrder).toHaveLength(32);
    const r = step(b, { kind: 'receive', segment: parseSegment('<SEQ=134><ACK=301><CTL=ACK><DATA="x">') }, 0);
    expect(r.endpoint.outOfOrder).toHaveLength(32);
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'dropped', code: 'seq/buffer-full', reply: 'ack' }));
    expect(r.send.map(formatSegment)).toEqual(['<SEQ=301><ACK=101><CTL=ACK>']);
  });
});
