/**
 * Calls that outlive their server (several servers, `REDIS_URL`): every call is written
 * down in Redis as it goes, so another server can rebuild it and carry on.
 *
 * A call is a pure value rebuilt exactly from its setup and its inputs (shared/call). The
 * call's server (its owner) writes, per call:
 * - `cyhm:call:<id>`: a hash with `owner` (the server running it) and `meta` (what it was
 *   started with: setup, seats, lesson, workshop round, when it started);
 * - `cyhm:moves:<id>`: a list, one JSON entry per input the runner fed the call, and per
 *   fact of the runner's own (who hung up, a trick played, a seat dropped or back…);
 * - `cyhm:calls:<node>`: the set of calls each server owns.
 *
 * The entries of one step go out together (one script per call, per tick of the event
 * loop), and nothing the step led to reaches a player before Redis has them: the lobby's
 * messages wait in `later` until the writes before them are done. A write is fenced: it
 * goes in only while the writer still owns the call (another server took it over if this
 * one stalled past its lease), and the call is dropped here if not. When a call ends, its
 * keys expire after ten minutes (after its workshop result is kept).
 *
 * While Redis is away the calls go on; what could not be written is written again, whole,
 * once Redis is back.
 */
import type { Redis } from 'ioredis';
import type { Side } from '../shared/call';
import type { LevelId } from '../shared/game/levels';
import type { LineConditions } from '../shared/net';
import type { ProtocolConfig } from '../shared/protocol';
import type { Lang, LineName, Personality } from '../shared/wire';
import type { Logger } from './log';
import type { JournalEntry } from './runner';

/** How long a call's keys stay after it ended. */
export const ENDED_CALL_TTL_S = 600;

/** What a player's seat in a call was when it started: enough to seat them again elsewhere. */
export interface SeatMeta {
  readonly playerId: string;
  readonly name: string;
  readonly lang: Lang;
  /** '' for a bot. */
  readonly resumeToken: string;
  readonly bot: boolean;
}

/** What a call was started with: with its entries, enough to rebuild its runner anywhere. */
export interface CallMeta {
  readonly id: string;
  readonly code: string | null;
  readonly line: LineName;
  readonly conditions: LineConditions;
  readonly seed: number;
  readonly iss: { readonly a: number; readonly b: number };
  readonly config: Partial<ProtocolConfig> | null;
  readonly level: LevelId | null;
  readonly personality: Personality | null;
  readonly teaching: boolean;
  readonly tag: { readonly workshopId: string; readonly round: number } | null;
  readonly maxCallMs: number;
  /** Wall-clock time the call started (servers share the wall clock, not their monotonic ones). */
  readonly startedEpoch: number;
  readonly seats: Readonly<Record<Side, SeatMeta>>;
}

/** Where a lobby's calls are written down as they go. */
export interface CallBook {
  /** A call starts: keep what it starts with; returns where its runner writes its entries. */
  begin(meta: CallMeta): (entry: JournalEntry) => void;
  /** A call ended: its keys expire once `kept` (its workshop result written) settles. */
  ended(callId: string, kept: Promise<unknown>): void;
  /** A call handed over or dropped here: forget it, write nothing more for it. */
  forget(callId: string): void;
  /** Run `fn` once everything written so far is kept (in order with every other `later`). */
  later(fn: () => void): void;
}

const callKey = (id: string): string => `cyhm:call:${id}`;
const movesKey = (id: string): string => `cyhm:moves:${id}`;
const callsOf = (node: string): string => `cyhm:calls:${node}`;

/** Append entries, only while this server owns the call (a missing owner: Redis lost it, and it is written again whole). */
const APPEND = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[2], unpack(ARGV, 2))
return 1
`;

/** Take one call of a dead server: out of its set, into mine, owned by me. Exactly one server gets each call. */
const CLAIM = `
local id = redis.call('SPOP', KEYS[1])
if not id then return false end
redis.call('SADD', KEYS[2], id)
redis.call('HSET', 'cyhm:call:' .. id, 'owner', ARGV[1])
return id
`;

/** Move a server's set of calls aside (into KEYS[2], joining what an earlier move left there); how many are there. */
const SET_ASIDE = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SUNIONSTORE', KEYS[2], KEYS[1], KEYS[2])
  redis.call('DEL', KEYS[1])
end
return redis.call('SCARD', KEYS[2])
`;

/** Hand a call of mine to another server. */
const HAND_OVER = `
if redis.call('HGET', KEYS[3], 'owner') ~= ARGV[2] then return 0 end
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], 'owner', ARGV[3])
return 1
`;

/** A call's journal that cannot be read back (not JSON): no server can rebuild that call. */
export class UnreadableCall extends Error {
  constructor(
    readonly callId: string,
    cause: unknown,
  ) {
    super(`the journal of call ${callId} cannot be read`, { cause });
    this.name = 'UnreadableCall';
  }
}

export class Journal implements CallBook {
  private readonly metas = new Map<string, CallMeta>();
  private readonly pending = new Map<string, string[]>();
  private readonly begun: CallMeta[] = [];
  private scheduled = false;
  /** Everything before it is written (or failed), and every `later` before it has run. */
  private tail: Promise<void> = Promise.resolve();
  /** Something could not be written (Redis away): write every call again, whole, when it is back. */
  private dirty = false;
  private lostHandler: (callId: string) => void = () => {};

  constructor(
    private readonly redis: Redis,
    private readonly nodeId: string,
    private readonly log: Logger,
  ) {}

  /** Told when another server owns a call this one still runs (it stalled past its lease). */
  onLost(handler: (callId: string) => void): void {
    this.lostHandler = handler;
  }

  begin(meta: CallMeta): (entry: JournalEntry) => void {
    this.metas.set(meta.id, meta);
    this.begun.push(meta);
    this.schedule();
    return (entry) => this.write(meta.id, entry);
  }

  ended(callId: string, kept: Promise<unknown>): void {
    this.metas.delete(callId);
    void kept
      .catch(() => {})
      .then(() => this.tail)
      .then(() => this.redis.multi().expire(callKey(callId), ENDED_CALL_TTL_S).expire(movesKey(callId), ENDED_CALL_TTL_S).srem(callsOf(this.nodeId), callId).exec())
      .catch((err: unknown) => this.log.warn({ err, call: callId }, 'journal: could not retire a call'));
  }

  forget(callId: string): void {
    this.metas.delete(callId);
    this.pending.delete(callId);
  }

  later(fn: () => void): void {
    this.tail = this.tail.then(() => {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'journal: a message after a write failed');
      }
    });
  }

  /** Resolves once everything written so far is kept, and every message waiting on it is sent. */
  settled(): Promise<void> {
    this.schedule();
    return this.tail;
  }

  private write(callId: string, entry: JournalEntry): void {
    if (!this.metas.has(callId)) return;
    const list = this.pending.get(callId);
    const text = JSON.stringify(entry);
    if (list === undefined) this.pending.set(callId, [text]);
    else list.push(text);
    this.schedule();
  }

  /** One write per tick of the event loop: every call's entries of the tick together. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    let done!: () => void;
    const written = new Promise<void>((resolve) => (done = resolve));
    this.tail = this.tail.then(() => written);
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush().then(done, done);
    });
  }

  private async flush(): Promise<void> {
    if (this.begun.length === 0 && this.pending.size === 0) return;
    const batch = this.redis.pipeline();
    for (const meta of this.begun.splice(0)) {
      batch.hset(callKey(meta.id), 'owner', this.nodeId, 'meta', JSON.stringify(meta));
      batch.sadd(callsOf(this.nodeId), meta.id);
    }
    const appended: string[] = [];
    for (const [callId, entries] of this.pending) {
      appended.push(callId);
      batch.eval(APPEND, 2, callKey(callId), movesKey(callId), this.nodeId, ...entries);
    }
    this.pending.clear();
    let results: [Error | null, unknown][] | null;
    try {
      results = await batch.exec();
    } catch (err) {
      this.dirty = true;
      this.log.warn({ err: (err as Error).message }, 'journal: write failed; calls go on, and are written again when Redis is back');
      return;
    }
    if (appended.length === 0) return;
    const appends = (results ?? []).slice(-appended.length);
    appends.forEach(([err, owned], i) => {
      const callId = appended[i]!;
      if (err !== null) this.dirty = true;
      else if (owned === 0) {
        this.metas.delete(callId);
        this.log.warn({ call: callId }, 'journal: another server runs this call now; it stops here');
        this.lostHandler(callId);
      }
    });
  }

  /**
   * After a gap (Redis away, perhaps restarted empty): write every call this server runs
   * again, whole. `entriesOf` gives a call's entries as they would rebuild it now.
   */
  async rewrite(entriesOf: (callId: string) => readonly JournalEntry[] | null): Promise<void> {
    if (!this.dirty && (await this.redis.exists(callsOf(this.nodeId))) === 1) return;
    this.dirty = false;
    for (const meta of [...this.metas.values()]) {
      const entries = entriesOf(meta.id);
      if (entries === null) continue;
      const batch = this.redis.multi().del(movesKey(meta.id)).hset(callKey(meta.id), 'owner', this.nodeId, 'meta', JSON.stringify(meta)).sadd(callsOf(this.nodeId), meta.id);
      if (entries.length > 0) batch.rpush(movesKey(meta.id), ...entries.map((e) => JSON.stringify(e)));
      await batch.exec();
    }
  }

  // ---------------------------------------------------------------- reading and moving calls

  /**
   * A call as Redis holds it: what it started with and every entry so far; null if gone.
   * Throws `UnreadableCall` if what is kept is not JSON.
   */
  async load(callId: string): Promise<{ meta: CallMeta; entries: JournalEntry[] } | null> {
    const [meta, entries] = await Promise.all([this.redis.hget(callKey(callId), 'meta'), this.redis.lrange(movesKey(callId), 0, -1)]);
    if (meta === null) return null;
    try {
      return { meta: JSON.parse(meta) as CallMeta, entries: entries.map((e) => JSON.parse(e) as JournalEntry) };
    } catch (err) {
      throw new UnreadableCall(callId, err);
    }
  }

  /** Take one call of a dead server; null when none is left. */
  async claim(deadNode: string): Promise<string | null> {
    return (await this.redis.eval(CLAIM, 2, callsOf(deadNode), callsOf(this.nodeId), this.nodeId)) as string | null;
  }

  /**
   * The calls an earlier life of this server (the same name) left in Redis, moved aside in
   * one step to be claimed as a dead server's are: the name to claim them under, or null if
   * there are none.
   */
  async setAside(): Promise<string | null> {
    const earlier = `${this.nodeId}:earlier`;
    const left = (await this.redis.eval(SET_ASIDE, 2, callsOf(this.nodeId), callsOf(earlier))) as number;
    return left > 0 ? earlier : null;
  }

  /** Make `target` the owner of a call of mine (everything written so far is kept first). */
  async handOver(callId: string, target: string): Promise<boolean> {
    await this.settled();
    const moved = (await this.redis.eval(HAND_OVER, 3, callsOf(this.nodeId), callsOf(target), callKey(callId), callId, this.nodeId, target)) === 1;
    if (moved) this.forget(callId);
    return moved;
  }
}
