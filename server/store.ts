/**
 * Workshop storage: one query layer (Kysely) over two databases. By default an embedded
 * SQLite file (better-sqlite3), nothing to install or start; with `DATABASE_URL` set to a
 * `postgres://` address, a PostgreSQL database shared by every server that points at it.
 * Workshops, their participants, the pairs of each round and every finished call's result
 * survive a restart, even a SIGKILL: every write is committed before its promise resolves.
 * The host's secret is kept only as a hash.
 *
 * Both databases get the same tables from the same migrations (`MIGRATIONS`, run by
 * Kysely's Migrator when the store opens). The columns are the ones SQLite had before
 * migrations existed, so a file made then is adopted as it is: flags are integers 0/1,
 * times are milliseconds since 1970 (bigint), lists and maps are JSON text.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
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

/** Where workshops are kept: an SQLite file (or ':memory:'), or a PostgreSQL database. */
export type StoreConfig = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string };

/** A configuration that cannot work (a DATABASE_URL that is not PostgreSQL's): a clear message, at start. */
export class StoreConfigError extends Error {
  readonly code = 'store/bad-config';
}

/**
 * The store the environment asks for: `DATABASE_URL=postgres://…` (or `postgresql://…`)
 * ⇒ PostgreSQL; unset or empty ⇒ the SQLite file at `DB_PATH`, else `defaultPath`.
 *
 * @example
 * storeConfigFromEnv({ DATABASE_URL: 'postgres://game@db/cyhm' }, 'data/x.sqlite') // { kind: 'postgres', url: … }
 */
export function storeConfigFromEnv(env: Readonly<Record<string, string | undefined>>, defaultPath: string): StoreConfig {
  const url = env.DATABASE_URL?.trim() ?? '';
  if (url === '') return { kind: 'sqlite', path: env.DB_PATH?.trim() || defaultPath };
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new StoreConfigError('DATABASE_URL is not a URL; expected postgres://user:password@host:port/database');
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new StoreConfigError(`DATABASE_URL must be a PostgreSQL address (postgres://…), not ${protocol}//…; leave it unset to keep workshops in an SQLite file (DB_PATH)`);
  }
  return { kind: 'postgres', url };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The tables as Kysely sees them. PostgreSQL hands bigint columns back as strings: read them with Number(). */
interface WorkshopsTable {
  id: string;
  code: string;
  title: string;
  host_token_hash: string;
  created_at: number | string;
  level: string | null;
  line: string;
  teaching: number;
  leaderboard: number;
  prompts: string;
  round: number;
  round_open: number;
}
interface ParticipantsTable {
  id: string;
  workshop_id: string;
  name: string;
  resume_token: string;
  joined_at: number | string;
  removed: number;
}
interface PairingsTable {
  workshop_id: string;
  round: number;
  call_id: string;
  a: string;
  b: string | null;
}
interface ResultsTable {
  workshop_id: string;
  round: number;
  call_id: string;
  participant_id: string;
  partner_id: string | null;
  level: string | null;
  outcome: string;
  goal_met: number | null;
  score: number;
  handshake_ms: number | null;
  call_ms: number | string;
  retransmissions: number;
  correct_moves: number;
  wrong_moves: number;
  mistakes: string;
  finished_at: number | string;
}
interface Tables {
  workshops: WorkshopsTable;
  participants: ParticipantsTable;
  pairings: PairingsTable;
  results: ResultsTable;
}

/**
 * Every migration, in order, for both databases. Never edit one that has shipped: add the
 * next. The first is the schema SQLite files had before migrations existed (every statement
 * "if not exists"), so such a file is adopted with its data.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-workshops': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('workshops')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('code', 'text', (c) => c.notNull().unique())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('host_token_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('level', 'text')
        .addColumn('line', 'text', (c) => c.notNull())
        .addColumn('teaching', 'integer', (c) => c.notNull())
        .addColumn('leaderboard', 'integer', (c) => c.notNull())
        .addColumn('prompts', 'text', (c) => c.notNull())
        .addColumn('round', 'integer', (c) => c.notNull())
        .addColumn('round_open', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('participants')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workshop_id', 'text', (c) => c.notNull().references('workshops.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('resume_token', 'text', (c) => c.notNull().unique())
        .addColumn('joined_at', 'bigint', (c) => c.notNull())
        .addColumn('removed', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('participants_by_workshop').ifNotExists().on('participants').column('workshop_id').execute();
      await db.schema
        .createTable('pairings')
        .ifNotExists()
        .addColumn('workshop_id', 'text', (c) => c.notNull().references('workshops.id'))
        .addColumn('round', 'integer', (c) => c.notNull())
        .addColumn('call_id', 'text', (c) => c.notNull())
        .addColumn('a', 'text', (c) => c.notNull())
        .addColumn('b', 'text')
        .addPrimaryKeyConstraint('pairings_pkey', ['workshop_id', 'round', 'call_id'])
        .execute();
      await db.schema
        .createTable('results')
        .ifNotExists()
        .addColumn('workshop_id', 'text', (c) => c.notNull().references('workshops.id'))
        .addColumn('round', 'integer', (c) => c.notNull())
        .addColumn('call_id', 'text', (c) => c.notNull())
        .addColumn('participant_id', 'text', (c) => c.notNull())
        .addColumn('partner_id', 'text')
        .addColumn('level', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('goal_met', 'integer')
        .addColumn('score', 'integer', (c) => c.notNull())
        .addColumn('handshake_ms', 'integer')
        .addColumn('call_ms', 'bigint', (c) => c.notNull())
        .addColumn('retransmissions', 'integer', (c) => c.notNull())
        .addColumn('correct_moves', 'integer', (c) => c.notNull())
        .addColumn('wrong_moves', 'integer', (c) => c.notNull())
        .addColumn('mistakes', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('results_pkey', ['call_id', 'participant_id'])
        .execute();
      await db.schema.createIndex('results_by_workshop').ifNotExists().on('results').column('workshop_id').execute();
    },
  },
};

const migrationProvider: MigrationProvider = { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) };

export class Store {
  readonly kind: StoreConfig['kind'];
  private readonly db: Kysely<Tables>;
  private migrated: Promise<void> | null = null;

  /**
   * Connects lazily: nothing is read or written until `migrate()` (which every server runs
   * before it listens). `path` ':memory:' keeps everything in memory (tests that need no restart).
   */
  constructor(config: StoreConfig = { kind: 'sqlite', path: DEFAULT_DB_PATH }, onIdleError: (error: Error) => void = () => {}) {
    this.kind = config.kind;
    if (config.kind === 'sqlite') {
      if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
      const file = new Database(config.path);
      file.pragma('journal_mode = WAL');
      file.pragma('synchronous = NORMAL');
      file.pragma('foreign_keys = ON');
      this.db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: file }) });
    } else {
      const pool = new pg.Pool({ connectionString: config.url, max: 10, connectionTimeoutMillis: 5_000 });
      // A connection the database dropped (a restart, a failover) emits 'error': unheard, that
      // would end the process. An idle one is reported by the pool; one in use also rejects
      // its query, which is how the caller hears of it. The next query opens a new connection.
      pool.on('error', onIdleError);
      pool.on('connect', (client) => client.on('error', () => {}));
      this.db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
    }
  }

  /** Bring the schema up to date (once per store; again is a no-op). Rejects if the database cannot be reached; may then be tried again. */
  migrate(): Promise<void> {
    this.migrated ??= (async () => {
      const { error, results } = await new Migrator({ db: this.db, provider: migrationProvider }).migrateToLatest();
      if (error !== undefined) {
        const failed = results?.find((r) => r.status === 'Error')?.migrationName;
        throw new Error(`workshop storage: ${failed === undefined ? 'migrations' : `migration ${failed}`} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    })().catch((error: unknown) => {
      this.migrated = null;
      throw error;
    });
    return this.migrated;
  }

  /** The migrations applied so far, oldest first. */
  async appliedMigrations(): Promise<string[]> {
    const all = await new Migrator({ db: this.db, provider: migrationProvider }).getMigrations();
    return all.filter((m) => m.executedAt !== undefined).map((m) => m.name);
  }

  /** Can the database answer now? A trivial query, given up after `timeoutMs`. */
  async reachable(timeoutMs = 1_000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([sql`select 1`.execute(this.db).then(() => true, () => false), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Close the file or the pool; waits for queries already sent. */
  close(): Promise<void> {
    return this.db.destroy();
  }

  async createWorkshop(w: WorkshopRow): Promise<void> {
    await this.db
      .insertInto('workshops')
      .values({
        id: w.id,
        code: w.code,
        title: w.title,
        host_token_hash: w.hostTokenHash,
        created_at: w.createdAt,
        level: w.level,
        line: w.line,
        teaching: Number(w.teaching),
        leaderboard: Number(w.leaderboard),
        prompts: JSON.stringify(w.prompts),
        round: w.round,
        round_open: Number(w.roundOpen),
      })
      .execute();
  }

  async updateWorkshop(id: string, fields: Partial<Pick<WorkshopRow, 'level' | 'line' | 'teaching' | 'leaderboard' | 'prompts' | 'round' | 'roundOpen'>>): Promise<void> {
    const columns: Partial<Pick<WorkshopsTable, 'level' | 'line' | 'teaching' | 'leaderboard' | 'prompts' | 'round' | 'round_open'>> = {};
    if (fields.level !== undefined) columns.level = fields.level;
    if (fields.line !== undefined) columns.line = fields.line;
    if (fields.teaching !== undefined) columns.teaching = Number(fields.teaching);
    if (fields.leaderboard !== undefined) columns.leaderboard = Number(fields.leaderboard);
    if (fields.prompts !== undefined) columns.prompts = JSON.stringify(fields.prompts);
    if (fields.round !== undefined) columns.round = fields.round;
    if (fields.roundOpen !== undefined) columns.round_open = Number(fields.roundOpen);
    if (Object.keys(columns).length === 0) return;
    await this.db.updateTable('workshops').set(columns).where('id', '=', id).execute();
  }

  /** End every round marked open (their calls did not survive a restart). */
  async closeOpenRounds(): Promise<void> {
    await this.db.updateTable('workshops').set({ round_open: 0 }).where('round_open', '=', 1).execute();
  }

  async workshopByCode(code: string): Promise<WorkshopRow | null> {
    const row = await this.db.selectFrom('workshops').selectAll().where('code', '=', code).executeTakeFirst();
    return row === undefined ? null : workshopFrom(row);
  }

  async workshopById(id: string): Promise<WorkshopRow | null> {
    const row = await this.db.selectFrom('workshops').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : workshopFrom(row);
  }

  async addParticipant(p: ParticipantRow): Promise<void> {
    await this.db
      .insertInto('participants')
      .values({ id: p.id, workshop_id: p.workshopId, name: p.name, resume_token: p.resumeToken, joined_at: p.joinedAt, removed: Number(p.removed) })
      .execute();
  }

  async updateParticipant(id: string, fields: { name?: string; removed?: boolean }): Promise<void> {
    const columns: Partial<Pick<ParticipantsTable, 'name' | 'removed'>> = {};
    if (fields.name !== undefined) columns.name = fields.name;
    if (fields.removed !== undefined) columns.removed = Number(fields.removed);
    if (Object.keys(columns).length === 0) return;
    await this.db.updateTable('participants').set(columns).where('id', '=', id).execute();
  }

  async participantByToken(token: string): Promise<ParticipantRow | null> {
    const row = await this.db.selectFrom('participants').selectAll().where('resume_token', '=', token).executeTakeFirst();
    return row === undefined ? null : participantFrom(row);
  }

  async participants(workshopId: string): Promise<ParticipantRow[]> {
    const rows = await this.db.selectFrom('participants').selectAll().where('workshop_id', '=', workshopId).orderBy('joined_at').orderBy('id').execute();
    return rows.map(participantFrom);
  }

  /** Keep the pairs of a round (a pair kept again replaces the old one), all or none. */
  async addPairings(pairs: readonly PairingRow[]): Promise<void> {
    if (pairs.length === 0) return;
    await this.db
      .insertInto('pairings')
      .values(pairs.map((p) => ({ workshop_id: p.workshopId, round: p.round, call_id: p.callId, a: p.a, b: p.b })))
      .onConflict((oc) => oc.columns(['workshop_id', 'round', 'call_id']).doUpdateSet((eb) => ({ a: eb.ref('excluded.a'), b: eb.ref('excluded.b') })))
      .execute();
  }

  async pairings(workshopId: string): Promise<PairingRow[]> {
    const rows = await this.db.selectFrom('pairings').selectAll().where('workshop_id', '=', workshopId).orderBy('round').orderBy('call_id').execute();
    return rows.map((r) => ({ workshopId: r.workshop_id, round: Number(r.round), callId: r.call_id, a: r.a, b: r.b }));
  }

  /** Keep finished calls' results (a result kept again replaces the old one), all or none. */
  async addResults(results: readonly ResultRow[]): Promise<void> {
    if (results.length === 0) return;
    await this.db
      .insertInto('results')
      .values(
        results.map((r) => ({
          workshop_id: r.workshopId,
          round: r.round,
          call_id: r.callId,
          participant_id: r.participantId,
          partner_id: r.partnerId,
          level: r.level,
          outcome: r.outcome,
          goal_met: r.goalMet === null ? null : Number(r.goalMet),
          score: r.score,
          handshake_ms: r.handshakeMs,
          call_ms: r.callMs,
          retransmissions: r.retransmissions,
          correct_moves: r.correctMoves,
          wrong_moves: r.wrongMoves,
          mistakes: JSON.stringify(r.mistakes),
          finished_at: r.finishedAt,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['call_id', 'participant_id']).doUpdateSet((eb) => ({
          workshop_id: eb.ref('excluded.workshop_id'),
          round: eb.ref('excluded.round'),
          partner_id: eb.ref('excluded.partner_id'),
          level: eb.ref('excluded.level'),
          outcome: eb.ref('excluded.outcome'),
          goal_met: eb.ref('excluded.goal_met'),
          score: eb.ref('excluded.score'),
          handshake_ms: eb.ref('excluded.handshake_ms'),
          call_ms: eb.ref('excluded.call_ms'),
          retransmissions: eb.ref('excluded.retransmissions'),
          correct_moves: eb.ref('excluded.correct_moves'),
          wrong_moves: eb.ref('excluded.wrong_moves'),
          mistakes: eb.ref('excluded.mistakes'),
          finished_at: eb.ref('excluded.finished_at'),
        })),
      )
      .execute();
  }

  async results(workshopId: string): Promise<ResultRow[]> {
    const rows = await this.db
      .selectFrom('results')
      .selectAll()
      .where('workshop_id', '=', workshopId)
      .orderBy('round')
      .orderBy('finished_at')
      .orderBy('participant_id')
      .execute();
    return rows.map((r) => ({
      workshopId: r.workshop_id,
      round: Number(r.round),
      callId: r.call_id,
      participantId: r.participant_id,
      partnerId: r.partner_id,
      level: r.level as LevelId | null,
      outcome: r.outcome,
      goalMet: r.goal_met === null ? null : Number(r.goal_met) === 1,
      score: Number(r.score),
      handshakeMs: r.handshake_ms === null ? null : Number(r.handshake_ms),
      callMs: Number(r.call_ms),
      retransmissions: Number(r.retransmissions),
      correctMoves: Number(r.correct_moves),
      wrongMoves: Number(r.wrong_moves),
      mistakes: JSON.parse(r.mistakes) as Record<string, number>,
      finishedAt: Number(r.finished_at),
    }));
  }
}

function workshopFrom(r: WorkshopsTable): WorkshopRow {
  return {
    id: r.id,
    code: r.code,
    title: r.title,
    hostTokenHash: r.host_token_hash,
    createdAt: Number(r.created_at),
    level: r.level as LevelId | null,
    line: r.line as LineName,
    teaching: Number(r.teaching) === 1,
    leaderboard: Number(r.leaderboard) === 1,
    prompts: JSON.parse(r.prompts) as string[],
    round: Number(r.round),
    roundOpen: Number(r.round_open) === 1,
  };
}

function participantFrom(r: ParticipantsTable): ParticipantRow {
  return {
    id: r.id,
    workshopId: r.workshop_id,
    name: r.name,
    resumeToken: r.resume_token,
    joinedAt: Number(r.joined_at),
    removed: Number(r.removed) === 1,
  };
}
