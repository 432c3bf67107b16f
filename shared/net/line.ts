/**
 * The seeded line simulator: two endpoints, A and B, joined by a line with one
 * direction each way. It decides what happens to everything sent on it — how
 * long it takes, whether it is lost, duplicated or overtaken — and reports the
 * fate of each send in full so the UI can draw it without re-deriving anything.
 *
 * It is generic over the payload: it never looks inside what it carries.
 *
 * Pure: a {@link Line} is an immutable value; {@link transmit} returns a new
 * line instead of changing the old one. All randomness comes from
 * `shared/random`, seeded in {@link createLine}, so the same seed, conditions
 * and sequence of `transmit` calls always give identical outcomes.
 */
import { createRng, nextFloats } from '../random';
import type { Rng } from '../random';

/** Which way a segment travels: from endpoint A to B, or back. */
export type Direction = 'aToB' | 'bToA';

/** A window during which the line is down, in both directions: [fromMs, toMs). */
export interface Freeze {
  readonly fromMs: number;
  readonly toMs: number;
}

/** How one direction of the line behaves. */
export interface LinkConditions {
  /** One-way base delay, whole milliseconds. */
  readonly latencyMs: number;
  /** Extra delay drawn uniformly from the whole milliseconds 0..jitterMs. */
  readonly jitterMs: number;
  /** Probability 0..1 that a copy is lost. */
  readonly loss: number;
  /** Probability 0..1 that a segment is sent twice. */
  readonly duplicate: number;
  /** Probability 0..1 that a copy is held back by `reorderDelayMs`, so later ones overtake it. */
  readonly reorder: number;
  /** Extra delay of a reordered copy, whole milliseconds. */
  readonly reorderDelayMs: number;
}

/** How the whole line behaves: one link per direction, plus freezes that cut both. */
export interface LineConditions {
  readonly aToB: LinkConditions;
  readonly bToA: LinkConditions;
  readonly freezes: readonly Freeze[];
}

/** The line's state. Create it with {@link createLine}; advance it with {@link transmit}. */
export interface Line {
  readonly conditions: LineConditions;
  readonly rng: Rng;
  /**
   * Arrival time of the latest delivered non-reordered copy per direction
   * (`-Infinity` before the first), which keeps ordinary copies in order.
   */
  readonly lastArrivalMs: { readonly aToB: number; readonly bToA: number };
}

/** A copy that reaches the far end. Times are in the caller's clock, in ms. */
export interface Copy<T> {
  readonly payload: T;
  readonly sentAt: number;
  readonly arriveAt: number;
  /** True for the extra copy made by duplication; the original is `false`. */
  readonly duplicate: boolean;
  /** True if the copy was held back by `reorderDelayMs`. */
  readonly reordered: boolean;
}

/** A copy that never arrives, and where on its way it vanished. */
export interface LostCopy<T> {
  readonly payload: T;
  readonly sentAt: number;
  readonly lostAt: number;
  readonly reason: 'loss' | 'freeze';
  readonly duplicate: boolean;
}

/**
 * The fate of one send. Each copy appears in exactly one list, the original
 * before its duplicate.
 */
export interface Transmission<T> {
  readonly direction: Direction;
  readonly delivered: readonly Copy<T>[];
  readonly lost: readonly LostCopy<T>[];
}

/** What {@link transmit} returns: the advanced line and the fate of the send. */
export interface TransmitResult<T> {
  readonly line: Line;
  readonly outcome: Transmission<T>;
}

/**
 * How `transmit` spends randomness. Every call draws exactly
 * `drawsPerTransmit` floats — one for duplication, then loss, jitter and
 * reorder for the original and for the possible duplicate — whether or not
 * they are used. So the n-th send always consumes the same draws: changing a
 * probability changes only the fates it governs, not every later draw, which
 * keeps replays and side-by-side comparisons stable.
 */
export const LINE_RANDOMNESS = {
  drawsPerTransmit: 7,
  /** Index of the duplication draw. */
  duplicateDraw: 0,
  /** Index of the first per-copy draw; copy i uses three draws from `firstCopyDraw + 3 * i`. */
  firstCopyDraw: 1,
  drawsPerCopy: 3,
} as const;

/**
 * Builds conditions with the same link in both directions.
 *
 * @example
 * const conditions = symmetric(LINE_PRESETS.good.aToB, [{ fromMs: 5_000, toMs: 8_000 }]);
 */
export function symmetric(link: LinkConditions, freezes: readonly Freeze[] = []): LineConditions {
  return { aToB: link, bToA: link, freezes };
}

function preset(
  latencyMs: number,
  jitterMs: number,
  loss: number,
  duplicate: number,
  reorder: number,
  reorderDelayMs: number,
): LineConditions {
  const link: LinkConditions = Object.freeze({ latencyMs, jitterMs, loss, duplicate, reorder, reorderDelayMs });
  return Object.freeze(symmetric(link, Object.freeze([])));
}

/**
 * Named line conditions, from a line you can watch an envelope cross to one
 * where almost half the mail goes missing. Deeply frozen; build variants with
 * spread, e.g. `symmetric({ ...LINE_PRESETS.bad.aToB, loss: 0.5 })`.
 *
 * @example
 * const line = createLine(LINE_PRESETS.bad, 'room-7');
 */
export const LINE_PRESETS = {
  /** 600 ms each way, nothing else: slow enough to watch an envelope fly. */
  perfect: preset(600, 0, 0, 0, 0, 0),
  /** 600 ms plus up to 100 ms jitter, nothing lost. */
  good: preset(600, 100, 0, 0, 0, 0),
  /** 700 ms + up to 300 ms jitter; 25% loss, 5% duplicates, 5% held back 1.2 s. */
  bad: preset(700, 300, 0.25, 0.05, 0.05, 1200),
  /** 900 ms + up to 500 ms jitter; 45% loss, 10% duplicates, 10% held back 1.5 s. */
  terrible: preset(900, 500, 0.45, 0.1, 0.1, 1500),
} as const;

/** The name of one of the {@link LINE_PRESETS}. */
export type LinePresetName = keyof typeof LINE_PRESETS;

/**
 * Checks conditions and throws a `RangeError` naming the first bad field.
 * Conditions are programmer input, so a bad value is a bug, not a game event.
 *
 * @example
 * validateConditions(symmetric({ ...LINE_PRESETS.good.aToB, loss: 2 })); // throws RangeError
 */
export function validateConditions(conditions: LineConditions): void {
  validateLink(conditions.aToB, 'aToB');
  validateLink(conditions.bToA, 'bToA');
  conditions.freezes.forEach((freeze, index) => {
    // Written so that NaN fails too. toMs may be Infinity: a line cut for good.
    if (!(freeze.fromMs < freeze.toMs)) {
      throw new RangeError(
        `line conditions: freezes[${index}] needs fromMs < toMs, got fromMs=${freeze.fromMs}, toMs=${freeze.toMs}`,
      );
    }
  });
}

function validateLink(link: LinkConditions, direction: Direction): void {
  for (const field of ['loss', 'duplicate', 'reorder'] as const) {
    const p = link[field];
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`line conditions: ${direction}.${field} must be a probability in [0, 1], got ${p}`);
    }
  }
  for (const field of ['latencyMs', 'jitterMs', 'reorderDelayMs'] as const) {
    const ms = link[field];
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new RangeError(
        `line conditions: ${direction}.${field} must be a non-negative whole number of ms, got ${ms}`,
      );
    }
  }
}

/**
 * Creates a line with the given conditions and seed. Throws a `RangeError` for
 * invalid conditions (see {@link validateConditions}).
 *
 * @example
 * let line = createLine(LINE_PRESETS.perfect, 42);
 */
export function createLine(conditions: LineConditions, seed: number | string): Line {
  validateConditions(conditions);
  return {
    conditions,
    rng: createRng(seed),
    lastArrivalMs: { aToB: Number.NEGATIVE_INFINITY, bToA: Number.NEGATIVE_INFINITY },
  };
}

/**
 * Returns the line with new conditions (for instance a freeze added mid-game),
 * keeping its random state and ordering so the replay stays continuous.
 * Throws a `RangeError` for invalid conditions.
 *
 * @example
 * line = withConditions(line, { ...line.conditions, freezes: [{ fromMs: nowMs, toMs: nowMs + 3_000 }] });
 */
export function withConditions(line: Line, conditions: LineConditions): Line {
  validateConditions(conditions);
  return { conditions, rng: line.rng, lastArrivalMs: line.lastArrivalMs };
}

const NO_COPIES: readonly never[] = Object.freeze([]);

/**
 * Start of the earliest freeze overlapping the closed interval [startMs, endMs]
 * on the line, clipped to startMs; or `undefined` if no freeze overlaps.
 */
function frozenAt(freezes: readonly Freeze[], startMs: number, endMs: number): number | undefined {
  let earliest: number | undefined;
  for (const { fromMs, toMs } of freezes) {
    if (startMs < toMs && fromMs <= endMs) {
      const at = fromMs > startMs ? fromMs : startMs;
      if (earliest === undefined || at < earliest) earliest = at;
    }
  }
  return earliest;
}

/**
 * Sends `payload` at `nowMs` in `direction` and reports its fate.
 *
 * - One original copy, plus a duplicate (`duplicate: true`) with probability
 *   `duplicate`; both leave at `nowMs`.
 * - Each copy independently: lost with probability `loss`, vanishing halfway
 *   through its would-be flight (`latencyMs` + jitter); otherwise it flies
 *   `latencyMs` + jitter (whole ms, uniform in 0..jitterMs), plus
 *   `reorderDelayMs` with probability `reorder` (`reordered: true`).
 * - Order: a non-reordered copy never arrives before the previous delivered
 *   non-reordered copy in the same direction (it waits, as on a real FIFO
 *   link). Reordered copies neither obey nor move that mark.
 * - Freezes: a copy whose time on the line — [sentAt, arriveAt], or
 *   [sentAt, lostAt] for a lost copy — touches a freeze window [fromMs, toMs)
 *   is lost with reason `'freeze'` at max(sentAt, fromMs) instead.
 * - Randomness: exactly {@link LINE_RANDOMNESS}.drawsPerTransmit draws per
 *   call, whatever happens.
 *
 * `nowMs` must be finite (else `RangeError`); it need not increase between
 * calls. The input line is not modified.
 *
 * @example
 * const { line: next, outcome } = transmit(line, 'aToB', { flags: ['SYN'] }, 1_000);
 * // outcome.delivered → [{ payload, sentAt: 1000, arriveAt: 1600, duplicate: false, reordered: false }] on a perfect line
 */
export function transmit<T>(line: Line, direction: Direction, payload: T, nowMs: number): TransmitResult<T> {
  if (!Number.isFinite(nowMs)) {
    throw new RangeError(`transmit: nowMs must be a finite number, got ${nowMs}`);
  }
  const link = line.conditions[direction];
  const freezes = line.conditions.freezes;
  const [draws, rng] = nextFloats(line.rng, LINE_RANDOMNESS.drawsPerTransmit);

  const previousArrivalMs = line.lastArrivalMs[direction];
  let lastArrivalMs = previousArrivalMs;
  let delivered: Copy<T>[] | undefined;
  let lost: LostCopy<T>[] | undefined;

  // `draws` always holds drawsPerTransmit values; the `??` fallbacks only
  // satisfy noUncheckedIndexedAccess and mean "no duplicate, no loss, no reorder".
  const copyCount = (draws[LINE_RANDOMNESS.duplicateDraw] ?? 1) < link.duplicate ? 2 : 1;
  for (let copy = 0; copy < copyCount; copy++) {
    const first = LINE_RANDOMNESS.firstCopyDraw + LINE_RANDOMNESS.drawsPerCopy * copy;
    const lossDraw = draws[first] ?? 1;
    const jitterDraw = draws[first + 1] ?? 0;
    const reorderDraw = draws[first + 2] ?? 1;
    const duplicate = copy === 1;
    const flightMs = link.latencyMs + Math.floor(jitterDraw * (link.jitterMs + 1));

    if (lossDraw < link.loss) {
      const lossAt = nowMs + flightMs / 2;
      const freezeAt = frozenAt(freezes, nowMs, lossAt);
      (lost ??= []).push(
        freezeAt === undefined
          ? { payload, sentAt: nowMs, lostAt: lossAt, reason: 'loss', duplicate }
          : { payload, sentAt: nowMs, lostAt: freezeAt, reason: 'freeze', duplicate },
      );
      continue;
    }

    const reordered = reorderDraw < link.reorder;
    const computedMs = nowMs + flightMs;
    const arriveAt = reordered
      ? computedMs + link.reorderDelayMs
      : computedMs > lastArrivalMs
        ? computedMs
        : lastArrivalMs;
    const freezeAt = frozenAt(freezes, nowMs, arriveAt);
    if (freezeAt !== undefined) {
      (lost ??= []).push({ payload, sentAt: nowMs, lostAt: freezeAt, reason: 'freeze', duplicate });
      continue;
    }
    if (!reordered) lastArrivalMs = arriveAt;
    (delivered ??= []).push({ payload, sentAt: nowMs, arriveAt, duplicate, reordered });
  }

  const nextLastArrivalMs =
    lastArrivalMs === previousArrivalMs
      ? line.lastArrivalMs
      : direction === 'aToB'
        ? { aToB: lastArrivalMs, bToA: line.lastArrivalMs.bToA }
        : { aToB: line.lastArrivalMs.aToB, bToA: lastArrivalMs };

  return {
    line: { conditions: line.conditions, rng, lastArrivalMs: nextLastArrivalMs },
    outcome: { direction, delivered: delivered ?? NO_COPIES, lost: lost ?? NO_COPIES },
  };
}
