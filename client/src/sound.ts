/**
 * The game's sounds, made with the Web Audio API (no sound files): a ring when a call
 * starts, a whoosh per segment, a chime for a right move and a buzz for a wrong one,
 * static while the line is frozen, a jingle when connected and after a polite goodbye.
 *
 * Nothing plays until `unlock()` (the page calls it on the first click or key press, as
 * browsers require), nor while muted. The audio context comes from a factory, so a test
 * can hand in its own.
 *
 * @example
 * const sound = createSound(() => new AudioContext(), false);
 * document.addEventListener('pointerdown', () => sound.unlock(), { once: true });
 * sound.play('chime');
 */

import type { CallEvent } from '../../shared/call';

export type SoundName = 'ring' | 'whoosh' | 'chime' | 'buzz' | 'jingle';

/** The little of the Web Audio API the sounds use (an AudioContext has it all; a test fakes it). */
export interface ParamLike {
  value: number;
  setValueAtTime(value: number, at: number): unknown;
  linearRampToValueAtTime(value: number, at: number): unknown;
  exponentialRampToValueAtTime(value: number, at: number): unknown;
}
export interface NodeLike {
  connect<T extends NodeLike>(destination: T): T;
}
export interface SourceLike extends NodeLike {
  start(at?: number): void;
  stop(at?: number): void;
}
export interface BufferLike {
  getChannelData(channel: number): Float32Array;
}
export type Wave = 'sine' | 'square' | 'sawtooth' | 'triangle';

export interface AudioLike {
  readonly currentTime: number;
  readonly sampleRate: number;
  readonly destination: NodeLike;
  readonly state: string;
  resume(): Promise<void>;
  createOscillator(): SourceLike & { type: Wave; frequency: ParamLike };
  createGain(): NodeLike & { gain: ParamLike };
  createBiquadFilter(): NodeLike & { type: 'lowpass' | 'highpass' | 'bandpass'; frequency: ParamLike; Q: ParamLike };
  createBuffer(channels: number, length: number, sampleRate: number): BufferLike;
  createBufferSource(): SourceLike & { buffer: BufferLike | null; loop: boolean };
}

export interface Sound {
  /** The first user gesture happened: sound may start. */
  unlock(): void;
  play(name: SoundName): void;
  /** Static on the line while it is frozen. */
  setStatic(on: boolean): void;
  setMuted(muted: boolean): void;
  readonly muted: boolean;
  /** Every sound started so far, in order (for the tests' hook). */
  readonly played: readonly string[];
}

export function createSound(makeContext: () => AudioLike | null, muted: boolean): Sound {
  let ctx: AudioLike | null = null;
  let unlocked = false;
  let noise: BufferLike | null = null;
  let staticNode: { source: SourceLike } | null = null;
  let staticWanted = false;
  const played: string[] = [];

  const context = (): AudioLike | null => {
    if (!unlocked || muted) return null;
    if (ctx === null) {
      try {
        ctx = makeContext();
      } catch {
        ctx = null;
      }
    }
    if (ctx !== null && ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
    return ctx;
  };

  const noiseBuffer = (ac: AudioLike): BufferLike => {
    if (noise !== null) return noise;
    noise = ac.createBuffer(1, Math.round(ac.sampleRate), ac.sampleRate);
    const data = noise.getChannelData(0);
    // A fixed pattern, not Math.random: the same hiss every time.
    let x = 1;
    for (let i = 0; i < data.length; i++) {
      x = (x * 16807) % 2147483647;
      data[i] = (x / 2147483647) * 2 - 1;
    }
    return noise;
  };

  /** One tone: frequency `hz` from `at` for `ms`, with a soft attack and release. */
  const tone = (ac: AudioLike, hz: number, at: number, ms: number, type: Wave, volume: number): void => {
    const osc = ac.createOscillator();
    const gain = ac.createGain();
    osc.type = type;
    osc.frequency.setValueAtTime(hz, at);
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(volume, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + ms / 1000);
    osc.connect(gain).connect(ac.destination);
    osc.start(at);
    osc.stop(at + ms / 1000 + 0.02);
  };

  const sounds: Record<SoundName, (ac: AudioLike) => void> = {
    ring: (ac) => {
      const t = ac.currentTime;
      for (let i = 0; i < 2; i++) {
        tone(ac, 440, t + i * 0.35, 250, 'sine', 0.12);
        tone(ac, 480, t + i * 0.35, 250, 'sine', 0.12);
      }
    },
    whoosh: (ac) => {
      const t = ac.currentTime;
      const source = ac.createBufferSource();
      source.buffer = noiseBuffer(ac);
      const filter = ac.createBiquadFilter();
      filter.type = 'bandpass';
      filter.Q.value = 1.5;
      filter.frequency.setValueAtTime(400, t);
      filter.frequency.exponentialRampToValueAtTime(2400, t + 0.25);
      const gain = ac.createGain();
      gain.gain.setValueAtTime(0, t);
      gain.gain.linearRampToValueAtTime(0.08, t + 0.05);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      source.connect(filter).connect(gain).connect(ac.destination);
      source.start(t);
      source.stop(t + 0.32);
    },
    chime: (ac) => {
      const t = ac.currentTime;
      tone(ac, 880, t, 260, 'sine', 0.1);
      tone(ac, 1320, t + 0.09, 320, 'sine', 0.08);
    },
    buzz: (ac) => {
      tone(ac, 130, ac.currentTime, 280, 'sawtooth', 0.07);
    },
    jingle: (ac) => {
      const t = ac.currentTime;
      for (const [i, hz] of [523.25, 659.25, 783.99, 1046.5].entries()) tone(ac, hz, t + i * 0.11, 220, 'triangle', 0.1);
    },
  };

  const syncStatic = (): void => {
    const ac = staticWanted ? context() : null;
    if (ac !== null && staticNode === null) {
      const source = ac.createBufferSource();
      source.buffer = noiseBuffer(ac);
      source.loop = true;
      const filter = ac.createBiquadFilter();
      filter.type = 'highpass';
      filter.frequency.value = 1800;
      const gain = ac.createGain();
      gain.gain.value = 0.025;
      source.connect(filter).connect(gain).connect(ac.destination);
      source.start();
      staticNode = { source };
      played.push('static');
    } else if (ac === null && staticNode !== null) {
      staticNode.source.stop();
      staticNode = null;
    }
  };

  return {
    unlock() {
      unlocked = true;
      syncStatic();
    },
    play(name) {
      const ac = context();
      if (ac === null) return;
      sounds[name](ac);
      played.push(name);
    },
    setStatic(on) {
      if (on === staticWanted) return;
      staticWanted = on;
      syncStatic();
    },
    setMuted(next) {
      muted = next;
      syncStatic();
    },
    get muted() {
      return muted;
    },
    played,
  };
}

/**
 * The sounds a batch of call events makes for the player on side `you`: a chime or a buzz
 * for their own judged move, a jingle when their side connects, one whoosh per batch with
 * segments in it.
 *
 * @example
 * soundsFor({ you: 'a' }, [{ type: 'move-judged', side: 'a', ok: false, … }]) // ['buzz']
 */
export function soundsFor(model: { readonly you: 'a' | 'b' }, events: readonly CallEvent[]): SoundName[] {
  const out: SoundName[] = [];
  let whoosh = false;
  for (const e of events) {
    if (e.type === 'segment-sent' || e.type === 'segment-injected') {
      if (!whoosh) out.push('whoosh');
      whoosh = true;
    } else if (e.type === 'move-judged' && e.side === model.you) out.push(e.ok ? 'chime' : 'buzz');
    else if (e.type === 'endpoint' && e.side === model.you && e.event.type === 'state' && e.event.to === 'ESTABLISHED') out.push('jingle');
  }
  return out;
}

/** How long the static goes on after the line froze on a segment. */
export const FREEZE_STATIC_MS = 1_500;

/**
 * When the line froze on a segment in `events` (the latest such loss): static from then,
 * for FREEZE_STATIC_MS. Null if nothing froze.
 *
 * @example
 * freezeWindow([{ type: 'segment-sent', lost: [{ lostAt: 900, reason: 'freeze' }], … }]) // { from: 900, until: 2400 }
 */
export function freezeWindow(events: readonly CallEvent[]): { from: number; until: number } | null {
  let from: number | null = null;
  for (const e of events) {
    if (e.type !== 'segment-sent') continue;
    for (const lost of e.lost) if (lost.reason === 'freeze' && (from === null || lost.lostAt > from)) from = lost.lostAt;
  }
  return from === null ? null : { from, until: from + FREEZE_STATIC_MS };
}
