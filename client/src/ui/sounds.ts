/**
 * When the game sounds: the mute button (remembered on this device), the first gesture
 * that lets sound start, and which call events make which sound.
 */
import type { CallEvent } from '../../../shared/call';
import { strings } from '../i18n';
import type { CallModel } from '../model';
import { $ } from '../page';
import { createSound, soundsFor, type AudioLike, type Sound } from '../sound';
import type { Ui } from './context';

const MUTE_KEY = 'cyhm.muted';

export function mountSound(ui: Ui): Sound {
  const sound = createSound(() => (typeof AudioContext === 'undefined' ? null : (new AudioContext() as unknown as AudioLike)), localStorage.getItem(MUTE_KEY) === '1');
  const button = $<HTMLButtonElement>('mute');
  const render = (): void => {
    const s = strings().settings;
    button.setAttribute('aria-pressed', String(sound.muted));
    // A note and on/off, named for screen readers: pressed means the sound is off.
    button.textContent = `♪ ${sound.muted ? s.off : s.on}`;
    button.setAttribute('aria-label', s.soundOff);
    button.title = sound.muted ? s.unmute : s.mute;
  };
  button.addEventListener('click', () => {
    sound.setMuted(!sound.muted);
    localStorage.setItem(MUTE_KEY, sound.muted ? '1' : '0');
    render();
  });
  // Browsers let a page make sound only after the player did something.
  const unlock = (): void => sound.unlock();
  document.addEventListener('pointerdown', unlock, { once: true });
  document.addEventListener('keydown', unlock, { once: true });
  ui.store.subscribe((state) => {
    render();
    const model = state.model;
    sound.setStatic(state.screen === 'call' && model !== null && model.summary === null && Object.keys(model.away).length > 0);
  });
  render();
  return sound;
}

/** Play the sounds `events` make, just told by the server. */
export function soundEvents(sound: Sound, model: CallModel, events: readonly CallEvent[]): void {
  for (const name of soundsFor(model, events)) sound.play(name);
}
