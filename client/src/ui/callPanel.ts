/**
 * The call panel beside the scene: the segment waiting for an answer, the guided choices
 * or the expert's blank packet, the verdict on the last move, the call's actions, the
 * chat box and a lesson's goal. Renders from the store; its buttons propose moves.
 */
import type { Side } from '../../../shared/call';
import { levelById } from '../../../shared/game/levels';
import { formatSegment, isClosing, makeSegment, type Segment } from '../../../shared/protocol';
import { fill, strings } from '../i18n';
import { other, type CallModel } from '../model';
import { $, toast } from '../page';
import type { AppState } from '../store';
import type { Ui } from './context';
import { stepList } from './lessons';

export function mine(model: CallModel | null): Side {
  return model?.you ?? 'a';
}

export function mountCallPanel(ui: Ui): void {
  const { socket, store } = ui;
  const sendMove = (segment: Segment): void => {
    $('verdict').textContent = '';
    socket.emit('call:move', { segment });
  };
  $('choices').addEventListener('click', (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-segment]');
    if (button !== null) sendMove(JSON.parse(button.dataset.segment ?? '{}') as Segment);
  });
  $('packet').addEventListener('submit', (event) => {
    event.preventDefault();
    const segment = readPacket();
    if (segment === null) return toast(strings().errors['input/invalid']);
    sendMove(segment);
  });
  $('hint').addEventListener('click', () => {
    const model = store.get().model;
    const hint = model?.view[mine(model)].hint;
    if (hint === null || hint === undefined) return;
    fillPacket(hint);
  });
  $('let-tcp').addEventListener('click', () => socket.emit('call:action', { action: 'answer' }));
  $('takeover').addEventListener('click', () => socket.emit('call:takeover', {}));
  $('act-ask').addEventListener('click', () => socket.emit('call:action', { action: 'ask' }));
  $('act-goodbye').addEventListener('click', () => socket.emit('call:action', { action: 'goodbye' }));
  $('act-hangup').addEventListener('click', () => socket.emit('call:action', { action: 'hang-up' }));
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) {
    radio.addEventListener('change', () => {
      renderMode();
      renderChoices(store.get());
    });
  }
  renderMode();
  $('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('chat-input');
    const text = input.value.trim();
    if (text === '') return;
    socket.emit('call:chat', { text });
    input.value = '';
  });

  // Keyboard: S/A/F/R toggle flags, 1–3 pick a guided choice (not while typing).
  document.addEventListener('keydown', (event) => {
    if (store.get().screen !== 'call' || event.ctrlKey || event.metaKey || event.altKey) return;
    if (!expert() && !/^[1-3]$/.test(event.key)) return;
    const target = event.target as HTMLElement;
    if (target instanceof HTMLInputElement && (target.type === 'text' || target.type === 'number' || target.id === 'chat-input')) return;
    if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
    const flags: Record<string, string> = { s: 'syn', a: 'ack', f: 'fin', r: 'rst' };
    const flag = flags[event.key.toLowerCase()];
    if (flag !== undefined) {
      const box = $<HTMLFormElement>('packet').elements.namedItem(flag) as HTMLInputElement;
      box.checked = !box.checked;
      event.preventDefault();
      return;
    }
    if (/^[1-3]$/.test(event.key)) {
      const button = $('choices').querySelectorAll('button')[Number(event.key) - 1];
      if (button !== undefined) {
        button.click();
        event.preventDefault();
      }
    }
  });

  store.subscribe((state) => {
    if (state.screen === 'call') renderCall(state);
  });
}

/** A new call on screen: an empty verdict. */
export function clearVerdict(): void {
  $('verdict').textContent = '';
}

export function renderCall(state: AppState): void {
  const { model, workshop } = state;
  if (model === null) return;
  const s = strings();
  const me = model.view[mine(model)];
  const partner = model.players[other(mine(model))];
  const pending = me.pending[0];
  const established = me.state === 'ESTABLISHED' || me.state === 'CLOSE_WAIT';
  const over = model.summary !== null;
  $('pending').textContent = pending === undefined ? '' : fill(s.builder.pending, { segment: formatSegment(pending.segment) });
  const askedAgain = $('asked-again');
  askedAgain.hidden = !state.askedAgain || pending === undefined || over;
  askedAgain.textContent = fill(s.call.askedAgain, { s: Math.round(model.replyTimeoutMs / 1000) });
  let turn: string = s.call.startHint;
  if (pending !== undefined) turn = fill(s.call.yourTurn, { name: partner.name });
  else if (established) turn = s.call.establishedHint;
  else if (me.state !== 'LISTEN' && me.state !== 'CLOSED') turn = s.states[me.state];
  $('turn').textContent = state.sceneLoading ? s.app.loading : over ? '' : turn;
  $('on-screen').hidden = !state.shown || over;
  $('on-screen').textContent = s.workshop.participant.onScreen;
  $<HTMLButtonElement>('act-ask').disabled = over || !(me.state === 'LISTEN' || me.state === 'CLOSED');
  $<HTMLButtonElement>('act-goodbye').disabled = over || !(me.state === 'ESTABLISHED' || me.state === 'CLOSE_WAIT' || me.state === 'SYN_RCVD');
  $<HTMLButtonElement>('act-hangup').disabled = over || me.state === 'TIME_WAIT' || me.state === 'CLOSED';
  $<HTMLButtonElement>('let-tcp').disabled = over || pending === undefined;
  $<HTMLButtonElement>('hint').disabled = over || me.hint === null;
  const chatInput = $<HTMLInputElement>('chat-input');
  chatInput.disabled = over || !established;
  $<HTMLButtonElement>('chat-form').querySelector('button')!.disabled = over || !established;
  $('chat-note').textContent = established || over ? '' : isClosing(me.state) ? s.chat.saidGoodbye : s.chat.notYet;
  const prompts = workshop?.prompts ?? [];
  const prompt = prompts.length === 0 ? undefined : prompts[Math.max(0, (workshop?.round ?? 1) - 1) % prompts.length];
  $('chat-prompt').hidden = prompt === undefined || !established;
  $('chat-prompt').textContent = prompt === undefined ? '' : fill(s.workshop.participant.prompt, { prompt });
  const level = model.level === null ? null : levelById(model.level);
  $('goal-box').hidden = level === null;
  if (level !== null) {
    $('goal-title').textContent = `${fill(s.lessons.lesson, { n: level.number })}: ${s.lessons.levels[level.id].title}`;
    stepList($('goal-steps'), level, model.goal);
  }
  const away = other(mine(model));
  $('away-box').hidden = over || model.away[away] === undefined;
  $('away-text').textContent = fill(s.lessons.partnerAway, { who: model.players[away].name });
  renderChoices(state);
  // A button that just disabled itself (Ask, once asked) must not drop the keyboard focus.
  const focused = document.activeElement;
  if (focused instanceof HTMLButtonElement && focused.disabled) {
    const next = $('choices').querySelector('button') ?? $<HTMLInputElement>('packet').querySelector<HTMLInputElement>('input[name="syn"]');
    next?.focus();
  }
}

function expert(): boolean {
  return document.querySelector<HTMLInputElement>('input[name="mode"][value="expert"]')?.checked === true;
}

/** Guided mode offers choices; expert mode a blank packet to fill in. One way at a time. */
function renderMode(): void {
  $('packet').hidden = !expert();
}

/** Guided mode: the segment TCP would send (from the server's view) and a few near misses, shuffled. */
function renderChoices({ model }: AppState): void {
  const box = $('choices');
  const hint = model?.view[mine(model)].hint ?? null;
  if (model === null || expert() || hint === null || model.summary !== null) {
    box.replaceChildren();
    delete box.dataset.key;
    return;
  }
  const options = [hint, ...nearMisses(model, hint)];
  const key = options.map(formatSegment).join('|');
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  const order = [...options].sort((x, y) => hash(formatSegment(x) + model.callId) - hash(formatSegment(y) + model.callId));
  const label = Object.assign(document.createElement('p'), { className: 'muted small', textContent: strings().builder.choices });
  box.replaceChildren(
    label,
    ...order.map((segment, i) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `${i + 1}. ${formatSegment(segment)}`;
      button.dataset.segment = JSON.stringify(segment);
      return button;
    }),
  );
}

function nearMisses(model: CallModel, right: Segment): Segment[] {
  const misses: Segment[] = [];
  const pending = model.view[mine(model)].pending[0]?.segment;
  if (right.rst) {
    // The tempting mistake: accept the answer as if it were to your own question.
    if (pending?.ack === true) misses.push(makeSegment({ ack: true, seq: pending.ackNo, ackNo: (pending.seq + 1) >>> 0 }));
    misses.push({ ...right, seq: (right.seq + 0xffffffff) >>> 0 });
    return misses;
  }
  if (right.ack) misses.push({ ...right, ackNo: (right.ackNo + 0xffffffff) >>> 0 });
  if (right.ack && right.syn) misses.push({ ...right, ack: false, ackNo: 0 });
  else if (!right.ack && right.syn) misses.push({ ...right, ack: true, ackNo: right.seq + 1 });
  else if (right.ack) misses.push({ ...right, seq: right.ackNo, ackNo: right.seq });
  return misses.filter((m, i, all) => all.findIndex((o) => formatSegment(o) === formatSegment(m)) === i && formatSegment(m) !== formatSegment(right)).slice(0, 2);
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function readPacket(): Segment | null {
  const form = $<HTMLFormElement>('packet');
  const data = new FormData(form);
  const seq = Number(data.get('seq'));
  const ackRaw = String(data.get('ackNo') ?? '');
  const ack = data.get('ack') !== null;
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff) return null;
  const ackNo = ackRaw === '' ? 0 : Number(ackRaw);
  if (!Number.isInteger(ackNo) || ackNo < 0 || ackNo > 0xffffffff) return null;
  return makeSegment({ syn: data.get('syn') !== null, ack, fin: data.get('fin') !== null, rst: data.get('rst') !== null, seq, ackNo: ack ? ackNo : 0 });
}

function fillPacket(segment: Segment): void {
  const form = $<HTMLFormElement>('packet');
  for (const flag of ['syn', 'ack', 'fin', 'rst'] as const) (form.elements.namedItem(flag) as HTMLInputElement).checked = segment[flag];
  (form.elements.namedItem('seq') as HTMLInputElement).value = String(segment.seq);
  (form.elements.namedItem('ackNo') as HTMLInputElement).value = segment.ack ? String(segment.ackNo) : '';
}

/** The verdict on this player's move, in words: right, or what was wrong with it. */
export function showVerdict(ok: boolean, mistakes: readonly { code: string; expected?: unknown; got?: unknown }[]): void {
  const s = strings();
  const el = $('verdict');
  el.className = `verdict ${ok ? 'ok' : 'bad'}`;
  if (ok) {
    el.textContent = s.builder.correct;
    return;
  }
  const table = s.mistakes as Record<string, string>;
  el.textContent = mistakes
    .map((m) => fill(table[m.code] ?? m.code, { expected: String(m.expected ?? ''), got: String(m.got ?? '') }))
    .join(' ');
}
