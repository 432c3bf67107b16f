/**
 * Mounts the Phaser game in its container and gives the page a small handle to it.
 */
import * as Phaser from 'phaser';
import { strings } from '../i18n';
import { ladderPng } from '../ladder';
import { callTime, other, type CallModel } from '../model';
import { CallScene, type SceneDescription } from './CallScene';

export interface GameView {
  /** The model changed: redraw from it. */
  refresh(): void;
  setReducedMotion(on: boolean): void;
  /** The whole ladder of the call so far, as a PNG data URL. */
  ladderImage(): string;
  describe(): SceneDescription;
}

export function mountGame(parent: HTMLElement, getModel: () => CallModel | null, reducedMotion: boolean): GameView {
  const scene = new CallScene(getModel);
  scene.reducedMotion = reducedMotion;
  const game = new Phaser.Game({
    type: Phaser.AUTO,
    parent,
    backgroundColor: '#ffffff',
    scale: { mode: Phaser.Scale.RESIZE, width: parent.clientWidth || 800, height: parent.clientHeight || 560 },
    scene: [scene],
    banner: false,
    audio: { noAudio: true },
  });
  // Phaser polls its parent's size; follow layout changes (phone rotation, panels) at once.
  new ResizeObserver(() => game.scale.refresh()).observe(parent);
  return {
    refresh: () => scene.invalidate(),
    setReducedMotion: (on) => {
      scene.reducedMotion = on;
    },
    ladderImage: () => {
      const model = getModel();
      if (model === null) return '';
      const s = strings();
      const last = Math.max(callTime(model, performance.now()), ...model.tracks.flatMap((t) => [t.sentAt, ...t.copies.map((c) => c.arriveAt), ...t.lost.map((l) => 2 * l.lostAt - t.sentAt)]));
      return ladderPng(model, last, { you: s.call.you, partner: model.players[other(model.you)].name, title: s.call.ladderTitle });
    },
    describe: () => scene.describe(),
  };
}
