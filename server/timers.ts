/**
 * The server's timers: one native timer for the whole process, armed for the earliest
 * deadline, and a timer wheel behind it. Every call keeps a timer for its next deadline
 * and moves it at nearly every step; here setting one is a push into the wheel's slot for
 * its deadline and clearing one only marks it: no Node Timeout object apiece, and nothing
 * to reorder. The slots are `SLOT_MS` wide and made only when a timer falls in them; a
 * small heap keeps their numbers in order. Timers more than `HORIZON_MS` ahead (a call's
 * time limit, a seat kept for a player who left) wait in a binary heap instead, so the
 * wheel only ever spans the next minute. Timers fire by deadline, and those due together
 * in the order they were set.
 *
 * `poll()` fires whatever is already due: the socket layer calls it before each request,
 * so a burst of requests in one turn of the event loop does not hold a 5-second reply
 * timer back until the next turn.
 *
 * What a round's timers send waits for the round to end (`afterRound`): each call due
 * in it steps on time, and is not held back by the messages of the calls due before it,
 * which cost far more to send than a step does to make.
 */
import { performance } from 'node:perf_hooks';
import type { PolledClock, TimerHandle } from './clock';

/** How many milliseconds of deadlines one slot of the wheel holds. */
export const SLOT_MS = 8;
/** Timers further ahead than this wait in the heap, not the wheel. */
export const HORIZON_MS = 60_000;

interface Entry {
  readonly due: number;
  /** Set order: timers due at the same moment fire in the order they were set. */
  readonly seq: number;
  /** Null once it has fired or been cleared. */
  fn: (() => void) | null;
  /** Its slot in the wheel, or null if it waits in the heap. */
  readonly slot: Slot | null;
  /** Where it is in the heap (-1 if not there). */
  index: number;
}

const before = (x: Entry, y: Entry): boolean => x.due < y.due || (x.due === y.due && x.seq < y.seq);

/** The timers whose deadlines fall in one slot of the wheel, kept in firing order. */
class Slot {
  entries: Entry[] = [];
  /** Entries before this one have fired or been cleared. */
  next = 0;
  /** Entries neither fired nor cleared. */
  live = 0;

  /**
   * Put a timer in its place: nearly always the last (later timers are mostly set later),
   * else before the later ones still to fire. Never before `next`: those are done, and a
   * new timer fires after the ones already fired.
   */
  add(e: Entry): void {
    const entries = this.entries;
    let i = entries.length;
    while (i > this.next && entries[i - 1]!.due > e.due) i--;
    if (i === entries.length) entries.push(e);
    else entries.splice(i, 0, e);
    this.live++;
  }

  /** One of its timers fired or was cleared; once none is left, its entries go. */
  lost(): void {
    if (--this.live > 0) return;
    this.entries = [];
    this.next = 0;
  }

  /** The first entry still to fire, or undefined. */
  head(): Entry | undefined {
    while (this.next < this.entries.length) {
      const e = this.entries[this.next]!;
      if (e.fn !== null) return e;
      this.next++;
    }
    return undefined;
  }
}

export interface TimerWheelOptions {
  /** Milliseconds, monotonic (default: performance.now). */
  readonly now?: () => number;
  /** A callback that throws is reported here; the other timers fire all the same. */
  readonly onError?: (error: unknown) => void;
}

/**
 * @example
 * const clock = createTimerWheel();
 * const t = clock.setTimeout(() => console.log('5 s later'), 5_000);
 * clock.clearTimeout(t);
 */
export function createTimerWheel(options: TimerWheelOptions = {}): PolledClock & { readonly size: number; readonly slots: number } {
  const now = options.now ?? (() => performance.now());
  const onError = options.onError ?? ((error: unknown) => queueMicrotask(() => {
    throw error;
  }));
  /** The wheel's slots, by number; a slot stays until its number comes first, so each number is in `keys` once. */
  const slots = new Map<number, Slot>();
  /** Numbers of the slots in the wheel, smallest first (a binary heap). */
  const keys: number[] = [];
  /** Timers beyond the horizon, earliest first (a binary heap). */
  const far: Entry[] = [];
  let seq = 0;
  let size = 0;
  let native: NodeJS.Timeout | null = null;
  /** When the native timer is set to fire (it may be earlier than the first deadline: then it just re-arms). */
  let armedFor = Infinity;
  /** Firing what is due: the native timer is armed once that is done. */
  let running = false;
  /** What the round firing now left for its end (`afterRound`), in order. */
  let after: (() => void)[] = [];

  const pushKey = (key: number): void => {
    let i = keys.length;
    keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = keys[parent]!;
      if (p <= key) break;
      keys[i] = p;
      i = parent;
    }
    keys[i] = key;
  };
  const popKey = (): void => {
    const last = keys.pop()!;
    const n = keys.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && keys[right]! < keys[left]! ? right : left;
      if (keys[child]! >= last) break;
      keys[i] = keys[child]!;
      i = child;
    }
    keys[i] = last;
  };
  /** The wheel's first timer still to fire, dropping finished slots on the way. */
  const wheelHead = (): Entry | undefined => {
    while (keys.length > 0) {
      const key = keys[0]!;
      const head = slots.get(key)!.head();
      if (head !== undefined) return head;
      slots.delete(key);
      popKey();
    }
    return undefined;
  };

  const place = (e: Entry, i: number): void => {
    far[i] = e;
    e.index = i;
  };
  const up = (i: number): void => {
    const e = far[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = far[parent]!;
      if (!before(e, p)) break;
      place(p, i);
      i = parent;
    }
    place(e, i);
  };
  const down = (i: number): void => {
    const e = far[i]!;
    const n = far.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(far[right]!, far[left]!) ? right : left;
      const c = far[child]!;
      if (!before(c, e)) break;
      place(c, i);
      i = child;
    }
    place(e, i);
  };
  const removeFar = (e: Entry): void => {
    const i = e.index;
    e.index = -1;
    const last = far.pop()!;
    if (last === e) return;
    place(last, i);
    if (i > 0 && before(last, far[(i - 1) >> 1]!)) up(i);
    else down(i);
  };

  /** The first timer still to fire, wheel or heap. */
  const first = (): Entry | undefined => {
    const w = wheelHead();
    const h = far[0];
    if (h === undefined) return w;
    return w === undefined || before(h, w) ? h : w;
  };
  /** Take a timer out as it fires or is cleared. */
  const remove = (e: Entry): void => {
    e.fn = null;
    size--;
    if (e.slot === null) removeFar(e);
    else e.slot.lost();
  };

  /** Make sure the native timer fires no later than the earliest deadline. */
  const arm = (): void => {
    const head = size === 0 ? undefined : first();
    if (head === undefined) {
      if (native !== null) clearTimeout(native);
      native = null;
      armedFor = Infinity;
      return;
    }
    if (native !== null && armedFor <= head.due) return;
    if (native !== null) clearTimeout(native);
    armedFor = head.due;
    native = setTimeout(fire, Math.max(0, head.due - now()));
  };

  const runDue = (t: number): void => {
    // Only what was set before this began: a timer set by a callback waits for the next round.
    const setBefore = seq;
    running = true;
    try {
      for (let e = first(); e !== undefined && e.due <= t && e.seq < setBefore; e = first()) {
        const fn = e.fn!;
        remove(e);
        try {
          fn();
        } catch (error) {
          onError(error);
        }
      }
    } finally {
      running = false;
    }
    if (after.length === 0) return;
    const left = after;
    after = [];
    for (const fn of left) {
      try {
        fn();
      } catch (error) {
        onError(error);
      }
    }
  };

  function fire(): void {
    native = null;
    armedFor = Infinity;
    runDue(now());
    arm();
  }

  return {
    now,
    setTimeout(fn, ms) {
      const t = now();
      const due = t + Math.max(0, ms);
      let slot: Slot | null = null;
      if (due - t <= HORIZON_MS) {
        const key = Math.floor(due / SLOT_MS);
        slot = slots.get(key) ?? null;
        if (slot === null) {
          slot = new Slot();
          slots.set(key, slot);
          pushKey(key);
        }
      }
      const e: Entry = { due, seq: seq++, fn, slot, index: -1 };
      size++;
      if (slot !== null) {
        slot.add(e);
      } else {
        far.push(e);
        up(far.length - 1);
      }
      if (!running && (native === null || due < armedFor)) arm();
      return e as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      const e = handle as unknown as Entry;
      if (e.fn === null) return;
      remove(e);
      // The native timer stays armed for the old first deadline, if it was that: firing early only re-arms.
      if (size === 0 && !running) arm();
    },
    afterRound(fn) {
      if (running) after.push(fn);
      else fn();
    },
    inRound() {
      return running;
    },
    poll() {
      const key = keys[0];
      const h = far[0];
      const t = now();
      if ((key === undefined || key * SLOT_MS > t) && (h === undefined || h.due > t)) return;
      runDue(t);
      arm();
    },
    /** Timers set and neither fired nor cleared. */
    get size() {
      return size;
    },
    /** Slots the wheel holds now (finished ones go as time reaches them). */
    get slots() {
      return keys.length;
    },
  };
}
