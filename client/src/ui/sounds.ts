/**
 * When the game sounds: the mute button (remembered on this device), the first gesture
 * that lets sound start, and which call events make which sound.
 */
import type { CallEvent } from '../../../shared/call';
import { strings } from '../i18n';
import type { CallModel } from '../model';
import { $ } from '../page';
import { createSound, type Sound } from '../sound';
import type { Ui } from './context';

const MUTE_KEY = 'cyhm.muted';

export function mountSound(ui: Ui): Sound {
  const sound = createSound(() => (typeof AudioContext === 'undefined' ? null : new AudioContext()), localStorage.getItem(MUTE_KEY) === '1');
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

/** The sounds `events` make, just told by the server. */
export function soundEvents(sound: Sound, model: CallModel, events: readonly CallEvent[]): void {
  let whoosh = false;
  for (const e of events) {
    if (e.type === 'segment-sent' || e.type === 'segment-injected') {
      // One whoosh per update, however many segments it brings.
      if (!whoosh) sound.play('whoosh');
      whoosh = true;
    }
    else if (e.type === 'move-judged' && e.side === model.you) sound.play(e.ok ? 'chime' : 'buzz');
    else if (e.type === 'endpoint' && e.side === model.you && e.event.type === 'state' && e.event.to === 'ESTABLISHED') sound.play('jingle');
  }
}
