/**
 * A call record from outside (a replay file someone chose, a link someone followed),
 * parsed from `unknown` before the viewer sees it: the right shape, this game's record
 * version, and a call that really replays. A refusal is a code with a human message.
 */
import { z } from 'zod';
import { RECORD_VERSION, replay } from '../call';
import type { CallRecord } from '../call';
import { STATES } from '../protocol';
import { segmentSchema } from './schemas';

export const RECORD_REFUSALS = {
  'record/not-json': 'That file is not a replay: it is not even JSON.',
  'record/too-large': 'That replay is too large to open.',
  'record/unknown-version': 'That replay was saved by a different version of the game, which this one cannot play.',
  'record/invalid': 'That file is not a replay of a call from this game.',
  'record/unplayable': 'That replay has the right shape, but the call in it cannot be played again.',
} as const;
export type RecordRefusal = keyof typeof RECORD_REFUSALS;

export type ParsedRecord = { readonly ok: true; readonly record: CallRecord } | { readonly ok: false; readonly code: RecordRefusal; readonly message: string; readonly detail?: string };

/** Limits on what a viewer will replay: a 30-minute call is far inside them. */
export const RECORD_LIMITS = { chars: 4_000_000, moves: 50_000, timeMs: 24 * 3_600_000 } as const;

const ms = z.number().finite().min(0).max(Number.MAX_SAFE_INTEGER);
const time = z.number().finite().min(0).max(RECORD_LIMITS.timeMs);
const uint32 = z.number().int().min(0).max(0xffffffff);
const side = z.enum(['a', 'b']);
const probability = z.number().min(0).max(1);
const link = z.object({ latencyMs: ms, jitterMs: ms, loss: probability, duplicate: probability, reorder: probability, reorderDelayMs: ms }).strict();
const conditions = z.object({ aToB: link, bToA: link, freezes: z.array(z.object({ fromMs: ms, toMs: ms }).strict()).max(1_000) }).strict();
const config = z
  .object({
    replyTimeoutMs: ms,
    maxRetries: z.number().int().min(0).max(100),
    retryWaitMs: ms,
    mslMs: ms,
    receiveWindow: z.number().int().min(1).max(0xffffffff),
    keepalive: z.object({ idleMs: ms, intervalMs: ms, probes: z.number().int().min(0).max(100) }).strict().nullable(),
  })
  .partial()
  .strict();
const setup = z
  .object({
    conditions,
    seed: z.union([z.number().finite(), z.string().max(200)]),
    config: config.optional(),
    iss: z.object({ a: uint32, b: uint32 }).strict(),
    manual: z.object({ a: z.boolean(), b: z.boolean() }).strict().optional(),
    rigs: z
      .array(z.object({ from: side, match: z.enum(['first-syn', 'last-ack']), action: z.union([z.literal('lose'), z.object({ delayMs: ms }).strict()]) }).strict())
      .max(100)
      .optional(),
    backlog: z.object({ side, size: z.number().int().min(0).max(1_000), halfOpenMs: ms }).strict().optional(),
  })
  .strict();
const userInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('listen'), iss: uint32.optional() }).strict(),
  z.object({ kind: z.literal('open'), iss: uint32.optional() }).strict(),
  z.object({ kind: z.literal('send'), data: z.string().max(10_000) }).strict(),
  z.object({ kind: z.literal('close') }).strict(),
  z.object({ kind: z.literal('abort') }).strict(),
]);
const input = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), side, input: userInput }).strict(),
  z.object({ kind: z.literal('move'), side, segment: segmentSchema }).strict(),
  z.object({ kind: z.literal('answer'), side }).strict(),
  z.object({ kind: z.literal('tick') }).strict(),
  z.object({ kind: z.literal('weather'), conditions }).strict(),
  z.object({ kind: z.literal('inject'), to: side, segment: segmentSchema, delayMs: ms, fake: z.boolean().optional() }).strict(),
]);
const recordSchema = z
  .object({
    version: z.literal(RECORD_VERSION),
    setup,
    moves: z
      .array(z.object({ at: time, input }).strict())
      .max(RECORD_LIMITS.moves)
      .refine((moves) => moves.every((m, i) => i === 0 || m.at >= (moves[i - 1]?.at ?? 0)), { message: 'moves are not in time order' }),
  })
  .strict();

const refuse = (code: RecordRefusal, detail?: string): ParsedRecord => (detail === undefined ? { ok: false, code, message: RECORD_REFUSALS[code] } : { ok: false, code, message: RECORD_REFUSALS[code], detail });

/**
 * A record from `unknown` (already parsed JSON): refused unless it has the shape of a
 * `CallRecord`, is of this game's `RECORD_VERSION`, and replays without an error.
 *
 * @example parseRecord(JSON.parse(text)) // { ok: true, record } or { ok: false, code: 'record/unknown-version', message }
 */
export function parseRecord(value: unknown): ParsedRecord {
  if (typeof value === 'object' && value !== null && 'version' in value && (value as { version: unknown }).version !== RECORD_VERSION) {
    return refuse('record/unknown-version', `version ${JSON.stringify((value as { version: unknown }).version)}, this game plays version ${RECORD_VERSION}`);
  }
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse('record/invalid', issue === undefined ? undefined : `${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  // zod's output drops `undefined` optionals the same way JSON does: it is a CallRecord.
  const record = parsed.data as CallRecord;
  try {
    const { call } = replay(record);
    if (!STATES.includes(call.endpoints.a.state) || !STATES.includes(call.endpoints.b.state)) return refuse('record/unplayable');
  } catch (error) {
    return refuse('record/unplayable', error instanceof Error ? error.message : String(error));
  }
  return { ok: true, record };
}

/** A record from the text of a file or a link. */
export function parseRecordText(text: string): ParsedRecord {
  if (text.length > RECORD_LIMITS.chars) return refuse('record/too-large');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse('record/not-json');
  }
  return parseRecord(value);
}
