/**
 * The schemas every client payload passes, from `unknown`, before anything else sees it.
 * The TypeScript types of the requests are inferred from them, so the two cannot drift.
 */
import { z } from 'zod';
import { LEVEL_IDS } from '../game/levels';
import { LINE_PRESETS } from '../net';
import { wireError, type ErrorCode, type WireError } from './errors';

/** C0 and C1 controls, DEL, line/paragraph separators and bidirectional overrides. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Half of a UTF-16 surrogate pair on its own: not a character, and not valid UTF-8 once stored. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Text refusals that have codes of their own (zod carries them as the issue's message). */
const TEXT_ISSUES: ReadonlySet<string> = new Set(['input/control-characters', 'input/invalid-unicode'] satisfies ErrorCode[]);

/** Plain text: a length range, no control characters, and whole characters only. */
function text(min: number, max: number) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((s) => !CONTROL_CHARACTERS.test(s), { message: 'input/control-characters' satisfies ErrorCode })
    .refine((s) => !LONE_SURROGATE.test(s), { message: 'input/invalid-unicode' satisfies ErrorCode });
}

export const LIMITS = {
  nameChars: 24,
  chatChars: 200,
  /** Payloads longer than this as JSON text are refused with input/too-large (the socket closes past 64 KiB). */
  payloadChars: 8_192,
  /** An unknown request's name is echoed back in `error.event` up to this many characters. */
  eventNameChars: 64,
  titleChars: 60,
  promptChars: 120,
  prompts: 30,
  socketBufferBytes: 65_536,
} as const;

export const LANGS = ['en', 'zh'] as const;
export type Lang = (typeof LANGS)[number];

export const LINE_NAMES = Object.keys(LINE_PRESETS) as (keyof typeof LINE_PRESETS)[];
export type LineName = keyof typeof LINE_PRESETS;
const lineName = z.enum(LINE_NAMES as [LineName, ...LineName[]]);

export const PERSONALITIES = ['prompt', 'slow', 'forgetful', 'terrible-line'] as const;
export type Personality = (typeof PERSONALITIES)[number];
const level = z.enum(LEVEL_IDS);

export const ACTIONS = ['listen', 'ask', 'goodbye', 'hang-up', 'answer'] as const;
export type CallAction = (typeof ACTIONS)[number];

const uint32 = z.number().int().min(0).max(0xffffffff);
const token = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);
/** Every host request names its workshop and carries the host's secret. */
const hostAuth = { code: z.string().min(4).max(40), hostToken: token };

export const segmentSchema = z
  .object({
    syn: z.boolean(),
    ack: z.boolean(),
    fin: z.boolean(),
    rst: z.boolean(),
    seq: uint32,
    ackNo: uint32,
    data: text(0, LIMITS.chatChars),
  })
  .strict();

const empty = z.object({}).strict();

/** Request name → schema of its payload. */
export const CLIENT_SCHEMAS = {
  hello: z
    .object({
      name: text(1, LIMITS.nameChars).optional(),
      lang: z.enum(LANGS),
      resumeToken: z
        .string()
        .regex(/^[A-Za-z0-9_-]{16,64}$/)
        .optional(),
    })
    .strict(),
  'queue:join': z.object({ line: lineName.optional(), teaching: z.boolean().optional(), level: level.optional() }).strict(),
  'queue:leave': empty,
  'queue:accept-bot': empty,
  'call:create': z.object({ line: lineName.optional(), teaching: z.boolean().optional(), level: level.optional() }).strict(),
  'call:join': z
    .object({ code: z.string().min(4).max(40) })
    .strict(),
  'call:practice': z
    .object({ line: lineName.optional(), teaching: z.boolean().optional(), level: level.optional(), personality: z.enum(PERSONALITIES).optional() })
    .strict(),
  'call:takeover': empty,
  'call:action': z.object({ action: z.enum(ACTIONS) }).strict(),
  'call:move': z.object({ segment: segmentSchema }).strict(),
  'call:chat': z.object({ text: text(1, LIMITS.chatChars) }).strict(),
  'call:leave': empty,
  'call:rematch': empty,
  'workshop:create': z.object({ title: text(1, LIMITS.titleChars).optional(), line: lineName.optional(), teaching: z.boolean().optional() }).strict(),
  'workshop:host': z.object(hostAuth).strict(),
  'workshop:round': z.object({ ...hostAuth, action: z.enum(['start', 'end']), level: level.nullable().optional(), rotate: z.boolean().optional() }).strict(),
  'workshop:weather': z.object({ ...hostAuth, line: lineName, callId: z.string().min(1).max(64).optional() }).strict(),
  'workshop:spectate': z.object({ ...hostAuth, callId: z.string().min(1).max(64).nullable() }).strict(),
  'workshop:participant': z
    .object({ ...hostAuth, participantId: z.string().min(1).max(64), action: z.enum(['rename', 'remove']), name: text(1, LIMITS.nameChars).optional() })
    .strict(),
  'workshop:settings': z
    .object({
      ...hostAuth,
      leaderboard: z.boolean().optional(),
      teaching: z.boolean().optional(),
      prompts: z.array(text(1, LIMITS.promptChars)).max(LIMITS.prompts).optional(),
    })
    .strict(),
} as const;

export type ClientEventName = keyof typeof CLIENT_SCHEMAS;
export type ClientPayloads = { [K in ClientEventName]: z.infer<(typeof CLIENT_SCHEMAS)[K]> };
/** A parsed request: the event name and its payload, narrowed together. */
export type ClientRequest = { [K in ClientEventName]: { readonly event: K; readonly payload: ClientPayloads[K] } }[ClientEventName];

export const CLIENT_EVENT_NAMES = Object.keys(CLIENT_SCHEMAS) as ClientEventName[];

/**
 * Parse one request from the wire. Never throws: anything wrong becomes a WireError.
 * A request without a payload counts as `{}`.
 *
 * @example parseRequest('call:chat', { text: 'hi' }) // { ok: true, request: { event: 'call:chat', payload: { text: 'hi' } } }
 * @example parseRequest('call:chat', { text: 42 }).ok // false: input/invalid
 */
export function parseRequest(
  event: unknown,
  payload: unknown,
): { readonly ok: true; readonly request: ClientRequest } | { readonly ok: false; readonly error: WireError } {
  if (typeof event !== 'string' || !Object.hasOwn(CLIENT_SCHEMAS, event)) {
    const named = requestName(event);
    return { ok: false, error: wireError('input/unknown-event', named.event, named.detail) };
  }
  const name = event as ClientEventName;
  // Nearly every request is far under the limit: a quick upper bound spares writing it out as JSON.
  if (!fitsAtOnce(payload)) {
    const size = jsonLength(payload);
    if (size > LIMITS.payloadChars) {
      const detail = Number.isFinite(size) ? `${size} characters of JSON; at most ${LIMITS.payloadChars}` : 'not plain JSON data';
      return { ok: false, error: wireError('input/too-large', name, detail) };
    }
  }
  const result = CLIENT_SCHEMAS[name].safeParse(payload === undefined ? {} : payload);
  if (!result.success) {
    const issue = result.error.issues[0];
    const code: ErrorCode = issue !== undefined && TEXT_ISSUES.has(issue.message) ? (issue.message as ErrorCode) : 'input/invalid';
    const where = issue?.path.join('.') ?? '';
    return { ok: false, error: wireError(code, name, `${where === '' ? 'payload' : where}: ${issue?.code ?? 'invalid'}`) };
  }
  return { ok: true, request: { event: name, payload: result.data } as ClientRequest };
}

/**
 * How a request's name is echoed in `error.event`: whole up to `LIMITS.eventNameChars`
 * characters, else cut there, and `detail` says so.
 *
 * @example requestName('x'.repeat(100)).detail // 'request name cut to its first 64 of 100 characters'
 */
export function requestName(event: unknown): { readonly event?: string; readonly detail?: string } {
  if (typeof event !== 'string') return { detail: `request name is a ${typeof event}, not a string` };
  if (event.length <= LIMITS.eventNameChars) return { event };
  // Never cut a surrogate pair in half.
  const cut = event.slice(0, LIMITS.eventNameChars).replace(/[\ud800-\udbff]$/, '');
  return { event: cut, detail: `request name cut to its first ${cut.length} of ${event.length} characters` };
}

/** Is the payload's bound within the limit? (A getter that throws: not known, so measured.) */
function fitsAtOnce(payload: unknown): boolean {
  try {
    return jsonBound(payload, LIMITS.payloadChars, 0) <= LIMITS.payloadChars;
  } catch {
    return false;
  }
}

/**
 * An upper bound on a value's length as JSON text, cheap to work out without writing it:
 * every character of a string at worst a six-character escape, every number at most 25
 * characters ('-0.0000012345678901234567'). Infinity once it passes `budget`, and for
 * anything but plain data (a toJSON method, a class instance, nesting deeper than 32):
 * then the exact length is measured.
 */
function jsonBound(value: unknown, budget: number, depth: number): number {
  switch (typeof value) {
    case 'string':
      return 2 + 6 * value.length;
    case 'number':
      return 25;
    case 'boolean':
      return 5;
    case 'undefined':
      // 'null' in an array, left out of an object.
      return 4;
    case 'object':
      break;
    default:
      return Infinity;
  }
  if (value === null) return 4;
  if (depth >= 32 || 'toJSON' in value) return Infinity;
  let total = 2;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      total += jsonBound(item, budget - total, depth + 1) + 1;
      if (total > budget) return Infinity;
    }
    return total;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return Infinity;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    total += 2 + 6 * key.length + 1 + jsonBound(record[key], budget - total, depth + 1) + 1;
    if (total > budget) return Infinity;
  }
  return total;
}

/** Length of a payload as JSON text (UTF-16 code units), or Infinity for something that is not plain data (a cycle). */
function jsonLength(payload: unknown): number {
  if (payload === undefined) return 0;
  try {
    return JSON.stringify(payload)?.length ?? 0;
  } catch {
    return Infinity;
  }
}

/**
 * Private call codes: six characters from an alphabet with no look-alikes (no 0/O, 1/I/L),
 * typed in any case, with or without spaces or dashes.
 */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 6;

/** @example normalizeCode(' abc-d2f ') // 'ABCD2F' */
export function normalizeCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '');
}
