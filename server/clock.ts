/**
 * The server's only source of time. The call runner and everything with a timer take a
 * Clock, so tests drive them with a fake one and never sleep.
 */
export type TimerHandle = { readonly __timer: true };

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * A clock whose timers can also be fired between I/O events: `poll()` runs every timer
 * already due (the server's own clock, server/timers.ts). The timers due together fire in
 * one round; `afterRound(fn)` runs `fn` once the round firing now is over (at once if
 * none is), so a round steps every call due in it before it sends what they led to.
 */
export interface PolledClock extends Clock {
  poll(): void;
  afterRound(fn: () => void): void;
  /** Is a round of timers firing now (so that `afterRound` would wait)? */
  inRound(): boolean;
}

/** Run the timers of `clock` that are already due, if it can. */
export function pollTimers(clock: Clock): void {
  (clock as Partial<PolledClock>).poll?.();
}

/** Is `clock` firing a round of timers now? Never, on a clock without rounds. */
export function inTimerRound(clock: Clock): boolean {
  return (clock as Partial<PolledClock>).inRound?.() ?? false;
}

/** Run `fn` once the round of timers `clock` is firing is over; at once if it is firing none, or has no rounds. */
export function afterTimerRound(clock: Clock, fn: () => void): void {
  const rounds = clock as Partial<PolledClock>;
  if (rounds.afterRound === undefined) fn();
  else rounds.afterRound(fn);
}

/** The real clock: performance.now() and Node's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};
