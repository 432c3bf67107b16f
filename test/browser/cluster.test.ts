/**
 * The game page against two real servers on one real Redis (server/main.ts as `npm start`
 * runs it, serving the test build): a player's page on server 2 joins a friend's call made
 * on server 1, and server 1 dies (SIGKILL). Server 2 carries the call on: the page keeps
 * the same call, says the friend lost the connection, and says they are back when the
 * friend's connection resumes on server 2; the call plays on to its end. Real time: the
 * servers run on their own clocks.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('the server running the call dies: the page keeps the call, the friend resumes on the other server, and they play on', async () => {
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

    // Server 1 dies. Server 2 takes the call over: Alice's page keeps it, and hears that her friend's connection went.
    const welcome = friend.all('welcome')[0]!;
    nodes[0]!.proc.kill('SIGKILL');
    await page.locator('#log').filter({ hasText: 'Friend lost the connection.' }).waitFor({ timeout: 15_000 });
    expect((await snapshot())?.screen).toBe('call');
    await page.screenshot({ path: 'test-results/screenshots/cluster-01-call-carried-on.png' });
    // The friend's connection lands on server 2 and resumes with its token: the same call.
    const back = await TestClient.connect(nodes[1]!.url);
    clients.push(back);
    back.send('hello', { name: 'Friend', lang: 'en', resumeToken: welcome.resumeToken });
    expect(await waitForMessage(back, 'welcome')).toMatchObject({ playerId: welcome.playerId, resumed: true });
    const resumed = await waitForMessage(back, 'call:started');
    await page.locator('#log').filter({ hasText: 'Friend is back.' }).waitFor();
    // Alice asks; her friend, now on server 2, sees her SYN and hangs up; the page shows the end.
    await page.locator('#act-ask').click();
    await waitForMessage(back, 'call:update', (u) => u.callId === resumed.callId && u.view.b.state === 'SYN_SENT');
    back.send('call:action', { action: 'hang-up' });
    await page.waitForFunction(() => (globalThis as unknown as PageGlobal).__game?.snapshot().screen === 'end', undefined, { timeout: 15_000 });
    await page.screenshot({ path: 'test-results/screenshots/cluster-02-call-ended-on-server-2.png' });
    const errors = await page.evaluate(() => (globalThis as unknown as PageGlobal).__game?.errors() ?? []);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
