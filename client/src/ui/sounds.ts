/**
 * When the game sounds: the mute button (remembered on this device), the first gesture
 * that lets sound start, and which call events make which sound.
 */
import type { CallEvent } from '../../../shared/call';
import { strings } from '../i18n';
import { callTime, type CallModel } from '../model';
import { $ } from '../page';
import { createSound, freezeWindow, soundsFor, type AudioLike, type Sound } from '../sound';
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
  /** When the line last froze on a segment, in call time. */
  let freezeAt: { from: number; until: number } | null = null;
  const syncStatic = (): void => {
    const { screen, model } = ui.store.get();
    const on = screen === 'call' && model !== null && model.summary === null;
    const now = model === null ? 0 : callTime(model, performance.now());
    const frozen = freezeAt !== null && now >= freezeAt.from && now < freezeAt.until;
    sound.setStatic(on && model !== null && (Object.keys(model.away).length > 0 || frozen));
  };
  ui.store.subscribe(() => {
    render();
    syncStatic();
  });
  render();
  // Static while the line is frozen on a segment: from the moment it froze, for a while.
  ui.socket.on('call:update', (update) => {
    const model = ui.store.get().model;
    const froze = model === null ? null : freezeWindow(update.events);
    if (model === null || froze === null) return;
    freezeAt = froze;
    const now = callTime(model, performance.now());
    if (froze.from > now) window.setTimeout(syncStatic, froze.from - now);
    window.setTimeout(syncStatic, Math.max(0, froze.until - now) + 1);
  });
  return sound;
}

/** Play the sounds `events` make, just told by the server. */
export function soundEvents(sound: Sound, model: CallModel, events: readonly CallEvent[]): void {
  for (const name of soundsFor(model, events)) sound.play(name);
}
