/**
 * The sound module with a recording stand-in for the Web Audio context: nothing before
 * the first gesture or while muted, one voice per sound, static that starts and stops.
 */
import { describe, expect, it } from 'vitest';
import { createSound, freezeWindow, soundsFor, type AudioLike } from '../../client/src/sound';

/** An AudioContext stand-in that records which nodes were started and stopped. */
function fakeAudio() {
  const log: string[] = [];
  const param = () => ({ value: 0, setValueAtTime: () => undefined, linearRampToValueAtTime: () => undefined, exponentialRampToValueAtTime: () => undefined });
  const node = <T extends object>(kind: string, extra: T) => {
    const n = {
      ...extra,
      connect: (next: unknown) => next,
      start: () => log.push(`start ${kind}`),
      stop: () => log.push(`stop ${kind}`),
    };
    return n;
  };
  let made = 0;
  const context = {
    currentTime: 0,
    sampleRate: 8_000,
    destination: {},
    state: 'running',
    resume: async () => undefined,
    createOscillator: () => node('oscillator', { type: 'sine', frequency: param() }),
    createGain: () => node('gain', { gain: param() }),
    createBiquadFilter: () => node('filter', { type: 'lowpass', frequency: param(), Q: param() }),
    createBuffer: (_c: number, length: number) => ({ getChannelData: () => new Float32Array(length) }),
    createBufferSource: () => node('noise', { buffer: null, loop: false }),
  };
  return {
    log,
    made: () => made,
    factory: () => {
      made++;
      return context as unknown as AudioLike;
    },
  };
}

describe('sound', () => {
  it('makes no sound, and no audio context, before the first gesture', () => {
    const audio = fakeAudio();
    const sound = createSound(audio.factory, false);
    sound.play('ring');
    sound.setStatic(true);
    expect(audio.made()).toBe(0);
    expect(sound.played).toEqual([]);
    // The gesture: the static that was asked for starts now.
    sound.unlock();
    expect(audio.made()).toBe(1);
    expect(sound.played).toEqual(['static']);
  });

  it('plays each sound with its own voices: a ring of four tones, a whoosh of noise', () => {
    const audio = fakeAudio();
    const sound = createSound(audio.factory, false);
    sound.unlock();
    sound.play('ring');
    expect(audio.log.filter((l) => l === 'start oscillator')).toHaveLength(4);
    audio.log.length = 0;
    sound.play('whoosh');
    expect(audio.log).toEqual(['start noise', 'stop noise']);
    sound.play('chime');
    sound.play('buzz');
    sound.play('jingle');
    expect(sound.played).toEqual(['ring', 'whoosh', 'chime', 'buzz', 'jingle']);
  });

  it('muted: silent, and the static stops; unmuted: the static comes back', () => {
    const audio = fakeAudio();
    const sound = createSound(audio.factory, false);
    sound.unlock();
    sound.setStatic(true);
    expect(audio.log).toContain('start noise');
    sound.setMuted(true);
    expect(audio.log.at(-1)).toBe('stop noise');
    sound.play('chime');
    expect(sound.played).toEqual(['static']);
    sound.setMuted(false);
    expect(sound.played).toEqual(['static', 'static']);
    sound.setStatic(false);
    expect(audio.log.at(-1)).toBe('stop noise');
  });

  it('starts muted when the player muted it before', () => {
    const audio = fakeAudio();
    const sound = createSound(audio.factory, true);
    sound.unlock();
    sound.play('ring');
    expect(sound.muted).toBe(true);
    expect(audio.made()).toBe(0);
  });
});

describe('which call events sound', () => {
  it('a wrong move of mine buzzes, a right one chimes, the partner’s moves do not; connecting jingles; one whoosh per update', () => {
    type E = Parameters<typeof soundsFor>[1][number];
    const judged = (side: 'a' | 'b', ok: boolean) => ({ type: 'move-judged', side, ok, mistakes: [], at: 0 }) as unknown as E;
    const sent = { type: 'segment-sent', from: 'a', at: 0 } as unknown as E;
    const connected = (side: 'a' | 'b') => ({ type: 'endpoint', side, at: 0, event: { type: 'state', from: 'SYN_SENT', to: 'ESTABLISHED' } }) as unknown as E;
    expect(soundsFor({ you: 'a' }, [judged('a', false), judged('b', false), judged('b', true)])).toEqual(['buzz']);
    expect(soundsFor({ you: 'a' }, [judged('a', true), connected('b'), connected('a'), sent, sent])).toEqual(['chime', 'jingle', 'whoosh']);
    expect(soundsFor({ you: 'b' }, [connected('b')])).toEqual(['jingle']);
  });
});

describe('static on a frozen line', () => {
  it('starts when the line froze on a segment and lasts 1.5 s; a plain loss makes none', () => {
    type E = Parameters<typeof freezeWindow>[0][number];
    const sent = (lost: { lostAt: number; reason: 'loss' | 'freeze' }[]) => ({ type: 'segment-sent', from: 'a', at: 0, copies: [], lost: lost.map((l) => ({ ...l, duplicate: false })) }) as unknown as E;
    expect(freezeWindow([sent([{ lostAt: 300, reason: 'loss' }])])).toBeNull();
    expect(freezeWindow([sent([{ lostAt: 300, reason: 'freeze' }]), sent([{ lostAt: 900, reason: 'freeze' }])])).toEqual({ from: 900, until: 2_400 });
  });
});
