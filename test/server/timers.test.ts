/**
 * The server's clock (server/timers.ts): one native timer for the process and a wheel of
 * deadlines. Its time is injected, and `poll()` fires what is due, so these tests move
 * time by hand; one test lets the native timer itself fire (a real-time concern).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TimerHandle } from '../../server/clock';
import { createTimerWheel, SLOT_MS } from '../../server/timers';
import { FakeClock } from '../support/clock';
import { startServer, TestClient } from '../support/server';

function wheelAt(start = 0) {
  let t = start;
  const errors: unknown[] = [];
  const clock = createTimerWheel({ now: () => t, onError: (e) => errors.push(e) });
  return {
    clock,
    errors,
    /** Move time to `to` and fire what is due. */
    at(to: number) {
      t = to;
      clock.poll();
    },
  };
}

describe('the timer wheel', () => {
  it('fires timers in order of their deadlines, and those due together in the order they were set', () => {
    const { clock, at } = wheelAt();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('c'), 300);
    clock.setTimeout(() => fired.push('a1'), 100);
    clock.setTimeout(() => fired.push('b'), 200);
    clock.setTimeout(() => fired.push('a2'), 100);
    at(99);
    expect(fired).toEqual([]);
    at(250);
    expect(fired).toEqual(['a1', 'a2', 'b']);
    at(10_000);
    expect(fired).toEqual(['a1', 'a2', 'b', 'c']);
    expect(clock.size).toBe(0);
  });

  it('never fires a cleared timer, and clearing twice or after firing changes nothing', () => {
    const { clock, at } = wheelAt();
    const fired: number[] = [];
    const handles = [10, 20, 30, 40].map((ms) => clock.setTimeout(() => fired.push(ms), ms));
    clock.clearTimeout(handles[1]!);
    clock.clearTimeout(handles[1]!);
    at(35);
    clock.clearTimeout(handles[0]!);
    at(100);
    expect(fired).toEqual([10, 30, 40]);
  });

  it('keeps firing the others when a callback throws, and reports the error', () => {
    const { clock, at, errors } = wheelAt();
    const fired: string[] = [];
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 5);
    clock.setTimeout(() => fired.push('after'), 5);
    at(5);
    expect(fired).toEqual(['after']);
    expect(errors).toEqual([new Error('boom')]);
  });

  it('fires a timer set by a callback for right now in the next round, not in the same one', () => {
    const { clock, at } = wheelAt();
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push('first');
      clock.setTimeout(() => fired.push('again'), 0);
    }, 10);
    at(10);
    expect(fired).toEqual(['first']);
    at(10);
    expect(fired).toEqual(['first', 'again']);
  });

  it('runs what a round left for its end once every timer due in it has fired, in the order it was left', () => {
    const { clock, at } = wheelAt();
    const log: string[] = [];
    for (const call of ['a', 'b', 'c']) {
      clock.setTimeout(() => {
        log.push(`step ${call}${clock.inRound() ? '' : ' outside a round'}`);
        clock.afterRound(() => log.push(`send ${call}${clock.inRound() ? ' inside the round' : ''}`));
      }, call === 'c' ? 20 : 10);
    }
    at(10);
    expect(log).toEqual(['step a', 'step b', 'send a', 'send b']);
    // Outside a round: at once.
    expect(clock.inRound()).toBe(false);
    clock.afterRound(() => log.push('now'));
    expect(log.at(-1)).toBe('now');
    at(20);
    expect(log.slice(-2)).toEqual(['step c', 'send c']);
  });

  it('reports what a round left for its end if it throws, and runs the rest of it all the same', () => {
    const { clock, at, errors } = wheelAt();
    const sent: number[] = [];
    clock.setTimeout(() => {
      clock.afterRound(() => {
        throw new Error('send failed');
      });
      clock.afterRound(() => sent.push(1));
    }, 5);
    at(5);
    expect(sent).toEqual([1]);
    expect(errors).toEqual([new Error('send failed')]);
    // The next round starts afresh.
    clock.setTimeout(() => clock.afterRound(() => sent.push(2)), 5);
    at(10);
    expect(sent).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
  });

  it('behaves like a sorted list of deadlines under any mix of setting, clearing and time passing', () => {
    type Op = { kind: 'set'; ms: number } | { kind: 'clear'; pick: number } | { kind: 'advance'; ms: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      // Quarter milliseconds: deadlines fall anywhere in a slot of the wheel, in any order,
      // and some beyond its horizon (in the heap).
      fc.record({ kind: fc.constant('set' as const), ms: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: 0, max: 800_000 })).map((q) => q / 4) }),
      fc.record({ kind: fc.constant('clear' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 400_000 })).map((q) => q / 4) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const { clock, at } = wheelAt();
        let now = 0;
        let id = 0;
        const model: { id: number; due: number }[] = [];
        const handles = new Map<number, TimerHandle>();
        const fired: number[] = [];
        const expected: number[] = [];
        for (const o of ops) {
          if (o.kind === 'set') {
            const mine = id++;
            handles.set(mine, clock.setTimeout(() => fired.push(mine), o.ms));
            model.push({ id: mine, due: now + o.ms });
          } else if (o.kind === 'clear') {
            const live = [...handles.keys()];
            const victim = live[o.pick % Math.max(1, live.length)];
            if (victim === undefined) continue;
            clock.clearTimeout(handles.get(victim)!);
            handles.delete(victim);
            const i = model.findIndex((m) => m.id === victim);
            if (i >= 0) model.splice(i, 1);
          } else {
            now += o.ms;
            const due = model.filter((m) => m.due <= now).sort((x, y) => x.due - y.due || x.id - y.id);
            for (const d of due) {
              expected.push(d.id);
              model.splice(model.indexOf(d), 1);
              handles.delete(d.id);
            }
            at(now);
          }
          expect(fired).toEqual(expected);
          expect(clock.size).toBe(model.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fires timers set out of order within one slot in order, and a slot emptied by clearing takes timers again', () => {
    const { clock, at } = wheelAt();
    const fired: string[] = [];
    // All within one 8-ms slot, set latest first.
    clock.setTimeout(() => fired.push('7.5'), 7.5);
    clock.setTimeout(() => fired.push('3'), 3);
    clock.setTimeout(() => fired.push('0.5'), 0.5);
    clock.setTimeout(() => fired.push('3 again'), 3);
    const gone = [clock.setTimeout(() => fired.push('never'), 20), clock.setTimeout(() => fired.push('never'), 21)];
    for (const t of gone) clock.clearTimeout(t);
    clock.setTimeout(() => fired.push('22'), 22);
    expect(clock.size).toBe(5);
    at(5);
    expect(fired).toEqual(['0.5', '3', '3 again']);
    at(100);
    expect(fired).toEqual(['0.5', '3', '3 again', '7.5', '22']);
    expect(clock.size).toBe(0);
  });

  it('fires a timer set into a slot that has begun firing, even one due before a timer cleared there', () => {
    const { clock, at } = wheelAt();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('2'), 2);
    const cleared = clock.setTimeout(() => fired.push('never'), 6);
    clock.setTimeout(() => fired.push('7'), 7);
    at(2);
    clock.clearTimeout(cleared);
    // The slot has moved past the fired timer and the cleared one; a new timer due before the cleared one's time still fires.
    at(3);
    clock.setTimeout(() => fired.push('5'), 2);
    at(5);
    expect(fired).toEqual(['2', '5']);
    at(8);
    expect(fired).toEqual(['2', '5', '7']);
    expect(clock.size).toBe(0);
  });

  it('keeps nothing for timers that were moved: a call moving its wake-up thousands of times leaves a few slots', () => {
    const { clock, at } = wheelAt();
    let t = 0;
    const limits: TimerHandle[] = [];
    for (let call = 0; call < 1_000; call++) {
      // Each call moves its one timer between its next arrival and its 30-minute limit, ten times.
      let wake = clock.setTimeout(() => {}, 600);
      for (let step = 0; step < 10; step++) {
        clock.clearTimeout(wake);
        wake = clock.setTimeout(() => {}, step % 2 === 1 ? 30 * 60_000 : 600);
      }
      limits.push(wake);
      t += 3;
      at(t);
    }
    // The limits wait beyond the wheel's horizon; the wheel holds only the next 600 ms.
    expect(clock.size).toBe(1_000);
    expect(clock.slots).toBeLessThanOrEqual(600 / SLOT_MS + 1);
    for (const wake of limits) clock.clearTimeout(wake);
    expect(clock.size).toBe(0);
    at(t + 1_000);
    expect(clock.slots).toBe(0);
  });

  it('fires by itself, through its one native timer, with nobody polling', async () => {
    const clock = createTimerWheel();
    const order: number[] = [];
    await new Promise<void>((resolve) => {
      clock.setTimeout(() => order.push(3), 3);
      clock.setTimeout(() => order.push(1), 1);
      clock.setTimeout(() => {
        order.push(5);
        resolve();
      }, 5);
      const dropped = clock.setTimeout(() => order.push(2), 2);
      clock.clearTimeout(dropped);
    });
    expect(order).toEqual([1, 3, 5]);
    expect(clock.size).toBe(0);
  });
});

describe('the socket layer', () => {
  it('fires due timers before it handles each request', async () => {
    const log: string[] = [];
    class PollingClock extends FakeClock {
      poll(): void {
        log.push('poll');
      }
    }
    const srv = await startServer({ clock: new PollingClock() });
    const c = await TestClient.connect(srv.url);
    try {
      c.send('hello', { name: 'Ann', lang: 'en' });
      await c.next('welcome');
      c.send('queue:leave', {});
      await c.next('error');
      expect(log).toEqual(['poll', 'poll']);
    } finally {
      c.close();
      await srv.close();
    }
  });
});
