import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTraces, runTrace } from '../support/trace';

const markdown = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
const traces = parseTraces(markdown);

describe('docs/protocol.md traces', () => {
  it('holds the story, RFC 9293 figures 6 to 13 and the game\'s own cases', () => {
    const titles = traces.map((t) => t.title).join('\n');
    for (const figure of [6, 7, 8, 9, 10, 11, 12, 13]) expect(titles).toContain(`RFC 9293 Figure ${figure}:`);
    expect(traces.length).toBeGreaterThanOrEqual(15);
  });

  it.each(traces.map((t) => [t.title, t] as const))('%s', (_title, trace) => {
    const run = runTrace(trace);
    expect(run.steps).toBeGreaterThan(0);
  });
});

describe('trace runner', () => {
  it('fails a trace whose expected segment is wrong', () => {
    const [trace] = parseTraces(['```trace', '# wrong', 'A iss=1', 'A open | SYN_SENT | <SEQ=2><CTL=SYN>', '```'].join('\n'));
    expect(() => runTrace(trace!)).toThrow(/sent <SEQ=1><CTL=SYN>, trace says <SEQ=2><CTL=SYN>/);
  });

  it('fails a trace whose expected state is wrong', () => {
    const [trace] = parseTraces(['```trace', '# wrong', 'A open | LISTEN | <SEQ=0><CTL=SYN>', '```'].join('\n'));
    expect(() => runTrace(trace!)).toThrow(/state is SYN_SENT, trace says LISTEN/);
  });
});
