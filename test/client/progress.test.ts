import { describe, expect, it } from 'vitest';
import { classProgress, newMistakes, pairStage, type Pair } from '../../client/src/host/progress';
import type { State } from '../../shared/protocol';

function pair(callId: string, a: State, b: State, outcome: string | null = null, wrongMoves = 0): Pair {
  return {
    callId,
    a: { participantId: 'pa', name: 'A', state: a },
    b: { participantId: 'pb', name: 'B', state: b },
    line: 'good',
    outcome,
    goalMet: null,
    retransmissions: 0,
    wrongMoves,
    shown: false,
  };
}

describe('a pair’s progress on the projector', () => {
  it('follows the handshake and the goodbye from both ends’ states', () => {
    expect(pairStage(pair('c', 'LISTEN', 'LISTEN'))).toBe('idle');
    expect(pairStage(pair('c', 'SYN_SENT', 'LISTEN'))).toBe('asking');
    expect(pairStage(pair('c', 'ESTABLISHED', 'SYN_RCVD'))).toBe('asking');
    expect(pairStage(pair('c', 'ESTABLISHED', 'ESTABLISHED'))).toBe('connected');
    expect(pairStage(pair('c', 'FIN_WAIT_1', 'ESTABLISHED'))).toBe('goodbye');
    expect(pairStage(pair('c', 'FIN_WAIT_2', 'CLOSE_WAIT'))).toBe('goodbye');
    expect(pairStage(pair('c', 'TIME_WAIT', 'LAST_ACK'))).toBe('waiting');
    expect(pairStage(pair('c', 'TIME_WAIT', 'CLOSED'))).toBe('waiting');
    expect(pairStage(pair('c', 'CLOSED', 'CLOSED', 'polite'))).toBe('done');
    expect(pairStage(pair('c', 'CLOSED', 'CLOSED', 'timeout'))).toBe('done');
  });

  it('counts the class: finished calls, and calls that got connected', () => {
    const pairs = [
      pair('1', 'LISTEN', 'SYN_SENT'),
      pair('2', 'ESTABLISHED', 'ESTABLISHED'),
      pair('3', 'TIME_WAIT', 'CLOSED'),
      pair('4', 'CLOSED', 'CLOSED', 'polite'),
      pair('5', 'CLOSED', 'CLOSED', 'timeout'),
    ];
    expect(classProgress(pairs)).toEqual({ total: 5, done: 2, connected: 3 });
    expect(classProgress([])).toEqual({ total: 0, done: 0, connected: 0 });
  });

  it('flashes the tiles of calls with a new wrong move, not new calls or calls with none', () => {
    const before = new Map([
      ['1', 0],
      ['2', 2],
    ]);
    expect(newMistakes(before, [pair('1', 'LISTEN', 'LISTEN', null, 1), pair('2', 'LISTEN', 'LISTEN', null, 2), pair('3', 'LISTEN', 'LISTEN', null, 4)])).toEqual(new Set(['1']));
  });
});
