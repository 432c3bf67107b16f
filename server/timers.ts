/**
 * The server's timers: one native timer for the whole process, armed for the earliest
 * deadline in a binary heap. Every call keeps a timer for its next deadline and moves it
 * at nearly every step; here that is a heap insert and a removal, not a Node Timeout
 * object apiece. And `poll()` fires whatever is already due: the socket layer calls it
 * before each request, so a burst of requests in one turn of the event loop does not
 * hold a 5-second reply timer back until the next turn.
 */
import { performance } from 'node:perf_hooks';
import type { PolledClock, TimerHandle } from './clock';

interface Entry {
  readonly due: number;
  /** Insertion order: timers due at the same moment fire in the order they were set. */
  readonly seq: number;
  readonly fn: () => void;
  /** Where it is in the heap, or -1 once it has fired or been cleared. */
  index: number;
}

export interface TimerHeapOptions {
  /** Milliseconds, monotonic (default: performance.now). */
  readonly now?: () => number;
  /** A callback that throws is reported here; the other timers fire all the same. */
  readonly onError?: (error: unknown) => void;
}

/**
 * @example
 * const clock = createTimerHeap();
 * const t = clock.setTimeout(() => console.log('5 s later'), 5_000);
 * clock.clearTimeout(t);
 */
export function createTimerHeap(options: TimerHeapOptions = {}): PolledClock & { readonly size: number } {
  const now = options.now ?? (() => performance.now());
  const onError = options.onError ?? ((error: unknown) => queueMicrotask(() => {
    throw error;
  }));
  const heap: Entry[] = [];
  let seq = 0;
  let native: NodeJS.Timeout | null = null;
  /** When the native timer is set to fire (it may be earlier than the head: then it just re-arms). */
  let armedFor = Infinity;

  const before = (x: Entry, y: Entry): boolean => x.due < y.due || (x.due === y.due && x.seq < y.seq);
  const place = (e: Entry, i: number): void => {
    heap[i] = e;
    e.index = i;
  };
  const up = (i: number): void => {
    const e = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(e, p)) break;
      place(p, i);
      i = parent;
    }
    place(e, i);
  };
  const down = (i: number): void => {
    const e = heap[i]!;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
      const c = heap[child]!;
      if (!before(c, e)) break;
      place(c, i);
      i = child;
    }
    place(e, i);
  };
  const remove = (e: Entry): void => {
    const i = e.index;
    e.index = -1;
    const last = heap.pop()!;
    if (last === e) return;
    place(last, i);
    if (i > 0 && before(last, heap[(i - 1) >> 1]!)) up(i);
    else down(i);
  };

  /** Make sure the native timer fires no later than the earliest deadline. */
  const arm = (): void => {
    const head = heap[0];
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

  const runDue = (): void => {
    const t = now();
    // Only what was due when this began: a timer set by a callback waits for the next round.
    for (let guard = heap.length; guard > 0; guard--) {
      const head = heap[0];
      if (head === undefined || head.due > t) break;
      remove(head);
      try {
        head.fn();
      } catch (error) {
        onError(error);
      }
    }
  };

  function fire(): void {
    native = null;
    armedFor = Infinity;
    runDue();
    arm();
  }

  return {
    now,
    setTimeout(fn, ms) {
      const e: Entry = { due: now() + Math.max(0, ms), seq: seq++, fn, index: heap.length };
      heap.push(e);
      up(e.index);
      if (e.index === 0) arm();
      return e as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      const e = handle as unknown as Entry;
      if (e.index < 0 || heap[e.index] !== e) return;
      // The native timer stays armed for the old head, if it was that: firing early only re-arms.
      remove(e);
      if (heap.length === 0) arm();
    },
    poll() {
      const head = heap[0];
      if (head !== undefined && head.due <= now()) {
        runDue();
        arm();
      }
    },
    get size() {
      return heap.length;
    },
  };
}
