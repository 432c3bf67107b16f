/**
 * Replays the sample session of docs/protocol.md against the real server (port 0, real
 * socket.io clients, fake clock). The document's tables are checked against the code in
 * test/wire/docs.test.ts.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerToClientEvents } from '../../shared/wire';
import { startServer, TestClient, type TestServer } from '../support/server';

const markdown = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

/** Does `actual` hold everything in `expected`? Arrays: each expected item matches some actual item. */
export function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && (expected.length === 0 ? actual.length === 0 : expected.every((e) => actual.some((a) => contains(a, e))));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => contains((actual as Record<string, unknown>)[k], v));
  }
  return Object.is(actual, expected);
}

function sessions(text: string): { title: string; lines: { text: string; line: number }[] }[] {
  const out: { title: string; lines: { text: string; line: number }[] }[] = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]?.trim() !== '```session') continue;
    const block = { title: '', lines: [] as { text: string; line: number }[] };
    for (i++; i < rows.length && rows[i]?.trim() !== '```'; i++) {
      const t = rows[i]?.trim() ?? '';
      if (t.startsWith('#') && block.title === '') block.title = t.slice(1).trim();
      else if (t !== '' && !t.startsWith('#')) block.lines.push({ text: t, line: i + 1 });
    }
    out.push(block);
  }
  return out;
}

let srv: TestServer | null = null;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await srv?.close();
  srv = null;
});

describe('docs/protocol.md', () => {
  const found = sessions(markdown);

  it('has a sample session', () => {
    expect(found.length).toBeGreaterThan(0);
  });

  it.each(found.map((s) => [s.title, s] as const))('replays the session: %s', async (_title, session) => {
    const server = await startServer();
    srv = server;
    const named = new Map<string, TestClient>();
    const client = async (name: string): Promise<TestClient> => {
      let c = named.get(name);
      if (c === undefined) {
        c = await TestClient.connect(server.url);
        named.set(name, c);
        clients.push(c);
      }
      return c;
    };
    for (const { text, line } of session.lines) {
      const clock = /^clock \+(\d+)$/.exec(text);
      if (clock !== null) {
        server.clock.advance(Number(clock[1]));
        continue;
      }
      const m = /^(\w+)([<>]) (\S+)(?: (.*))?$/.exec(text);
      if (m === null) throw new Error(`line ${line}: cannot read "${text}"`);
      const [, name = '', dir, event = '', json] = m;
      const payload: unknown = json === undefined ? undefined : JSON.parse(json);
      const c = await client(name);
      if (dir === '>') {
        c.sendRaw(event, payload);
      } else {
        await c
          .next(event as keyof ServerToClientEvents, (p) => contains(p, payload), 3_000)
          .catch((error: Error) => {
            throw new Error(`line ${line}: ${name} expected ${event} ${json ?? ''}\n${error.message}\n${JSON.stringify(c.received.slice(-4), null, 1).slice(0, 3_000)}`);
          });
      }
    }
  });

});

describe('contains', () => {
  it.each([
    [{ a: 1, b: 2 }, { a: 1 }, true],
    [{ a: 1 }, { a: 2 }, false],
    [[{ x: 1 }, { y: 2 }], [{ y: 2 }], true],
    [[{ x: 1 }], [{ y: 2 }], false],
    [[1], [], false],
    [[], [], true],
  ])('%j holds %j: %s', (actual, expected, result) => {
    expect(contains(actual, expected)).toBe(result);
  });
});
