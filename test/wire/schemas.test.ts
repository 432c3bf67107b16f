import fc from 'fast-check';
import type { Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { CLIENT_EVENT_NAMES, LIMITS, normalizeCode, parseRequest } from '../../shared/wire';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/wire';

describe('parseRequest', () => {
  it.each([
    ['hello', { name: 'Alice', lang: 'en' }],
    ['hello', { lang: 'zh', resumeToken: 'abcdefghijklmnop' }],
    ['queue:join', {}],
    ['queue:join', undefined],
    ['queue:join', { line: 'terrible' }],
    ['call:join', { code: 'abc-234' }],
    ['call:action', { action: 'hang-up' }],
    ['call:move', { segment: { syn: true, ack: false, fin: false, rst: false, seq: 4294967295, ackNo: 0, data: '' } }],
    ['call:chat', { text: '你好 🙂' }],
  ])('accepts %s %j', (event, payload) => {
    expect(parseRequest(event, payload).ok).toBe(true);
  });

  it.each([
    ['nope', {}, 'input/unknown-event'],
    [42, {}, 'input/unknown-event'],
    ['__proto__', {}, 'input/unknown-event'],
    ['hello', { name: 'Alice' }, 'input/invalid'],
    ['hello', { lang: 'fr' }, 'input/invalid'],
    ['hello', { lang: 'en', name: '' }, 'input/invalid'],
    ['hello', { lang: 'en', name: 'x'.repeat(25) }, 'input/invalid'],
    ['hello', { lang: 'en', name: 'A\u202eB' }, 'input/control-characters'],
    ['hello', { lang: 'en', resumeToken: '../../etc' }, 'input/invalid'],
    ['queue:join', { line: 'awful' }, 'input/invalid'],
    ['queue:leave', { extra: 1 }, 'input/invalid'],
    ['queue:leave', 'text', 'input/invalid'],
    ['call:chat', { text: 42 }, 'input/invalid'],
    ['call:chat', { text: '' }, 'input/invalid'],
    ['call:chat', { text: 'ring\u0007' }, 'input/control-characters'],
    ['call:chat', { text: 'line\nbreak' }, 'input/control-characters'],
    ['call:chat', { text: 'x'.repeat(201) }, 'input/invalid'],
    ['call:chat', { text: 'x'.repeat(LIMITS.payloadChars) }, 'input/too-large'],
    ['call:move', { segment: { syn: true, ack: false, fin: false, rst: false, seq: -1, ackNo: 0, data: '' } }, 'input/invalid'],
    ['call:move', { segment: { syn: true, ack: false, fin: false, rst: false, seq: 2 ** 32, ackNo: 0, data: '' } }, 'input/invalid'],
    ['call:move', { segment: { syn: true, ack: false, fin: false, rst: false, seq: 1.5, ackNo: 0, data: '' } }, 'input/invalid'],
    ['call:move', { segment: { syn: 'yes', ack: false, fin: false, rst: false, seq: 1, ackNo: 0, data: '' } }, 'input/invalid'],
    ['call:move', { segment: { syn: true, seq: 1 } }, 'input/invalid'],
    ['call:action', { action: 'explode' }, 'input/invalid'],
  ])('refuses %s %j with %s', (event, payload, code) => {
    const result = parseRequest(event, payload);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.message.length).toBeGreaterThan(10);
    }
  });

  it('never throws, and accepts only what matches, whatever arrives', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...CLIENT_EVENT_NAMES), fc.string()), fc.anything(), (event, payload) => {
        const result = parseRequest(event, payload);
        if (result.ok) expect(result.request.event).toBe(event);
      }),
      { numRuns: 2_000 },
    );
  });

  it('accepts every well-formed segment', () => {
    const uint32 = fc.nat({ max: 0xffffffff });
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), uint32, uint32, fc.string({ maxLength: 50 }).filter((s) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(s)), (syn, ack, fin, rst, seq, ackNo, data) => {
        expect(parseRequest('call:move', { segment: { syn, ack, fin, rst, seq, ackNo, data } }).ok).toBe(true);
      }),
    );
  });

  it('refuses as too large exactly what is longer than the limit as JSON', () => {
    const tooLarge = (payload: unknown): boolean => {
      const result = parseRequest('queue:leave', payload);
      return !result.ok && result.error.code === 'input/too-large';
    };
    // Strings near the limit, in characters that JSON writes as one, two or six characters.
    const near = fc.tuple(fc.integer({ min: Math.floor(LIMITS.payloadChars / 6) - 40, max: LIMITS.payloadChars + 10 }), fc.constantFrom('x', '"', '\\', '\u0001', '你', '\ud83d\ude42', '\ud800'), fc.jsonValue({ maxDepth: 2 }));
    fc.assert(
      fc.property(near, fc.boolean(), ([n, ch, rest], inArray) => {
        const text = ch.repeat(Math.max(0, Math.floor(n / ch.length)));
        const payload = inArray ? [text, rest] : { text, rest };
        expect(tooLarge(payload)).toBe(JSON.stringify(payload).length > LIMITS.payloadChars);
      }),
      { numRuns: 300 },
    );
    // Numbers: the longest ones, and many of them.
    for (const count of [300, 327, 328, 400]) {
      const payload = { n: Array.from({ length: count }, () => -0.0000012345678901234567) };
      expect(tooLarge(payload)).toBe(JSON.stringify(payload).length > LIMITS.payloadChars);
    }
  });

  it('measures what is not plain data as JSON.stringify writes it, and never throws on it', () => {
    const long = 'x'.repeat(LIMITS.payloadChars);
    // Written out by its toJSON it is short: not too large (its own fields are still checked).
    const short = parseRequest('call:chat', { toJSON: () => ({ text: 'hi' }), text: long });
    expect(short.ok || short.error.code).toBe('input/invalid');
    const refused = parseRequest('call:chat', { toJSON: () => ({ text: long }) });
    expect(refused.ok || refused.error.code).toBe('input/too-large');
    const throwing = Object.defineProperty({}, 'text', { enumerable: true, get: () => { throw new Error('no'); } });
    const result = parseRequest('call:chat', throwing);
    expect(result.ok || result.error.detail).toBe('not plain JSON data');
  });

  it('survives a payload with a cycle', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const result = parseRequest('call:chat', cyclic);
    expect(result.ok).toBe(false);
  });
});

describe('normalizeCode', () => {
  it.each([
    ['abc234', 'ABC234'],
    [' abc-234 ', 'ABC234'],
    ['ab c2 34', 'ABC234'],
  ])('%j reads as %s', (input, code) => {
    expect(normalizeCode(input)).toBe(code);
  });
});

describe('typed events', () => {
  it('do not compile with a wrong payload', () => {
    // Never called: the point is the type check that `npm test` runs first.
    const wrong = (socket: Socket<ServerToClientEvents, ClientToServerEvents>): void => {
      // @ts-expect-error chat text must be a string
      socket.emit('call:chat', { text: 42 });
      // @ts-expect-error no such request
      socket.emit('call:explode', {});
      socket.emit('call:chat', { text: 'fine' });
    };
    expect(typeof wrong).toBe('function');
  });
});
