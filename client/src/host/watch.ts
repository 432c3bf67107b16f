/**
 * The host watching one pair on the big screen: the call scene and ladder of a live call,
 * read-only, full screen, as its players see it. The server sends the call as it is
 * (`workshop:spectating`), then its updates and its end; this draws them and never acts.
 */
import type { CallRecord } from '../../../shared/call';
import type { CallEnded, CallUpdate, Spectating } from '../../../shared/wire';
import { fill, strings } from '../i18n';
import { applyUpdate, createModel, type CallModel } from '../model';
import type { GameSocket } from '../net';
import { $ } from '../page';
import type { GameView } from '../scenes/game';

export interface Watch {
  /** Ask to watch this call (or stop, with null). */
  request(callId: string | null): void;
  /** The call being watched, if any. */
  readonly callId: string | null;
  /** The watched call's model (for tests and redraws). */
  readonly model: CallModel | null;
}

export function createWatch(
  socket: GameSocket,
  auth: () => { code: string; hostToken: string } | null,
  onRewind: (record: CallRecord, names: { a: string; b: string }) => void,
): Watch {
  let model: CallModel | null = null;
  let view: GameView | null = null;
  let mounting: Promise<GameView> | null = null;
  /** The call watched last: focus goes back to its Watch button (or the pairs) when the host stops. */
  let lastWatched: string | null = null;

  const section = $('watch');
  const stage = $('watch-stage');

  const render = (): void => {
    const s = strings().workshop.host;
    section.hidden = model === null;
    document.body.classList.toggle('watching', model !== null);
    if (model === null) return;
    const names = { a: model.players.a.name, b: model.players.b.name };
    $('watch-title').textContent = fill(s.watching, names);
    const summary = model.summary;
    $('watch-state').textContent =
      summary === null ? `${model.view.a.state} · ${model.view.b.state}` : fill(s.watchEnded, { outcome: (s.outcomes as Record<string, string>)[summary.outcome] ?? summary.outcome });
    $('watch-state').classList.toggle('ended', summary !== null);
    $('watch-rewind').hidden = model.record === null;
    view?.refresh();
  };

  const mount = async (): Promise<void> => {
    mounting ??= import('../scenes/game').then(({ mountGame }) => mountGame(stage, () => model, window.matchMedia('(prefers-reduced-motion: reduce)').matches));
    view = await mounting;
    render();
  };

  socket.on('workshop:spectating', (next: Spectating) => {
    if (next.call === null) {
      model = null;
      render();
      (document.querySelector<HTMLElement>(`[data-watch="${CSS.escape(lastWatched ?? '')}"]`) ?? $('pairs')).focus();
      return;
    }
    lastWatched = next.call.callId;
    model = createModel(next.call, performance.now(), true);
    $('watch-state').textContent = strings().workshop.host.watchLoading;
    render();
    $('watch-stop').focus();
    void mount();
  });
  socket.on('call:update', (update: CallUpdate) => {
    if (model === null || update.callId !== model.callId) return;
    applyUpdate(model, update, performance.now());
    render();
  });
  socket.on('call:ended', (ended: CallEnded) => {
    if (model === null || ended.callId !== model.callId) return;
    model.summary = ended.summary;
    model.goal = ended.goal;
    model.record = ended.record;
    render();
  });

  const request = (callId: string | null): void => {
    const a = auth();
    if (a !== null) socket.emit('workshop:spectate', { ...a, callId });
  };
  $('watch-stop').addEventListener('click', () => request(null));
  $('watch-rewind').addEventListener('click', () => {
    if (model?.record !== null && model?.record !== undefined) onRewind(model.record, { a: model.players.a.name, b: model.players.b.name });
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && model !== null) {
      event.preventDefault();
      request(null);
    }
  });

  return {
    request,
    get callId() {
      return model?.callId ?? null;
    },
    get model() {
      return model;
    },
  };
}
