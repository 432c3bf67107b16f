/**
 * Mounts the Phaser game in its container and gives the page a small handle to it.
 */
import * as Phaser from 'phaser';
import type { CallModel } from '../model';
import { CallScene, type SceneDescription } from './CallScene';

export interface GameView {
  /** The model changed: redraw from it. */
  refresh(): void;
  setReducedMotion(on: boolean): void;
  /** Draw the call and the ladder together, or only one of them (a phone's tabs). */
  setView(view: 'both' | 'call' | 'ladder'): void;
  describe(): SceneDescription;
}

export function mountGame(parent: HTMLElement, getModel: () => CallModel | null, reducedMotion: boolean): GameView {
  const scene = new CallScene(getModel);
  scene.reducedMotion = reducedMotion;
  const game = new Phaser.Game({
    // Canvas 2D: the scene is flat shapes and text, and Canvas draws them twice as fast as
    // WebGL where there is no GPU (headless Chromium's software renderer, old school laptops).
    type: Phaser.CANVAS,
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
    setView: (view) => {
      scene.view = view;
    },
    describe: () => scene.describe(),
  };
}
