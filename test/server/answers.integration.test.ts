/**
 * Every request gets exactly one answer: its result event (ANSWERS) or an `error` naming
 * the request, never silence and never two. And a request that carries a socket.io
 * acknowledgement hears back through it: `{ ok: true, event, payload }` or
 * `{ ok: false, error }`. Real server on port 0, real socket.io clients, a fake clock
 * that no test moves unless it says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ANSWERS, ERRORS, LIMITS } from '../../shared/wire';
import type { ClientEventName, Dashboard, ErrorCode, Reply, ServerEventName, WireError } from '../../shared/wire';
import { GENEROUS_LIMITS, pairUp, roundTrip, startServer, TestClient, type TestServer } from '../support/server';

let srv: TestServer | null = null;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await srv?.close();
  srv = null;
});

async function hi(s: TestServer, name: string): Promise<TestClient> {
  const c = await TestClient.connect(s.url);
  clients.push(c);
  c.send('hello', { name, lang: 'en' });
  await c.next('welcome');
  return c;
}

async function pair(s: TestServer) {
  const p = await pairUp(s, 'perfect');
  clients.push(p.alice, p.bob);
  return p;
}

/** A workshop and its host (who created it, so already gets the dashboard). */
async function workshop(s: TestServer) {
  const host = await hi(s, 'Hope');
  host.send('workshop:create', { title: 'Class' });
  const { code, hostToken } = await host.next('workshop:created');
  return { host, code, hostToken };
}

/** A participant joins; returns their status once the host has been told too. */
async function joinWorkshop(s: TestServer, host: TestClient, code: string, name: string) {
  const c = await hi(s, name);
  c.send('call:join', { code });
  const status = await c.next('workshop:status');
  // The dashboard of the join has reached the host: what comes after is the request's own.
  await roundTrip(host);
  return status;
}

/** Close a client's connection and wait until the server has handled it. */
async function drop(s: TestServer, c: TestClient): Promise<void> {
  const serverSide = s.server.io.sockets.sockets.get(c.socket.id ?? '');
  const gone = new Promise<void>((resolve) => serverSide?.once('disconnect', () => resolve()));
  c.close();
  await gone;
}

type Expected = { readonly event: ServerEventName } | { readonly code: ErrorCode };

interface Row {
  readonly name: string;
  readonly request: ClientEventName;
  readonly expect: Expected;
  /** Bring the server to the moment before the request; returns who sends it, and what. */
  readonly setup: (s: TestServer) => Promise<{ actor: TestClient; payload: unknown; check?: (answer: unknown) => Promise<void> | void }>;
}

const ROWS: Row[] = [
  { name: 'hello on a new connection', request: 'hello', expect: { event: 'welcome' }, setup: async (s) => ({ actor: clients[clients.push(await TestClient.connect(s.url)) - 1]!, payload: { name: 'Nell', lang: 'en' } }) },
  {
    name: 'hello again with a new name, in no call',
    request: 'hello',
    expect: { event: 'welcome' },
    setup: async (s) => ({ actor: await hi(s, 'Old'), payload: { name: 'New', lang: 'zh' }, check: (w) => expect(w).toMatchObject({ name: 'New', lang: 'zh' }) }),
  },
  {
    name: 'hello again with a new name during a call',
    request: 'hello',
    expect: { code: 'session/name-in-call' },
    setup: async (s) => {
      const { alice } = await pair(s);
      return {
        actor: alice,
        payload: { name: 'Alicia', lang: 'zh' },
        check: async () => {
          // Nothing changed, not even the language: the same name and language as before.
          alice.send('hello', { lang: 'en' });
          expect(await alice.next('welcome', (w) => w.name === 'Alice')).toMatchObject({ name: 'Alice', lang: 'en' });
        },
      };
    },
  },
  {
    name: 'hello with a lone surrogate in the name',
    request: 'hello',
    expect: { code: 'input/invalid-unicode' },
    setup: async (s) => ({ actor: clients[clients.push(await TestClient.connect(s.url)) - 1]!, payload: { name: 'Bad \ud83d', lang: 'en' } }),
  },
  { name: 'queue:join alone', request: 'queue:join', expect: { event: 'queue:waiting' }, setup: async (s) => ({ actor: await hi(s, 'Ann'), payload: { line: 'good' } }) },
  {
    name: 'queue:join with someone waiting',
    request: 'queue:join',
    expect: { event: 'call:started' },
    setup: async (s) => {
      const first = await hi(s, 'Ann');
      first.send('queue:join', { line: 'good' });
      await first.next('queue:waiting');
      return { actor: await hi(s, 'Ben'), payload: { line: 'good' }, check: (started) => expect(started).toMatchObject({ you: 'b' }) };
    },
  },
  {
    name: 'queue:join while already waiting',
    request: 'queue:join',
    expect: { code: 'queue/already-waiting' },
    setup: async (s) => {
      const ann = await hi(s, 'Ann');
      ann.send('queue:join', {});
      await ann.next('queue:waiting');
      return { actor: ann, payload: {} };
    },
  },
  {
    name: 'queue:leave while waiting',
    request: 'queue:leave',
    expect: { event: 'queue:left' },
    setup: async (s) => {
      const ann = await hi(s, 'Ann');
      ann.send('queue:join', {});
      await ann.next('queue:waiting');
      return { actor: ann, payload: {} };
    },
  },
  { name: 'queue:leave while not waiting', request: 'queue:leave', expect: { code: 'queue/not-waiting' }, setup: async (s) => ({ actor: await hi(s, 'Ann'), payload: {} }) },
  {
    name: 'queue:accept-bot while waiting',
    request: 'queue:accept-bot',
    expect: { event: 'call:started' },
    setup: async (s) => {
      const ann = await hi(s, 'Ann');
      ann.send('queue:join', {});
      await ann.next('queue:waiting');
      return { actor: ann, payload: {} };
    },
  },
  { name: 'call:practice', request: 'call:practice', expect: { event: 'call:started' }, setup: async (s) => ({ actor: await hi(s, 'Ann'), payload: { line: 'perfect' } }) },
  {
    name: 'call:practice during a call',
    request: 'call:practice',
    expect: { code: 'call/already-in-call' },
    setup: async (s) => ({ actor: (await pair(s)).alice, payload: {} }),
  },
  { name: 'call:create', request: 'call:create', expect: { event: 'call:created' }, setup: async (s) => ({ actor: await hi(s, 'Hal'), payload: {} }) },
  {
    name: 'call:create while hosting one',
    request: 'call:create',
    expect: { code: 'call/already-in-call' },
    setup: async (s) => {
      const hal = await hi(s, 'Hal');
      hal.send('call:create', {});
      await hal.next('call:created');
      return { actor: hal, payload: {} };
    },
  },
  {
    name: 'call:join a private call',
    request: 'call:join',
    expect: { event: 'call:started' },
    setup: async (s) => {
      const hal = await hi(s, 'Hal');
      hal.send('call:create', {});
      const { code } = await hal.next('call:created');
      return { actor: await hi(s, 'Fay'), payload: { code } };
    },
  },
  { name: 'call:join an unknown code', request: 'call:join', expect: { code: 'call/not-found' }, setup: async (s) => ({ actor: await hi(s, 'Fay'), payload: { code: 'ZZZZ22' } }) },
  {
    name: 'call:join a workshop',
    request: 'call:join',
    expect: { event: 'workshop:status' },
    setup: async (s) => ({ actor: await hi(s, 'Pia'), payload: { code: (await workshop(s)).code } }),
  },
  {
    name: 'call:action listen while already listening',
    request: 'call:action',
    expect: { code: 'state/already-listening' },
    setup: async (s) => ({ actor: (await pair(s)).bob, payload: { action: 'listen' } }),
  },
  { name: 'call:action ask', request: 'call:action', expect: { event: 'call:update' }, setup: async (s) => ({ actor: (await pair(s)).alice, payload: { action: 'ask' } }) },
  {
    name: 'call:move, a SYN built by hand',
    request: 'call:move',
    expect: { event: 'call:update' },
    setup: async (s) => ({ actor: (await pair(s)).alice, payload: { segment: { syn: true, ack: false, fin: false, rst: false, seq: 1, ackNo: 0, data: '' } } }),
  },
  {
    name: 'call:chat before ESTABLISHED',
    request: 'call:chat',
    expect: { code: 'state/not-established' },
    setup: async (s) => ({ actor: (await pair(s)).alice, payload: { text: 'hello?' } }),
  },
  {
    name: 'call:chat with a lone surrogate',
    request: 'call:chat',
    expect: { code: 'input/invalid-unicode' },
    setup: async (s) => ({ actor: (await pair(s)).alice, payload: { text: 'half a smile \udE00' } }),
  },
  {
    name: 'call:takeover after the partner dropped',
    request: 'call:takeover',
    expect: { event: 'call:partner' },
    setup: async (s) => {
      const { alice, bob } = await pair(s);
      await drop(s, bob);
      await alice.next('call:partner', (p) => !p.connected);
      return { actor: alice, payload: {}, check: (status) => expect(status).toMatchObject({ side: 'b', connected: true, bot: true }) };
    },
  },
  {
    name: 'call:leave while hosting a private call',
    request: 'call:leave',
    expect: { event: 'call:left' },
    setup: async (s) => {
      const hal = await hi(s, 'Hal');
      hal.send('call:create', {});
      const { code } = await hal.next('call:created');
      return {
        actor: hal,
        payload: {},
        check: async (left) => {
          expect(left).toEqual({ from: 'hosting' });
          const fay = await hi(s, 'Fay');
          fay.send('call:join', { code });
          await fay.next('error', (e) => e.code === 'call/not-found');
        },
      };
    },
  },
  {
    name: 'call:leave after call:ended',
    request: 'call:leave',
    expect: { event: 'call:left' },
    setup: async (s) => {
      const ann = await hi(s, 'Ann');
      ann.send('call:practice', {});
      await ann.next('call:started');
      ann.send('call:action', { action: 'hang-up' });
      await ann.next('call:ended');
      return { actor: ann, payload: {}, check: (left) => expect(left).toEqual({ from: 'call' }) };
    },
  },
  {
    name: 'call:leave during a call',
    request: 'call:leave',
    expect: { event: 'call:left' },
    setup: async (s) => ({ actor: (await pair(s)).alice, payload: {}, check: (left) => expect(left).toEqual({ from: 'call' }) }),
  },
  {
    name: 'call:leave while waiting',
    request: 'call:leave',
    expect: { event: 'call:left' },
    setup: async (s) => {
      const ann = await hi(s, 'Ann');
      ann.send('queue:join', {});
      await ann.next('queue:waiting');
      return { actor: ann, payload: {}, check: (left) => expect(left).toEqual({ from: 'queue' }) };
    },
  },
  {
    name: 'call:rematch after a call with the bot',
    request: 'call:rematch',
    expect: { event: 'call:started' },
    setup: async (s) => {
      const ann = await hi(s, 'Ann');
      ann.send('call:practice', { line: 'good' });
      const first = await ann.next('call:started');
      ann.send('call:action', { action: 'hang-up' });
      await ann.next('call:ended');
      // A bot always agrees: the same bot, the same line, a new call.
      return { actor: ann, payload: {}, check: (started) => expect(started).toMatchObject({ you: 'a', line: 'good', players: { b: { name: first.players.b.name, bot: true } } }) };
    },
  },
  {
    name: 'call:rematch, the first of two to ask',
    request: 'call:rematch',
    expect: { event: 'call:rematch-status' },
    setup: async (s) => {
      const { alice, bob, callId } = await pair(s);
      alice.send('call:action', { action: 'hang-up' });
      await alice.next('call:ended');
      await bob.next('call:ended');
      return {
        actor: alice,
        payload: {},
        check: async (status) => {
          expect(status).toEqual({ callId, wants: { a: true, b: false }, left: null });
          // Bob is told Alice wants to call again.
          expect(await bob.next('call:rematch-status')).toEqual({ callId, wants: { a: true, b: false }, left: null });
        },
      };
    },
  },
  {
    name: 'call:rematch, the second of two to ask',
    request: 'call:rematch',
    expect: { event: 'call:started' },
    setup: async (s) => {
      const { alice, bob, callId } = await pair(s);
      alice.send('call:action', { action: 'hang-up' });
      await bob.next('call:ended');
      alice.send('call:rematch', {});
      await bob.next('call:rematch-status');
      return {
        actor: bob,
        payload: {},
        check: async (started) => {
          // The same two, on the same sides, in a new call on the same line; Alice hears of it too.
          expect(started).toMatchObject({ you: 'b', line: 'perfect', players: { a: { name: 'Alice' }, b: { name: 'Bob' } } });
          expect((started as { callId: string }).callId).not.toBe(callId);
          expect(await alice.next('call:started')).toMatchObject({ you: 'a', callId: (started as { callId: string }).callId });
        },
      };
    },
  },
  { name: 'call:rematch during a call', request: 'call:rematch', expect: { code: 'call/not-over' }, setup: async (s) => ({ actor: (await pair(s)).alice, payload: {} }) },
  { name: 'call:rematch in no call', request: 'call:rematch', expect: { code: 'call/not-in-call' }, setup: async (s) => ({ actor: await hi(s, 'Ann'), payload: {} }) },
  {
    name: 'call:rematch after the partner left',
    request: 'call:rematch',
    expect: { code: 'call/partner-gone' },
    setup: async (s) => {
      const { alice, bob, callId } = await pair(s);
      alice.send('call:action', { action: 'hang-up' });
      await alice.next('call:ended');
      bob.send('call:rematch', {});
      await alice.next('call:rematch-status');
      bob.send('call:leave', {});
      await bob.next('call:left');
      // Alice hears that Bob left: no calling again.
      expect(await alice.next('call:rematch-status', (st) => st.left !== null)).toEqual({ callId, wants: { a: false, b: false }, left: 'b' });
      return { actor: alice, payload: {} };
    },
  },
  { name: 'call:leave with nothing to leave', request: 'call:leave', expect: { code: 'call/not-in-call' }, setup: async (s) => ({ actor: await hi(s, 'Ann'), payload: {} }) },
  { name: 'workshop:create', request: 'workshop:create', expect: { event: 'workshop:created' }, setup: async (s) => ({ actor: await hi(s, 'Hope'), payload: {} }) },
  {
    name: 'workshop:host',
    request: 'workshop:host',
    expect: { event: 'workshop:dashboard' },
    setup: async (s) => {
      const { code, hostToken } = await workshop(s);
      return { actor: await hi(s, 'Projector'), payload: { code, hostToken } };
    },
  },
  {
    name: 'workshop:settings from a connection that never sent workshop:host',
    request: 'workshop:settings',
    expect: { event: 'workshop:dashboard' },
    setup: async (s) => {
      const { code, hostToken } = await workshop(s);
      return { actor: await hi(s, 'Laptop'), payload: { code, hostToken, leaderboard: true }, check: (board) => expect((board as Dashboard).leaderboard).toBe(true) };
    },
  },
  {
    name: 'workshop:weather from a connection that never sent workshop:host',
    request: 'workshop:weather',
    expect: { event: 'workshop:dashboard' },
    setup: async (s) => {
      const { code, hostToken } = await workshop(s);
      return { actor: await hi(s, 'Phone'), payload: { code, hostToken, line: 'terrible' }, check: (board) => expect((board as Dashboard).line).toBe('terrible') };
    },
  },
  {
    name: 'workshop:weather with a wrong key',
    request: 'workshop:weather',
    expect: { code: 'workshop/bad-token' },
    setup: async (s) => {
      const { code } = await workshop(s);
      return { actor: await hi(s, 'Mallory'), payload: { code, hostToken: 'x'.repeat(22), line: 'terrible' } };
    },
  },
  {
    name: 'workshop:round start',
    request: 'workshop:round',
    expect: { event: 'workshop:dashboard' },
    setup: async (s) => {
      const { host, code, hostToken } = await workshop(s);
      await joinWorkshop(s, host, code, 'Pia');
      return { actor: host, payload: { code, hostToken, action: 'start', level: null }, check: (board) => expect((board as Dashboard).roundOpen).toBe(true) };
    },
  },
  {
    name: 'workshop:round end with no round on',
    request: 'workshop:round',
    expect: { code: 'workshop/no-round' },
    setup: async (s) => {
      const { host, code, hostToken } = await workshop(s);
      return { actor: host, payload: { code, hostToken, action: 'end' } };
    },
  },
  {
    name: 'workshop:participant rename',
    request: 'workshop:participant',
    expect: { event: 'workshop:dashboard' },
    setup: async (s) => {
      const { host, code, hostToken } = await workshop(s);
      const { participantId } = await joinWorkshop(s, host, code, 'Pia');
      return { actor: host, payload: { code, hostToken, participantId, action: 'rename', name: 'Pia B.' } };
    },
  },
];

/** What `actor` received since `from` that answers `request`: its answer events and its refusals. */
function answersTo(actor: TestClient, request: ClientEventName, from: number) {
  const events: readonly string[] = ANSWERS[request];
  return actor.received.slice(from).filter((r) => events.includes(r.event) || (r.event === 'error' && (r.payload as WireError).event === request));
}

function expectMatches(got: { event: string; payload: unknown }, expected: Expected): void {
  if ('code' in expected) {
    expect(got.event).toBe('error');
    expect(got.payload).toMatchObject({ code: expected.code, message: ERRORS[expected.code] });
  } else {
    expect(got.event).toBe(expected.event);
  }
}

describe('every request gets exactly one answer', () => {
  it.each(ROWS)('$name → $expect', async (row) => {
    srv = await startServer();
    const { actor, payload, check } = await row.setup(srv);
    const from = actor.received.length;
    actor.sendRaw(row.request, payload);
    await roundTrip(actor);
    const got = answersTo(actor, row.request, from);
    expect(got.map((r) => r.event)).toHaveLength(1);
    expectMatches(got[0]!, row.expect);
    await check?.(got[0]!.payload);
  });
});

describe('with a socket.io acknowledgement', () => {
  it.each(ROWS)('$name → the answer comes back through it', async (row) => {
    srv = await startServer();
    const { actor, payload, check } = await row.setup(srv);
    const from = actor.received.length;
    const replies: Reply[] = [];
    const replied = new Promise<void>((resolve) =>
      actor.sendRaw(row.request, payload, (reply: Reply) => {
        replies.push(reply);
        resolve();
      }),
    );
    await replied;
    await roundTrip(actor);
    expect(replies).toHaveLength(1);
    const reply = replies[0]!;
    if ('code' in row.expect) {
      expect(reply).toEqual({ ok: false, error: expect.objectContaining({ code: row.expect.code, message: ERRORS[row.expect.code], event: row.request }) });
      // The refusal came through the acknowledgement only, not also as an error event.
      expect(answersTo(actor, row.request, from)).toEqual([]);
      return;
    }
    expect(reply).toMatchObject({ ok: true, event: row.expect.event });
    // The event itself was sent as always, with the same payload.
    const events = answersTo(actor, row.request, from);
    expect(events.map((r) => r.event)).toEqual([row.expect.event]);
    expect(reply.ok && reply.payload).toEqual(events[0]!.payload);
    await check?.(reply.ok ? reply.payload : null);
  });

  it('a request refused before it is understood is answered through its acknowledgement too', async () => {
    // hello takes one of the three; two more, and the next is one too many.
    srv = await startServer({ limits: { ...GENEROUS_LIMITS, eventsBurst: 3, eventsPerSecond: 1 } });
    const c = await hi(srv, 'Ann');
    const ask = (event: string, payload?: unknown) => new Promise<Reply>((resolve) => (payload === undefined ? c.sendRaw(event, resolve) : c.sendRaw(event, payload, resolve)));
    // An acknowledgement without a payload: the payload counts as {}.
    expect(await ask('queue:leave')).toMatchObject({ ok: false, error: { code: 'queue/not-waiting', event: 'queue:leave' } });
    expect(await ask('no-such-request', {})).toMatchObject({ ok: false, error: { code: 'input/unknown-event', event: 'no-such-request' } });
    expect(await ask('call:chat', { text: 'hi' })).toMatchObject({ ok: false, error: { code: 'rate/limited', event: 'call:chat' } });
  });
});

describe('refusals name their request', () => {
  it('an unknown request is echoed whole up to 64 characters, and a longer name is cut and said so', async () => {
    srv = await startServer();
    const c = await hi(srv, 'Ann');
    const exact = 'x'.repeat(LIMITS.eventNameChars);
    c.sendRaw(exact, {});
    expect(await c.next('error', (e) => e.code === 'input/unknown-event')).toEqual({ code: 'input/unknown-event', message: ERRORS['input/unknown-event'], event: exact });
    c.sendRaw('y'.repeat(200), {});
    const cut = await c.next('error', (e) => e.code === 'input/unknown-event');
    expect(cut.event).toBe('y'.repeat(64));
    expect(cut.detail).toBe('request name cut to its first 64 of 200 characters');
  });

  it('input/too-large counts characters of JSON and says how many', async () => {
    srv = await startServer();
    const c = await hi(srv, 'Ann');
    c.sendRaw('call:chat', { text: 'é'.repeat(LIMITS.payloadChars) });
    const error = await c.next('error', (e) => e.code === 'input/too-large');
    expect(error).toMatchObject({ event: 'call:chat', detail: `${LIMITS.payloadChars + 11} characters of JSON; at most ${LIMITS.payloadChars}` });
  });

  it('a lone surrogate is never stored: the name stays what it was', async () => {
    srv = await startServer();
    const c = await hi(srv, 'Ann');
    c.sendRaw('hello', { name: '\udc00Ann', lang: 'en' });
    await c.next('error', (e) => e.code === 'input/invalid-unicode' && e.event === 'hello');
    c.send('hello', { lang: 'en' });
    expect((await c.next('welcome')).name).toBe('Ann');
    // A whole emoji (a surrogate pair) is fine.
    c.send('hello', { name: 'Ann 🎧', lang: 'en' });
    expect((await c.next('welcome')).name).toBe('Ann 🎧');
  });
});
