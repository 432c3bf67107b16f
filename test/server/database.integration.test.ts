/**
 * The server and its workshop database, with the real parts: server/main.ts as `npm start`
 * runs it, told where to keep workshops by its environment, and a PostgreSQL cluster this
 * file starts (test/support/postgres.ts). A configuration that cannot work stops the start
 * with a clear message; a database that goes away refuses workshop requests with
 * `workshop/unavailable` (nothing crashes) and is used again when it is back; the pool is
 * closed with the server.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../server/store';
import type { Reply } from '../../shared/wire';
import { postgresBin, startPostgres, type PostgresCluster } from '../support/postgres';
import { startServer, TestClient, type TestServer } from '../support/server';

/** Run server/main.ts until it exits (or prints its address: then stop it); its exit code and output. */
async function runMain(env: Record<string, string>): Promise<{ code: number | null; started: boolean; output: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let started = false;
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk: string) => (output += chunk));
  proc.stdout.on('data', (chunk: string) => {
    output += chunk;
    if (!started && /"port":\d+/.test(output)) {
      started = true;
      proc.kill('SIGTERM');
    }
  });
  const [code] = (await once(proc, 'exit')) as [number | null];
  return { code, started, output };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('starting with a database that cannot work', () => {
  it.each(['mysql://root@127.0.0.1/cyhm', 'not a url'])('refuses DATABASE_URL=%s with a clear message and exit code 1', async (url) => {
    const run = await runMain({ DATABASE_URL: url });
    expect(run.started).toBe(false);
    expect(run.code).toBe(1);
    expect(run.output).toContain('store/bad-config');
    expect(run.output).toMatch(/DATABASE_URL (must be a PostgreSQL address|is not a URL)/);
  }, 30_000);

  it('stops with a clear message, and exit code 1, when PostgreSQL cannot be reached', async () => {
    const run = await runMain({ DATABASE_URL: `postgres://postgres:secret-word@127.0.0.1:${await closedPort()}/cyhm` });
    expect(run.started).toBe(false);
    expect(run.code).toBe(1);
    expect(run.output).toContain('cannot open the workshop database');
    // The password never reaches the log.
    expect(run.output).not.toContain('secret-word');
  }, 30_000);
});

describe.skipIf(postgresBin() === null)('the server with PostgreSQL', () => {
  let cluster: PostgresCluster | null = null;
  let n = 0;
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  const fresh = async (): Promise<string> => {
    cluster ??= await startPostgres();
    return cluster.createDatabase(`server_${++n}`);
  };
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.close();
  });
  afterAll(() => cluster?.stop());

  it('starts with DATABASE_URL set (npm start), and stops cleanly on SIGTERM', async () => {
    const run = await runMain({ DATABASE_URL: await fresh() });
    expect(run.started).toBe(true);
    expect(run.output).toContain('"store":"postgres"');
    expect(run.output).toContain('"server closed"');
    expect(run.output).not.toMatch(/"level":(50|60)/);
    expect(run.code).toBe(0);
  }, 60_000);

  it('refuses workshop requests while the database is down, with workshop/unavailable, and serves them again when it is back', async () => {
    const srv = await startServer({ store: new Store({ kind: 'postgres', url: await fresh() }) });
    servers.push(srv);
    const host = await TestClient.connect(srv.url);
    clients.push(host);
    host.send('hello', { name: 'Teacher', lang: 'en' });
    await host.next('welcome');
    const ask = (event: 'workshop:create' | 'call:join', payload: object) => new Promise<Reply>((resolve) => host.sendRaw(event, payload, resolve));
    const created = await ask('workshop:create', { title: 'Before' });
    expect(created).toMatchObject({ ok: true, event: 'workshop:created' });

    cluster!.pause();
    try {
      expect(await ask('workshop:create', { title: 'During' })).toMatchObject({ ok: false, error: { code: 'workshop/unavailable', event: 'workshop:create' } });
      expect(await ask('call:join', { code: 'ABCDEF' })).toMatchObject({ ok: false, error: { code: 'workshop/unavailable', event: 'call:join' } });
      if (!created.ok || created.event !== 'workshop:created') throw new Error('no workshop');
      const exported = await fetch(`${srv.url}/api/workshops/${created.payload.code}/results.csv`, { headers: { authorization: `Bearer ${created.payload.hostToken}` } });
      expect(exported.status).toBe(503);
      expect(await exported.json()).toEqual({ code: 'workshop/unavailable' });
      // The rest of the game goes on: a practice call needs no database.
      const practice = await new Promise<Reply>((resolve) => host.sendRaw('call:practice', { line: 'perfect' }, resolve));
      expect(practice).toMatchObject({ ok: true, event: 'call:started' });
      const health = await fetch(`${srv.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', database: { kind: 'postgres', reachable: false } });
    } finally {
      cluster!.resume();
    }
    await new Promise<Reply>((resolve) => host.sendRaw('call:leave', {}, resolve));
    expect(await (await fetch(`${srv.url}/healthz`)).json()).toMatchObject({ database: { kind: 'postgres', reachable: true } });
    const after = await ask('workshop:create', { title: 'After' });
    expect(after).toMatchObject({ ok: true, event: 'workshop:created' });
    if (!created.ok || created.event !== 'workshop:created') throw new Error('no workshop');
    const exported = await fetch(`${srv.url}/api/workshops/${created.payload.code}/results.json`, { headers: { authorization: `Bearer ${created.payload.hostToken}` } });
    expect(exported.status).toBe(200);
  }, 60_000);

  it('closes the pool with the server', async () => {
    const store = new Store({ kind: 'postgres', url: await fresh() });
    const srv = await startServer({ store });
    await srv.close();
    await expect(store.workshopByCode('ABCDEF')).rejects.toThrow(/destroyed/);
  }, 60_000);
});
