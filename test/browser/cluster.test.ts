/**
 * The game page against two real servers on one real Redis (server/main.ts as `npm start`
 * runs it, serving the test build): a player's page on server 2 joins a friend's call made
 * on server 1, and server 1 dies (SIGKILL). The page's next move hears that its seat is
 * gone: it says so, goes back to the lobby with a new seat, and can play again at once.
 * Real time: the servers run on their own clocks.
 */
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../client/src/i18n/en';
import { TEST_CLIENT_DIR } from '../support/build-client';
import { launchChromium, type GameSnapshot, type PageGlobal } from '../support/browser';
import { startMain, type MainProcess } from '../support/process';
import { redisInstalled, startRedis, type RedisServer } from '../support/redis';
import { TestClient, waitForMessage } from '../support/server';

describe.skipIf(!redisInstalled())('the page on two servers', () => {
  let redis: RedisServer;
  let browser: Browser;
  const nodes: MainProcess[] = [];
  const clients: TestClient[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    for (const id of ['p1', 'p2']) nodes.push(await startMain({ REDIS_URL: redis.url, NODE_ID: id, CLIENT_DIR: TEST_CLIENT_DIR, DB_PATH: ':memory:', DATABASE_URL: '' }));
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await browser?.close();
    for (const n of nodes) if (n.proc.exitCode === null) n.proc.kill('SIGKILL');
    await redis?.stop();
  });

  it('a seat lost with its server: the page says so, goes back to the lobby with a new seat, and plays on', async () => {
    // A friend, on server 1, makes a private call.
    const friend = await TestClient.connect(nodes[0]!.url);
    clients.push(friend);
    friend.send('hello', { name: 'Friend', lang: 'en' });
    await waitForMessage(friend, 'welcome');
    friend.send('call:create', { line: 'perfect' });
    const { code } = await waitForMessage(friend, 'call:created');

    // Alice's page, on server 2, joins it by code: her seat moves to server 1.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const snapshot = (): Promise<GameSnapshot | null> => page.evaluate(() => (globalThis as unknown as PageGlobal).__game?.snapshot() ?? null);
    await page.goto(`${nodes[1]!.url}/?join=${code}`);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobal).__game?.snapshot().screen === 'call', undefined, { timeout: 15_000 });
    const before = await snapshot();
    expect(before?.states).toEqual({ a: 'LISTEN', b: 'LISTEN' });

    // Server 1 dies. Once its lease has run out, Alice's next move finds her seat gone.
    nodes[0]!.proc.kill('SIGKILL');
    const watcher = new Redis(redis.url);
    try {
      for (let tries = 0; (await watcher.exists('cyhm:node:p1')) === 1; tries++) {
        if (tries > 100) throw new Error('server 1 still holds its lease');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      watcher.disconnect();
    }
    await page.locator('#act-hangup').click();
    await page.locator('#toast').filter({ hasText: en.errors['session/lost'] }).waitFor();
    await page.waitForFunction(() => (globalThis as unknown as PageGlobal).__game?.snapshot().screen === 'lobby');
    await page.locator('#quick:enabled').waitFor();
    await page.screenshot({ path: 'test-results/screenshots/cluster-01-alice-seat-lost.png' });

    // A new seat, on server 2: practice with the bot works at once.
    await page.locator('#practice').click();
    await page.waitForFunction(() => (globalThis as unknown as PageGlobal).__game?.snapshot().screen === 'call', undefined, { timeout: 10_000 });
    const errors = await page.evaluate(() => (globalThis as unknown as PageGlobal).__game?.errors() ?? []);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
