/**
 * The store's contract, one body run against both databases it speaks to: a real SQLite
 * file in a fresh folder, and a real PostgreSQL cluster started for this file (see
 * test/support/postgres.ts). Then what only one of them has: an SQLite file made before
 * migrations existed is upgraded with its data, and a bad DATABASE_URL is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, Store, storeConfigFromEnv, type ParticipantRow, type ResultRow, type StoreConfig, type WorkshopRow } from '../../server/store';
import { postgresBin, startPostgres, type PostgresCluster } from '../support/postgres';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cyhm-store-'));
  dirs.push(dir);
  return dir;
}

async function open(config: StoreConfig): Promise<Store> {
  const store = new Store(config);
  stores.push(store);
  await store.migrate();
  return store;
}

const workshop = (over: Partial<WorkshopRow> = {}): WorkshopRow => ({
  id: 'w1',
  code: 'ABCDEF',
  title: 'Class 5B · 五年级',
  hostTokenHash: 'f'.repeat(64),
  createdAt: 1_764_000_000_123,
  level: 'hello',
  line: 'perfect',
  teaching: false,
  leaderboard: true,
  prompts: ['Cats or dogs?', '今天听到的最好听的声音是什么？'],
  round: 0,
  roundOpen: false,
  ...over,
});

const participant = (id: string, joinedAt: number, over: Partial<ParticipantRow> = {}): ParticipantRow => ({
  id,
  workshopId: 'w1',
  name: `Name ${id}`,
  resumeToken: `token-${id}`,
  joinedAt,
  removed: false,
  ...over,
});

const result = (callId: string, participantId: string, over: Partial<ResultRow> = {}): ResultRow => ({
  workshopId: 'w1',
  round: 1,
  callId,
  participantId,
  partnerId: null,
  level: 'hello',
  outcome: 'polite',
  goalMet: true,
  score: 120,
  handshakeMs: 1_800,
  callMs: 9_000,
  retransmissions: 1,
  correctMoves: 5,
  wrongMoves: 1,
  mistakes: { confirm: 1 },
  finishedAt: 1_764_000_100_000,
  ...over,
});

/** The same contract for each database: `fresh()` gives the config of a new, empty one. */
function contract(fresh: () => Promise<StoreConfig>): void {
  it('applies every migration once, and again is a no-op', async () => {
    const config = await fresh();
    const store = await open(config);
    expect(await store.appliedMigrations()).toEqual(Object.keys(MIGRATIONS));
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const again = await open(config);
    expect(await again.appliedMigrations()).toEqual(Object.keys(MIGRATIONS));
  });

  it('keeps a workshop with every field as it was given, found by code and by id', async () => {
    const store = await open(await fresh());
    await store.createWorkshop(workshop());
    await store.createWorkshop(workshop({ id: 'w2', code: 'GHJKLM', level: null, teaching: true, leaderboard: false, prompts: [], roundOpen: true, round: 7 }));
    expect(await store.workshopByCode('ABCDEF')).toEqual(workshop());
    expect(await store.workshopById('w2')).toEqual(workshop({ id: 'w2', code: 'GHJKLM', level: null, teaching: true, leaderboard: false, prompts: [], roundOpen: true, round: 7 }));
    expect(await store.workshopByCode('ZZZZZZ')).toBeNull();
    expect(await store.workshopById('nope')).toBeNull();
  });

  it('refuses a second workshop with the same code', async () => {
    const store = await open(await fresh());
    await store.createWorkshop(workshop());
    await expect(store.createWorkshop(workshop({ id: 'w2' }))).rejects.toThrow();
    expect(await store.workshopById('w2')).toBeNull();
  });

  it('changes only the fields asked for; closes every open round', async () => {
    const store = await open(await fresh());
    await store.createWorkshop(workshop());
    await store.createWorkshop(workshop({ id: 'w2', code: 'GHJKLM', roundOpen: true, round: 3 }));
    await store.updateWorkshop('w1', { round: 1, roundOpen: true, level: null, line: 'terrible' });
    await store.updateWorkshop('w1', {});
    expect(await store.workshopById('w1')).toEqual(workshop({ round: 1, roundOpen: true, level: null, line: 'terrible' }));
    await store.updateWorkshop('w1', { teaching: true, leaderboard: false, prompts: ['Only one'] });
    expect(await store.workshopById('w1')).toEqual(workshop({ round: 1, roundOpen: true, level: null, line: 'terrible', teaching: true, leaderboard: false, prompts: ['Only one'] }));
    await store.closeOpenRounds();
    expect((await store.workshopById('w1'))?.roundOpen).toBe(false);
    expect(await store.workshopById('w2')).toEqual(workshop({ id: 'w2', code: 'GHJKLM', round: 3, roundOpen: false }));
  });

  it('keeps participants in the order they joined, finds one by resume token, renames and removes', async () => {
    const store = await open(await fresh());
    await store.createWorkshop(workshop());
    await store.createWorkshop(workshop({ id: 'w2', code: 'GHJKLM' }));
    await store.addParticipant(participant('p2', 2_000));
    await store.addParticipant(participant('p1', 1_000));
    await store.addParticipant(participant('p0', 2_000));
    await store.addParticipant(participant('q1', 500, { workshopId: 'w2' }));
    expect((await store.participants('w1')).map((p) => p.id)).toEqual(['p1', 'p0', 'p2']);
    expect(await store.participantByToken('token-p0')).toEqual(participant('p0', 2_000));
    expect(await store.participantByToken('no-such-token')).toBeNull();
    await store.updateParticipant('p0', { name: 'Ada' });
    await store.updateParticipant('p2', { removed: true });
    await store.updateParticipant('p1', {});
    expect(await store.participants('w1')).toEqual([participant('p1', 1_000), participant('p0', 2_000, { name: 'Ada' }), participant('p2', 2_000, { removed: true })]);
    // A resume token is one seat; a participant belongs to a workshop that exists.
    await expect(store.addParticipant(participant('p3', 3_000, { resumeToken: 'token-p1' }))).rejects.toThrow();
    await expect(store.addParticipant(participant('p4', 3_000, { workshopId: 'no-such-workshop' }))).rejects.toThrow();
    expect((await store.participants('w1')).map((p) => p.id)).toEqual(['p1', 'p0', 'p2']);
  });

  it('keeps the pairs of each round; a pair kept again replaces the old one', async () => {
    const store = await open(await fresh());
    await store.createWorkshop(workshop());
    await store.addPairings([]);
    await store.addPairings([
      { workshopId: 'w1', round: 2, callId: 'c3', a: 'p1', b: null },
      { workshopId: 'w1', round: 1, callId: 'c2', a: 'p3', b: 'p4' },
      { workshopId: 'w1', round: 1, callId: 'c1', a: 'p1', b: 'p2' },
    ]);
    await store.addPairings([{ workshopId: 'w1', round: 2, callId: 'c3', a: 'p1', b: 'p5' }]);
    expect(await store.pairings('w1')).toEqual([
      { workshopId: 'w1', round: 1, callId: 'c1', a: 'p1', b: 'p2' },
      { workshopId: 'w1', round: 1, callId: 'c2', a: 'p3', b: 'p4' },
      { workshopId: 'w1', round: 2, callId: 'c3', a: 'p1', b: 'p5' },
    ]);
    expect(await store.pairings('w2')).toEqual([]);
  });

  it('keeps results by round and time; a result kept again replaces the old one', async () => {
    const store = await open(await fresh());
    await store.createWorkshop(workshop());
    const later = result('c2', 'p1', { round: 2, goalMet: false, handshakeMs: null, mistakes: {}, finishedAt: 1_764_000_200_000 });
    const earlier = result('c1', 'p2', { partnerId: 'p1', goalMet: null, level: null });
    await store.addResults([later, earlier, result('c1', 'p1', { partnerId: 'p2', score: 1 })]);
    await store.addResults([result('c1', 'p1', { partnerId: 'p2', score: 99, mistakes: { ask: 2, other: 1 } })]);
    expect(await store.results('w1')).toEqual([
      result('c1', 'p1', { partnerId: 'p2', score: 99, mistakes: { ask: 2, other: 1 } }),
      earlier,
      later,
    ]);
    expect(await store.results('w2')).toEqual([]);
    // All or none: a batch with a result for a workshop that does not exist keeps nothing.
    await expect(store.addResults([result('c9', 'p1'), result('c9', 'p2', { workshopId: 'nope' })])).rejects.toThrow();
    expect((await store.results('w1')).map((r) => r.callId)).not.toContain('c9');
  });

  it('keeps everything across closing and opening again', async () => {
    const config = await fresh();
    const first = await open(config);
    await first.createWorkshop(workshop({ roundOpen: true, round: 2 }));
    await first.addParticipant(participant('p1', 1_000));
    await first.addPairings([{ workshopId: 'w1', round: 2, callId: 'c1', a: 'p1', b: null }]);
    await first.addResults([result('c1', 'p1')]);
    await first.close();
    stores.splice(stores.indexOf(first), 1);
    const second = await open(config);
    expect(await second.workshopByCode('ABCDEF')).toEqual(workshop({ roundOpen: true, round: 2 }));
    expect(await second.participants('w1')).toEqual([participant('p1', 1_000)]);
    expect(await second.pairings('w1')).toHaveLength(1);
    expect(await second.results('w1')).toEqual([result('c1', 'p1')]);
  });
}

describe('the store on an SQLite file', () => {
  contract(async () => ({ kind: 'sqlite', path: join(tempDir(), 'nested', 'workshops.sqlite') }));
});

const pgInstalled = postgresBin() !== null;
describe.skipIf(!pgInstalled)('the store on PostgreSQL', () => {
  let cluster: PostgresCluster | null = null;
  let n = 0;
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 60_000);
  afterAll(() => cluster?.stop());
  contract(async () => ({ kind: 'postgres', url: await cluster!.createDatabase(`store_${++n}`) }));

  it('refuses requests while the database is down, and works again when it is back', async () => {
    const store = await open({ kind: 'postgres', url: await cluster!.createDatabase(`store_${++n}`) });
    await store.createWorkshop(workshop());
    const late = new Store({ kind: 'postgres', url: await cluster!.createDatabase(`store_${++n}`) });
    stores.push(late);
    cluster!.pause();
    try {
      await expect(store.workshopByCode('ABCDEF')).rejects.toThrow();
      await expect(late.migrate()).rejects.toThrow(/workshop storage: migrations failed/);
    } finally {
      cluster!.resume();
    }
    expect(await store.workshopByCode('ABCDEF')).toEqual(workshop());
    // A failed migration is tried again.
    await late.migrate();
    expect(await late.appliedMigrations()).toEqual(Object.keys(MIGRATIONS));
  }, 60_000);
});

/** The schema SQLite files were made with before the store had migrations, word for word. */
const SCHEMA_BEFORE_MIGRATIONS = `
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

describe('an SQLite file made before migrations', () => {
  it('is upgraded in place with every row kept, and takes new rows', async () => {
    const path = join(tempDir(), 'old.sqlite');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(SCHEMA_BEFORE_MIGRATIONS);
    // Rows as the old code wrote them (flags 0/1, JSON text).
    old.prepare(`INSERT INTO workshops VALUES ('w1', 'ABCDEF', 'Class 5B · 五年级', '${'f'.repeat(64)}', 1764000000123, 'hello', 'perfect', 0, 1, ?, 2, 1)`).run(
      JSON.stringify(workshop().prompts),
    );
    old.prepare("INSERT INTO participants VALUES ('p1', 'w1', 'Name p1', 'token-p1', 1000, 0), ('p2', 'w1', 'Name p2', 'token-p2', 2000, 1)").run();
    old.prepare("INSERT INTO pairings VALUES ('w1', 1, 'c1', 'p1', 'p2'), ('w1', 2, 'c2', 'p1', NULL)").run();
    old.prepare(
      `INSERT INTO results VALUES ('w1', 1, 'c1', 'p1', 'p2', 'hello', 'polite', 1, 120, 1800, 9000, 1, 5, 1, '{"confirm":1}', 1764000100000)`,
    ).run();
    old.close();

    const store = await open({ kind: 'sqlite', path });
    expect(await store.appliedMigrations()).toEqual(Object.keys(MIGRATIONS));
    expect(await store.workshopByCode('ABCDEF')).toEqual(workshop({ round: 2, roundOpen: true }));
    expect(await store.participants('w1')).toEqual([participant('p1', 1_000), participant('p2', 2_000, { removed: true })]);
    expect(await store.participantByToken('token-p2')).toEqual(participant('p2', 2_000, { removed: true }));
    expect(await store.pairings('w1')).toEqual([
      { workshopId: 'w1', round: 1, callId: 'c1', a: 'p1', b: 'p2' },
      { workshopId: 'w1', round: 2, callId: 'c2', a: 'p1', b: null },
    ]);
    expect(await store.results('w1')).toEqual([result('c1', 'p1', { partnerId: 'p2' })]);
    // The old tables take new rows through the new layer, and their constraints still hold.
    await store.addParticipant(participant('p3', 3_000));
    await store.addResults([result('c2', 'p1', { round: 2 })]);
    await expect(store.addParticipant(participant('p4', 4_000, { resumeToken: 'token-p1' }))).rejects.toThrow();
    await store.closeOpenRounds();
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const file = new Database(path, { readonly: true });
    expect(file.prepare('SELECT COUNT(*) AS n FROM participants').get()).toEqual({ n: 3 });
    expect(file.prepare('SELECT COUNT(*) AS n FROM results').get()).toEqual({ n: 2 });
    expect(file.prepare('SELECT round_open FROM workshops').get()).toEqual({ round_open: 0 });
    file.close();
  });
});

describe('choosing the store from the environment', () => {
  it.each([
    [{}, { kind: 'sqlite', path: 'data/default.sqlite' }],
    [{ DATABASE_URL: '' }, { kind: 'sqlite', path: 'data/default.sqlite' }],
    [{ DB_PATH: '/var/lib/cyhm/w.sqlite' }, { kind: 'sqlite', path: '/var/lib/cyhm/w.sqlite' }],
    [{ DATABASE_URL: 'postgres://game:secret@db.example:5432/cyhm', DB_PATH: 'ignored' }, { kind: 'postgres', url: 'postgres://game:secret@db.example:5432/cyhm' }],
    [{ DATABASE_URL: 'postgresql://localhost/cyhm' }, { kind: 'postgres', url: 'postgresql://localhost/cyhm' }],
  ])('%j ⇒ %j', (env, config) => {
    expect(storeConfigFromEnv(env, 'data/default.sqlite')).toEqual(config);
  });

  it.each(['mysql://root@localhost/cyhm', 'sqlite:///tmp/x.sqlite', 'not a url'])('refuses DATABASE_URL=%s with a clear message', (url) => {
    expect(() => storeConfigFromEnv({ DATABASE_URL: url }, 'x')).toThrow(/DATABASE_URL/);
    try {
      storeConfigFromEnv({ DATABASE_URL: url }, 'x');
    } catch (error) {
      expect((error as { code?: string }).code).toBe('store/bad-config');
    }
  });
});
