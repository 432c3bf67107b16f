/**
 * The player-facing strings cover everything the game can show: every lesson and goal
 * step, every error code, every state. (Both languages have the same shape by type.)
 */
import { describe, expect, it } from 'vitest';
import { en } from '../../client/src/i18n/en';
import { zh } from '../../client/src/i18n/zh';
import { fill } from '../../client/src/i18n/fill';
import { checkGoal, LEVELS } from '../../shared/game/levels';
import { STATES, TIMER_NAMES } from '../../shared/protocol';
import { ERRORS, RECORD_REFUSALS } from '../../shared/wire';

describe.each([
  ['en', en],
  ['zh', zh],
] as const)('%s strings', (_lang, strings) => {
  it('name and explain every lesson, and every step of its goal', () => {
    for (const level of LEVELS) {
      const texts = strings.lessons.levels[level.id];
      expect(texts.title.length).toBeGreaterThan(0);
      expect(texts.intro.length).toBeGreaterThan(20);
      expect(texts.debrief.length).toBeGreaterThan(20);
      for (const step of checkGoal(level, []).steps) expect((strings.lessons.steps as Record<string, string>)[step.id], `${level.id}: ${step.id}`).toBeTruthy();
    }
  });

  it('explain every error the server can send', () => {
    for (const code of Object.keys(ERRORS)) expect((strings.errors as Record<string, string>)[code], code).toBeTruthy();
  });

  it('explain every reason a replay is refused, every timer and every kind of moment in the replay viewer', () => {
    for (const code of Object.keys(RECORD_REFUSALS)) expect((strings.replay.refusals as Record<string, string>)[code], code).toBeTruthy();
    for (const timer of TIMER_NAMES) {
      expect(strings.replay.timers[timer].length, timer).toBeGreaterThan(0);
      expect(strings.replay.things.timer[timer].length, timer).toBeGreaterThan(0);
    }
  });

  it('explain every state', () => {
    for (const state of STATES) expect(strings.states[state].length).toBeGreaterThan(3);
  });
});

describe('fill', () => {
  it('puts values into their holes and leaves unknown holes as they are', () => {
    expect(fill('{a} + 1 = ?', { a: 3 })).toBe('3 + 1 = ?');
    expect(fill('{who}: {x}', { who: 'Ada' })).toBe('Ada: {x}');
    // A Latin name keeps its spaces in Chinese; a Chinese one does not get them.
    expect(fill('{who} 没说再见就挂断了。', { who: 'Alice' })).toBe('Alice 没说再见就挂断了。');
    expect(fill('{who} 没说再见就挂断了。', { who: '你' })).toBe('你没说再见就挂断了。');
    expect(fill('{segment} 到达了 {who}。', { segment: 'SYN', who: '小明' })).toBe('SYN 到达了小明。');
    expect(fill('{who} 听到了：“{text}”。', { who: '小明', text: '你 好' })).toBe('小明听到了：“你 好”。');
    expect(fill('{a} {b}', { a: '你', b: '好' })).toBe('你好');
  });
});
