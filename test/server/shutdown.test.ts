/**
 * The real entry point, as `npm start` runs it (without the build): it listens on PORT,
 * answers /healthz, and on SIGTERM refuses anything new at once (server/closing), tells
 * connected players, and exits within seconds.
 * A real-time test, because shutting a process down is a real-time concern.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ClientEventName, Reply } from '../../shared/wire';
import { startMain } from '../support/process';
import { TestClient } from '../support/server';

let child: ChildProcess | null = null;
afterEach(() => {
  if (child !== null && child.exitCode === null) child.kill('SIGKILL');
  child = null;
});

const dataDir = mkdtempSync(join(tmpdir(), 'cyhm-shutdown-'));
const dbPath = join(dataDir, 'game.sqlite');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function start(): Promise<{ proc: ChildProcess; port: number; lines: string[] }> {
  const main = await startMain({ DB_PATH: dbPath, DATABASE_URL: '' });
  child = main.proc;
  return main;
}

describe('server/main.ts', () => {
  it('serves /healthz, then on SIGTERM takes no one new, warns players and exits cleanly within a few seconds', async () => {
    const { proc, port, lines } = await start();
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { status: string; players: number };
    expect(health.status).toBe('ok');

    const url = `http://127.0.0.1:${port}`;
    const client = await TestClient.connect(url);
    client.send('hello', { name: 'Ada', lang: 'en' });
    await client.next('welcome');
    client.send('call:practice', { line: 'perfect' });
    await client.next('call:started');
    const idle = await TestClient.connect(url);
    idle.send('hello', { name: 'Idris', lang: 'en' });
    await idle.next('welcome');
    const host = await TestClient.connect(url);
    host.send('hello', { name: 'Hope', lang: 'en' });
    await host.next('welcome');
    host.send('call:create', {});
    const { code: privateCode } = await host.next('call:created');

    const startedAt = Date.now();
    proc.kill('SIGTERM');
    await client.next('server:closing', () => true, 5_000);

    // During the notice, the server takes nobody and nothing new.
    const ask = (c: TestClient, event: ClientEventName, payload: unknown) => new Promise<Reply>((resolve) => c.sendRaw(event, payload, resolve));
    for (const [event, payload] of [
      ['call:practice', {}],
      ['queue:join', {}],
      ['call:create', {}],
      ['workshop:create', { title: 'Too late' }],
      ['call:join', { code: privateCode }],
    ] as const) {
      expect(await ask(idle, event, payload), event).toMatchObject({ ok: false, error: { code: 'server/closing', event } });
    }
    const newcomer = await TestClient.connect(url);
    newcomer.send('hello', { name: 'Nat', lang: 'en' });
    expect(await newcomer.next('error')).toMatchObject({ code: 'server/closing', event: 'hello' });
    expect(newcomer.all('welcome')).toEqual([]);
    expect((await fetch(`${url}/healthz`)).status).toBe(503);

    const ended = await client.next('call:ended', () => true, 5_000);
    expect(ended.summary.outcome).toBe('server-closing');
    const [code] = (await once(proc, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(lines.some((l) => l.includes('"call started"'))).toBe(true);
    expect(lines.some((l) => l.includes('"call ended"') && l.includes('server-closing'))).toBe(true);
    // Only the one call that was on before SIGTERM ever started, and no workshop was kept.
    expect(lines.filter((l) => l.includes('"call started"'))).toHaveLength(1);
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM workshops').get()).toEqual({ n: 0 });
    db.close();
    for (const c of [client, idle, host, newcomer]) c.close();
  }, 30_000);
});
