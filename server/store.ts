/**
 * Workshop storage: an embedded SQLite file (better-sqlite3), nothing to install or start.
 * Workshops, their participants, the pairs of each round and every finished call's
 * result survive a restart, even a SIGKILL: every write is committed before it returns
 * (WAL journal). The host's secret is kept only as a hash.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { LevelId } from '../shared/game/levels';
import type { LineName } from '../shared/wire';

export interface WorkshopRow {
  readonly id: string;
  readonly code: string;
  readonly title: string;
  readonly hostTokenHash: string;
  readonly createdAt: number;
  readonly level: LevelId | null;
  readonly line: LineName;
  readonly teaching: boolean;
  readonly leaderboard: boolean;
  readonly prompts: readonly string[];
  readonly round: number;
  readonly roundOpen: boolean;
}

export interface ParticipantRow {
  readonly id: string;
  readonly workshopId: string;
  readonly name: string;
  readonly resumeToken: string;
  readonly joinedAt: number;
  readonly removed: boolean;
}

export interface ResultRow {
  readonly workshopId: string;
  readonly round: number;
  readonly callId: string;
  readonly participantId: string;
  /** The partner's participant id, or null for a bot. */
  readonly partnerId: string | null;
  readonly level: LevelId | null;
  readonly outcome: string;
  readonly goalMet: boolean | null;
  readonly score: number;
  readonly handshakeMs: number | null;
  readonly callMs: number;
  readonly retransmissions: number;
  readonly correctMoves: number;
  readonly wrongMoves: number;
  /** Wrong moves by the step they were made at (ask, answer, confirm, goodbye, ok, other). */
  readonly mistakes: Readonly<Record<string, number>>;
  readonly finishedAt: number;
}

export interface PairingRow {
  readonly workshopId: string;
  readonly round: number;
  readonly callId: string;
  readonly a: string;
  /** Participant id, or null for a bot. */
  readonly b: string | null;
}

/** The default database file, under the project (DB_PATH overrides it). */
export const DEFAULT_DB_PATH = 'data/can-you-hear-me.sqlite';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS workshops (
  id TEXT PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  host_token_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  level TEXT,
  line TEXT NOT NULL,
  teaching INTEGER NOT NULL,
  leaderboard INTEGER NOT NULL,
  prompts TEXT NOT NULL,
  round INTEGER NOT NULL,
  round_open INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS participants (
  id TEXT PRIMARY KEY,
  workshop_id TEXT NOT NULL REFERENCES workshops(id),
  name TEXT NOT NULL,
  resume_token TEXT NOT NULL UNIQUE,
  joined_at INTEGER NOT NULL,
  removed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS participants_by_workshop ON participants(workshop_id);
CREATE TABLE IF NOT EXISTS pairings (
  workshop_id TEXT NOT NULL REFERENCES workshops(id),
  round INTEGER NOT NULL,
  call_id TEXT NOT NULL,
  a TEXT NOT NULL,
  b TEXT,
  PRIMARY KEY (workshop_id, round, call_id)
);
CREATE TABLE IF NOT EXISTS results (
  workshop_id TEXT NOT NULL REFERENCES workshops(id),
  round INTEGER NOT NULL,
  call_id TEXT NOT NULL,
  participant_id TEXT NOT NULL,
  partner_id TEXT,
  level TEXT,
  outcome TEXT NOT NULL,
  goal_met INTEGER,
  score INTEGER NOT NULL,
  handshake_ms INTEGER,
  call_ms INTEGER NOT NULL,
  retransmissions INTEGER NOT NULL,
  correct_moves INTEGER NOT NULL,
  wrong_moves INTEGER NOT NULL,
  mistakes TEXT NOT NULL,
  finished_at INTEGER NOT NULL,
  PRIMARY KEY (call_id, participant_id)
);
CREATE INDEX IF NOT EXISTS results_by_workshop ON results(workshop_id);
`;

type Row = Record<string, unknown>;

export class Store {
  private readonly db: Database.Database;

  /** `path` ':memory:' keeps everything in memory (tests that need no restart). */
  constructor(path: string = DEFAULT_DB_PATH) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  createWorkshop(w: WorkshopRow): void {
    this.db
      .prepare(
        `INSERT INTO workshops (id, code, title, host_token_hash, created_at, level, line, teaching, leaderboard, prompts, round, round_open)
         VALUES (@id, @code, @title, @hostTokenHash, @createdAt, @level, @line, @teaching, @leaderboard, @prompts, @round, @roundOpen)`,
      )
      .run({ ...w, teaching: Number(w.teaching), leaderboard: Number(w.leaderboard), prompts: JSON.stringify(w.prompts), roundOpen: Number(w.roundOpen) });
  }

  updateWorkshop(id: string, fields: Partial<Pick<WorkshopRow, 'level' | 'line' | 'teaching' | 'leaderboard' | 'prompts' | 'round' | 'roundOpen'>>): void {
    const columns: Record<string, unknown> = {};
    if (fields.level !== undefined) columns.level = fields.level;
    if (fields.line !== undefined) columns.line = fields.line;
    if (fields.teaching !== undefined) columns.teaching = Number(fields.teaching);
    if (fields.leaderboard !== undefined) columns.leaderboard = Number(fields.leaderboard);
    if (fields.prompts !== undefined) columns.prompts = JSON.stringify(fields.prompts);
    if (fields.round !== undefined) columns.round = fields.round;
    if (fields.roundOpen !== undefined) columns.round_open = Number(fields.roundOpen);
    const names = Object.keys(columns);
    if (names.length === 0) return;
    this.db.prepare(`UPDATE workshops SET ${names.map((n) => `${n} = @${n}`).join(', ')} WHERE id = @id`).run({ ...columns, id });
  }

  /** End every round marked open (their calls did not survive a restart). */
  closeOpenRounds(): void {
    this.db.prepare('UPDATE workshops SET round_open = 0 WHERE round_open = 1').run();
  }

  workshopByCode(code: string): WorkshopRow | null {
    const row = this.db.prepare('SELECT * FROM workshops WHERE code = ?').get(code) as Row | undefined;
    return row === undefined ? null : workshopFrom(row);
  }

  workshopById(id: string): WorkshopRow | null {
    const row = this.db.prepare('SELECT * FROM workshops WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? null : workshopFrom(row);
  }

  addParticipant(p: ParticipantRow): void {
    this.db
      .prepare('INSERT INTO participants (id, workshop_id, name, resume_token, joined_at, removed) VALUES (@id, @workshopId, @name, @resumeToken, @joinedAt, @removed)')
      .run({ ...p, removed: Number(p.removed) });
  }

  updateParticipant(id: string, fields: { name?: string; removed?: boolean }): void {
    if (fields.name !== undefined) this.db.prepare('UPDATE participants SET name = ? WHERE id = ?').run(fields.name, id);
    if (fields.removed !== undefined) this.db.prepare('UPDATE participants SET removed = ? WHERE id = ?').run(Number(fields.removed), id);
  }

  participantByToken(token: string): ParticipantRow | null {
    const row = this.db.prepare('SELECT * FROM participants WHERE resume_token = ?').get(token) as Row | undefined;
    return row === undefined ? null : participantFrom(row);
  }

  participants(workshopId: string): ParticipantRow[] {
    return (this.db.prepare('SELECT * FROM participants WHERE workshop_id = ? ORDER BY joined_at, id').all(workshopId) as Row[]).map(participantFrom);
  }

  addPairing(p: PairingRow): void {
    this.db.prepare('INSERT OR REPLACE INTO pairings (workshop_id, round, call_id, a, b) VALUES (@workshopId, @round, @callId, @a, @b)').run(p);
  }

  pairings(workshopId: string): PairingRow[] {
    return (this.db.prepare('SELECT * FROM pairings WHERE workshop_id = ? ORDER BY round').all(workshopId) as Row[]).map((r) => ({
      workshopId: String(r.workshop_id),
      round: Number(r.round),
      callId: String(r.call_id),
      a: String(r.a),
      b: r.b === null ? null : String(r.b),
    }));
  }

  addResult(r: ResultRow): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO results (workshop_id, round, call_id, participant_id, partner_id, level, outcome, goal_met, score, handshake_ms, call_ms,
           retransmissions, correct_moves, wrong_moves, mistakes, finished_at)
         VALUES (@workshopId, @round, @callId, @participantId, @partnerId, @level, @outcome, @goalMet, @score, @handshakeMs, @callMs,
           @retransmissions, @correctMoves, @wrongMoves, @mistakes, @finishedAt)`,
      )
      .run({ ...r, goalMet: r.goalMet === null ? null : Number(r.goalMet), mistakes: JSON.stringify(r.mistakes) });
  }

  results(workshopId: string): ResultRow[] {
    return (this.db.prepare('SELECT * FROM results WHERE workshop_id = ? ORDER BY round, finished_at, participant_id').all(workshopId) as Row[]).map((r) => ({
      workshopId: String(r.workshop_id),
      round: Number(r.round),
      callId: String(r.call_id),
      participantId: String(r.participant_id),
      partnerId: r.partner_id === null ? null : String(r.partner_id),
      level: (r.level ?? null) as LevelId | null,
      outcome: String(r.outcome),
      goalMet: r.goal_met === null ? null : r.goal_met === 1,
      score: Number(r.score),
      handshakeMs: r.handshake_ms === null ? null : Number(r.handshake_ms),
      callMs: Number(r.call_ms),
      retransmissions: Number(r.retransmissions),
      correctMoves: Number(r.correct_moves),
      wrongMoves: Number(r.wrong_moves),
      mistakes: JSON.parse(String(r.mistakes)) as Record<string, number>,
      finishedAt: Number(r.finished_at),
    }));
  }
}

function workshopFrom(r: Row): WorkshopRow {
  return {
    id: String(r.id),
    code: String(r.code),
    title: String(r.title),
    hostTokenHash: String(r.host_token_hash),
    createdAt: Number(r.created_at),
    level: (r.level ?? null) as LevelId | null,
    line: String(r.line) as LineName,
    teaching: r.teaching === 1,
    leaderboard: r.leaderboard === 1,
    prompts: JSON.parse(String(r.prompts)) as string[],
    round: Number(r.round),
    roundOpen: r.round_open === 1,
  };
}

function participantFrom(r: Row): ParticipantRow {
  return {
    id: String(r.id),
    workshopId: String(r.workshop_id),
    name: String(r.name),
    resumeToken: String(r.resume_token),
    joinedAt: Number(r.joined_at),
    removed: r.removed === 1,
  };
}
