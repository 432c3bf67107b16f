/**
 * Replays the trace notation of docs/protocol.md against two reference endpoints, A and B.
 *
 * A trace is a fenced ```trace block. Its first line is `# Title`. Setup lines give each
 * endpoint's ISN and config (`A iss=100`, `config mslMs=1000`). Every other line is an
 * action, then the actor's state after it, then the segments it sent (`-` for none,
 * several joined by ` + `):
 *
 *   A open        | SYN_SENT    | <SEQ=100><CTL=SYN>
 *   B receive     | SYN_RCVD    | <SEQ=300><ACK=101><CTL=SYN,ACK>
 *
 * Actions: `listen [iss=N]`, `open [iss=N]`, `send "text"`, `close`, `abort`, `tick`,
 * `receive` (the oldest segment in flight towards the actor), `receive #N` (the Nth
 * oldest, for a segment that overtook another), `receive <SEG>` (a segment
 * from elsewhere: an old duplicate), `crash [iss=N]` (forgets everything: a new CLOSED
 * endpoint). Line-only commands: `at N` sets the clock in ms, `lose A` drops the oldest
 * segment in flight from A, `# …` is a comment.
 */
import { createEndpoint, formatSegment, parseSegment, step } from '../../shared/protocol';
import type { Endpoint, Input, ProtocolConfig, Segment } from '../../shared/protocol';

/** What `config keepalive=1` turns on in a trace. */
export const TRACE_KEEPALIVE = { idleMs: 10_000, intervalMs: 5_000, probes: 3 } as const;

export interface Trace {
  readonly title: string;
  readonly lines: readonly { readonly text: string; readonly line: number }[];
}

type Side = 'A' | 'B';

/** Every ```trace block of a markdown text, with line numbers for error messages. */
export function parseTraces(markdown: string): Trace[] {
  const traces: Trace[] = [];
  const rows = markdown.split('\n');
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]?.trim() !== '```trace') continue;
    const lines: { text: string; line: number }[] = [];
    let title = '';
    for (i++; i < rows.length && rows[i]?.trim() !== '```'; i++) {
      const text = rows[i]?.trim() ?? '';
      if (text === '') continue;
      if (title === '' && text.startsWith('#')) title = text.replace(/^#\s*/, '');
      else if (!text.startsWith('#')) lines.push({ text, line: i + 1 });
    }
    traces.push({ title, lines });
  }
  return traces;
}

export interface TraceRun {
  readonly endpoints: Readonly<Record<Side, Endpoint>>;
  readonly steps: number;
}

/** Run a trace; throws an Error naming the line and what differed. */
export function runTrace(trace: Trace): TraceRun {
  const iss: Record<Side, number> = { A: 0, B: 0 };
  const config: Partial<{ -readonly [K in keyof ProtocolConfig]: ProtocolConfig[K] }> = {};
  let endpoints: Record<Side, Endpoint> | null = null;
  const inFlight: Record<Side, Segment[]> = { A: [], B: [] }; // keyed by sender
  let now = 0;
  let steps = 0;
  const other = (side: Side): Side => (side === 'A' ? 'B' : 'A');

  for (const { text, line } of trace.lines) {
    const fail = (why: string): never => {
      throw new Error(`${trace.title}, line ${line} "${text}": ${why}`);
    };
    const setup = /^(A|B) iss=(\d+)$/.exec(text);
    if (setup !== null && endpoints === null) {
      iss[setup[1] as Side] = Number(setup[2]);
      continue;
    }
    const conf = /^config (\w+)=(\d+)$/.exec(text);
    if (conf !== null && endpoints === null) {
      if (conf[1] === 'keepalive') config.keepalive = Number(conf[2]) > 0 ? TRACE_KEEPALIVE : null;
      else (config as Record<string, number>)[conf[1] ?? ''] = Number(conf[2]);
      continue;
    }
    endpoints ??= { A: createEndpoint({ ...config, iss: iss.A }), B: createEndpoint({ ...config, iss: iss.B }) };

    const at = /^at (\d+)$/.exec(text);
    if (at !== null) {
      now = Number(at[1]);
      continue;
    }
    const lose = /^lose (A|B)$/.exec(text);
    if (lose !== null) {
      if (inFlight[lose[1] as Side].shift() === undefined) fail('nothing in flight to lose');
      continue;
    }

    const [action = '', wantState, wantSent, ...extra] = text.split('|').map((s) => s.trim());
    if (wantState === undefined || wantSent === undefined || extra.length > 0) return fail('expected "action | STATE | segments"');
    const match = /^(A|B) (\w+)(?: (.*))?$/.exec(action);
    if (match === null) fail('cannot read the action');
    const side = match![1] as Side;
    const verb = match![2] ?? '';
    const arg = match![3]?.trim();
    const issArg = arg !== undefined && /^iss=\d+$/.test(arg) ? Number(arg.slice(4)) : undefined;

    let input: Input;
    switch (verb) {
      case 'listen':
        input = issArg === undefined ? { kind: 'listen' } : { kind: 'listen', iss: issArg };
        break;
      case 'open':
        input = issArg === undefined ? { kind: 'open' } : { kind: 'open', iss: issArg };
        break;
      case 'send':
        input = { kind: 'send', data: JSON.parse(arg ?? '""') as string };
        break;
      case 'close':
      case 'abort':
      case 'tick':
        input = { kind: verb };
        break;
      case 'receive': {
        let segment: Segment | undefined;
        const nth = arg !== undefined && /^#\d+$/.test(arg) ? Number(arg.slice(1)) : undefined;
        if (arg === undefined || nth !== undefined) {
          segment = inFlight[other(side)].splice((nth ?? 1) - 1, 1)[0];
          if (segment === undefined) fail('nothing in flight to receive');
        } else {
          segment = parseSegment(arg);
        }
        input = { kind: 'receive', segment: segment! };
        break;
      }
      case 'crash':
        endpoints[side] = createEndpoint({ ...config, iss: issArg ?? endpoints[side].iss });
        input = { kind: 'tick' };
        break;
      default:
        return fail(`unknown action ${verb}`);
    }
    const result = step(endpoints[side], input, now);
    steps++;
    endpoints[side] = result.endpoint;
    inFlight[side].push(...result.send);
    if (result.endpoint.state !== wantState) fail(`state is ${result.endpoint.state}, trace says ${wantState}`);
    const sent = result.send.length === 0 ? '-' : result.send.map(formatSegment).join(' + ');
    const want = wantSent === '-' ? '-' : wantSent.split(' + ').map((s) => formatSegment(parseSegment(s))).join(' + ');
    if (sent !== want) fail(`sent ${sent}, trace says ${want}`);
  }
  if (endpoints === null) throw new Error(`${trace.title}: no actions`);
  return { endpoints, steps };
}
