/**
 * The server's timers: one native timer for the whole process, armed for the earliest
 * deadline, and a timer wheel behind it. Every call keeps a timer for its next deadline
 * and moves it at nearly every step; here setting one is a push into the wheel's slot for
 * its deadline and clearing one only marks it: no Node Timeout object apiece, and nothing
 * to reorder. The slots are `SLOT_MS` wide and made only when a timer falls in them; a
 * small heap keeps their numbers in order, so a timer can be any distance ahead. Within a
 * slot, timers fire by deadline, and those due together in the order they were set.
 *
 * `poll()` fires whatever is already due: the socket layer calls it before each request,
 * so a burst of requests in one turn of the event loop does not hold a 5-second reply
 * timer back until the next turn.
 */
import { performance } from 'node:perf_hooks';
import type { PolledClock, TimerHandle } from './clock';

/** How many milliseconds of deadlines one slot of the wheel holds. */
export const SLOT_MS = 8;

interface Entry {
  readonly due: number;
  /** Set order: timers due at the same moment fire in the order they were set. */
  readonly seq: number;
  /** Null once it has fired or been cleared. */
  fn: (() => void) | null;
  slot: Slot;
}

/** The timers whose deadlines fall in one slot of the wheel. */
class Slot {
  readonly entries: Entry[] = [];
  /** Entries before this one have fired or been cleared. */
  next = 0;
  /** Are the entries from `next` on in firing order? (Nearly always: later timers are set later.) */
  sorted = true;
  /** Entries neither fired nor cleared. */
  live = 0;

  constructor(readonly key: number) {}

  add(e: Entry): void {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && last.due > e.due) this.sorted = false;
    this.entries.push(e);
    this.live++;
  }

  /** The first entry still to fire, in firing order, or undefined. */
  head(): Entry | undefined {
    if (!this.sorted) {
      const rest = this.entries.splice(this.next).sort((x, y) => x.due - y.due || x.seq - y.seq);
      this.entries.length = 0;
      this.entries.push(...rest);
      this.next = 0;
      this.sorted = true;
    }
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
export function createTimerWheel(options: TimerWheelOptions = {}): PolledClock & { readonly size: number } {
  const now = options.now ?? (() => performance.now());
  const onError = options.onError ?? ((error: unknown) => queueMicrotask(() => {
    throw error;
  }));
  const slots = new Map<number, Slot>();
  /** Numbers of the slots made, smallest first (a binary heap; a number may be there twice, or stay after its slot is gone). */
  const keys: number[] = [];
  let seq = 0;
  let size = 0;
  let native: NodeJS.Timeout | null = null;
  /** When the native timer is set to fire (it may be earlier than the first deadline: then it just re-arms). */
  let armedFor = Infinity;
  /** Firing what is due: the native timer is armed once that is done. */
  let running = false;

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
  /** The first slot that still has a timer to fire, dropping the finished ones on the way. */
  const firstSlot = (): Slot | undefined => {
    while (keys.length > 0) {
      const key = keys[0]!;
      const slot = slots.get(key);
      if (slot !== undefined && slot.head() !== undefined) return slot;
      if (slot !== undefined) slots.delete(key);
      popKey();
    }
    return undefined;
  };
  const forget = (slot: Slot): void => {
    if (slot.live === 0 && slots.get(slot.key) === slot) slots.delete(slot.key);
  };

  /** Make sure the native timer fires no later than the earliest deadline. */
  const arm = (): void => {
    const head = size === 0 ? undefined : firstSlot()?.head();
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
    running = true;
    try {
      runDueNow(t);
    } finally {
      running = false;
    }
  };
  const runDueNow = (t: number): void => {
    // Only what was set before this began: a timer set by a callback waits for the next round.
    const setBefore = seq;
    for (;;) {
      const slot = firstSlot();
      if (slot === undefined || slot.key * SLOT_MS > t) return;
      for (let e = slot.head(); e !== undefined; e = slot.head()) {
        if (e.due > t || e.seq >= setBefore) return;
        const fn = e.fn!;
        e.fn = null;
        slot.next++;
        slot.live--;
        size--;
        try {
          fn();
        } catch (error) {
          onError(error);
        }
      }
      forget(slot);
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
      const due = now() + Math.max(0, ms);
      const key = Math.floor(due / SLOT_MS);
      let slot = slots.get(key);
      if (slot === undefined) {
        slot = new Slot(key);
        slots.set(key, slot);
        pushKey(key);
      }
      const e: Entry = { due, seq: seq++, fn, slot };
      slot.add(e);
      size++;
      if (!running && (native === null || due < armedFor)) arm();
      return e as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      const e = handle as unknown as Entry;
      if (e.fn === null) return;
      e.fn = null;
      e.slot.live--;
      size--;
      forget(e.slot);
      // The native timer stays armed for the old first deadline, if it was that: firing early only re-arms.
      if (size === 0 && !running) arm();
    },
    poll() {
      const key = keys[0];
      if (key === undefined) return;
      const t = now();
      if (key * SLOT_MS > t) return;
      runDue(t);
      arm();
    },
    get size() {
      return size;
    },
  };
}
