/**
 * Players for tests of several real servers that come and go: each plays its calls by
 * itself with TCP's own answers, can hold at a stage of the call (to be caught there when a
 * server dies), and when its connection drops it connects again to a server that is up (as
 * a load balancer would send it) and resumes with its token; on a call gone quiet for
 * good it hangs up, as a person would. It keeps the call as it has it: the events in
 * order, the last view, every call:started and the end.
 */
import type { CallEvent, CallView, Side } from '../../shared/call';
import type { CallEnded, CallStarted, CallUpdate, Welcome } from '../../shared/wire';
import { TestClient } from './server';

/** Where a player stops acting until released: nobody asked yet, mid-handshake, connected and chatting, mid-goodbye, in TIME_WAIT, or never. */
export type Stage = 'listen' | 'handshake' | 'chat' | 'goodbye' | 'time-wait' | 'none';

/** How long a player waits on a call where nothing happens before hanging up. */
const QUIET_MS = 20_000;

const CLOSING_A = new Set(['FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'TIME_WAIT']);

/** Has the call got to `stage` (as both players see it, from the shared view and events)? */
export function reached(stage: Stage, view: CallView, events: readonly CallEvent[]): boolean {
  switch (stage) {
    case 'none':
      return false;
    case 'listen':
      return true;
    case 'handshake':
      return view.a.state !== 'LISTEN';
    case 'chat':
      return view.a.state === 'ESTABLISHED' && view.b.state === 'ESTABLISHED' && events.some((e) => e.type === 'segment-sent' && e.from === 'a' && e.segment.data !== '');
    case 'goodbye':
      return CLOSING_A.has(view.a.state);
    case 'time-wait':
      return view.a.state === 'TIME_WAIT';
  }
}

export class FailoverPlayer {
  client!: TestClient;
  welcome!: Welcome;
  callId: string | null = null;
  side: Side = 'a';
  view: CallView | null = null;
  /** The call's events as this player has them (a call:started brings them all again). */
  events: CallEvent[] = [];
  readonly started: { at: number; payload: CallStarted }[] = [];
  readonly ended: CallEnded[] = [];
  readonly closingNotices: number[] = [];
  /** Refusals heard (code and request). */
  readonly errors: string[] = [];
  /** Connections that dropped under this player. */
  drops = 0;
  private asked = false;
  /** Side a has asked again since its TCP last went to CLOSED. */
  private askedSinceClosed = false;
  private chatted = false;
  private saidGoodbye = false;
  private answered = new Set<number>();
  private gone = false;
  /** When this player last heard anything of its call (Date.now), and whether it has hung up on it. */
  private heardAt = Date.now();
  private hungUp = false;

  private constructor(
    readonly name: string,
    /** Servers up now, to connect to (the first one that answers). */
    private readonly servers: () => readonly string[],
    /** Stop acting once the call gets here, until `release`. */
    public stage: Stage,
  ) {}

  static async join(url: string, name: string, servers: () => readonly string[], stage: Stage = 'none'): Promise<FailoverPlayer> {
    const player = new FailoverPlayer(name, servers, stage);
    await player.connect(url);
    return player;
  }

  /** Play on to the end from here. */
  release(): void {
    this.stage = 'none';
    this.act();
  }

  /** Hang up on the current call if it has not ended (to leave no call behind). */
  hangUp(): void {
    if (this.callId === null || this.ended.some((e) => e.callId === this.callId) || !this.client.socket.connected) return;
    this.hungUp = true;
    this.client.send('call:action', { action: 'hang-up' });
  }

  close(): void {
    this.gone = true;
    this.client.close();
  }

  private async connect(url: string, resumeToken?: string): Promise<void> {
    const client = await TestClient.connect(url);
    this.client = client;
    client.socket.on('call:started', (s: CallStarted) => {
      this.started.push({ at: Date.now(), payload: s });
      this.heardAt = Date.now();
      if (this.callId !== s.callId) {
        this.asked = false;
        this.askedSinceClosed = false;
        this.hungUp = false;
        this.chatted = false;
        this.saidGoodbye = false;
        this.answered = new Set();
      } else {
        // Back in the same call after a drop: what was sent as the connection died may be
        // lost, so do again what the call as it is now still waits for (the view says what:
        // a goodbye or an answer that got through has changed it).
        this.saidGoodbye = false;
        this.answered = new Set();
        if (!s.events.some((e) => e.type === 'segment-sent' && e.from === s.you && e.segment.data !== '')) this.chatted = false;
      }
      this.callId = s.callId;
      this.side = s.you;
      this.view = s.view;
      this.events = [...s.events];
      this.act();
    });
    client.socket.on('call:update', (u: CallUpdate) => {
      if (u.callId !== this.callId) return;
      this.heardAt = Date.now();
      this.view = u.view;
      this.events.push(...u.events);
      this.act();
    });
    client.socket.on('call:ended', (e: CallEnded) => {
      if (e.callId === this.callId) this.ended.push(e);
    });
    client.socket.on('server:closing', () => this.closingNotices.push(Date.now()));
    client.socket.on('error', (e: { code: string; event?: string }) => this.errors.push(`${e.code} (${e.event ?? '?'})`));
    client.socket.on('disconnect', () => {
      if (this.gone || this.client !== client) return;
      this.drops++;
      void this.failover();
    });
    client.send('hello', { name: this.name, lang: 'en', ...(resumeToken === undefined ? {} : { resumeToken }) });
    this.welcome = await client.next('welcome', () => true, 15_000);
  }

  /** The connection dropped: connect to a server that is up and resume with the token. */
  private async failover(): Promise<void> {
    const token = this.welcome.resumeToken;
    for (let attempt = 0; attempt < 50 && !this.gone; attempt++) {
      const up = this.servers();
      const url = up[(attempt + this.name.length) % Math.max(1, up.length)];
      if (url !== undefined) {
        try {
          await this.connect(url, token);
          return;
        } catch {
          // That one is going too: the next.
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Do what TCP would, as this side: ask (side a), answer what waits, chat once, say goodbye. */
  private act(): void {
    const view = this.view;
    // Only on a live connection (a move sent on one that just closed is lost; the next call:started acts again).
    if (!this.client.socket.connected) return;
    if (view === null || this.ended.some((e) => e.callId === this.callId) || reached(this.stage, view, this.events)) return;
    const mine = view[this.side];
    if (this.side === 'a' && !this.asked && mine.state === 'LISTEN') {
      this.asked = true;
      this.client.send('call:action', { action: 'ask' });
      return;
    }
    if (this.side === 'a' && mine.state !== 'CLOSED') this.askedSinceClosed = false;
    // The call was never connected, or is no longer, and the partner listens again: ask
    // again once TCP allows it. A handshake gives up when every try is lost (a bad line, or
    // a line frozen while a player's server was taken over), and a reset ends a half-open
    // connection (below). The call stays open for another try.
    if (this.side === 'a' && this.asked && mine.state === 'CLOSED' && view.b.state === 'LISTEN' && mine.timers.retryWait === null && !this.askedSinceClosed) {
      this.askedSinceClosed = true;
      this.client.send('call:action', { action: 'ask' });
      return;
    }
    // Half-open: a's last ACK of the handshake was lost and b gave up and listens again. A
    // player talks on; b's TCP answers that with a reset, and a may ask again.
    if (this.side === 'a' && mine.state === 'ESTABLISHED' && view.b.state === 'LISTEN' && !this.chatted) {
      this.chatted = true;
      this.client.send('call:chat', { text: `hello from ${this.name}` });
      return;
    }
    const head = mine.pending[0];
    if (head !== undefined && !this.answered.has(head.id)) {
      this.answered.add(head.id);
      if (mine.hint !== null) this.client.send('call:move', { segment: mine.hint });
      else this.client.send('call:action', { action: 'answer' });
      return;
    }
    if (this.side === 'a' && mine.state === 'ESTABLISHED' && view.b.state === 'ESTABLISHED') {
      if (!this.chatted) {
        this.chatted = true;
        this.client.send('call:chat', { text: `hello from ${this.name}` });
        return;
      }
      if (!this.saidGoodbye && !reached('chat', view, this.events)) return;
      if (!this.saidGoodbye && this.stage !== 'chat') {
        this.saidGoodbye = true;
        this.client.send('call:action', { action: 'goodbye' });
      }
      return;
    }
    if (this.side === 'b' && !this.saidGoodbye && mine.state === 'CLOSE_WAIT' && mine.pending.length === 0) {
      this.saidGoodbye = true;
      this.client.send('call:action', { action: 'goodbye' });
    }
  }

  /** Resolves when the current call has ended for this player (real time, bounded). */
  async finished(timeoutMs: number): Promise<CallEnded> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const end = this.ended.find((e) => e.callId === this.callId);
      if (end !== undefined) return end;
      // A call that has gone quiet for good (on a bad line, every FIN of one side lost after
      // the other gave up, say) ends only when someone hangs up: a player does.
      if (this.stage === 'none' && !this.hungUp && Date.now() - this.heardAt > QUIET_MS) this.hangUp();
      if (Date.now() > until) {
        const quiet = ((Date.now() - this.heardAt) / 1000).toFixed(1);
        const last = this.events.slice(-8).map((e) => (e.type === 'endpoint' ? `${e.side} ${e.event.type}` : e.type === 'segment-sent' ? `${e.from} sent${e.retransmit ? ' again' : ''}` : e.type));
        throw new Error(`${this.name}: call ${this.callId} did not end (states ${this.view?.a.state}/${this.view?.b.state}; last heard ${quiet} s ago; hung up: ${this.hungUp}; refusals: ${this.errors.join(', ') || 'none'}; drops ${this.drops}; last events ${last.join(', ')})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
