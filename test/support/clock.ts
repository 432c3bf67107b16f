/**
 * A clock for tests: time moves only when the test says so, and due timers run in order.
 * The server takes it in place of the real one, so no test waits for real time to pass.
 */
import type { Clock, TimerHandle } from '../../server/clock';

interface Entry {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export class FakeClock implements Clock {
  private t = 0;
  private nextId = 1;
  private entries: Entry[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry = { id: this.nextId++, at: this.t + Math.max(0, ms), fn };
    let i = this.entries.length;
    while (i > 0 && (this.entries[i - 1]?.at ?? 0) > entry.at) i--;
    this.entries.splice(i, 0, entry);
    return { __timer: true, id: entry.id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as unknown as { id: number }).id;
    this.entries = this.entries.filter((e) => e.id !== id);
  }

  /** Move time forward by `ms`, running every timer that falls due, each at its own time. */
  advance(ms: number): void {
    const target = this.t + ms;
    for (let guard = 0; guard < 1_000_000; guard++) {
      const next = this.entries[0];
      if (next === undefined || next.at > target) break;
      this.entries.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = target;
  }

  /** When the next timer is due, or null. */
  next(): number | null {
    return this.entries[0]?.at ?? null;
  }

  get pending(): number {
    return this.entries.length;
  }
}
