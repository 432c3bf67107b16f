/**
 * The real entry point, as `npm start` runs it (without the build): it listens on PORT,
 * answers /healthz, and on SIGTERM tells connected players and exits within seconds.
 * A real-time test, because shutting a process down is a real-time concern.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from '../support/server';

let child: ChildProcess | null = null;
afterEach(() => {
  if (child !== null && child.exitCode === null) child.kill('SIGKILL');
  child = null;
});

function start(): Promise<{ proc: ChildProcess; port: number; lines: string[] }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${lines.join('\n')}`)), 15_000);
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lines.push(line);
        const port = (JSON.parse(line) as { port?: number }).port;
        if (port !== undefined) {
          clearTimeout(timer);
          resolve({ proc, port, lines });
        }
      }
    });
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}: ${lines.join('\n')}`)));
  });
}

describe('server/main.ts', () => {
  it('serves /healthz, then on SIGTERM warns players and exits cleanly within a few seconds', async () => {
    const { proc, port, lines } = await start();
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { status: string; players: number };
    expect(health.status).toBe('ok');

    const client = await TestClient.connect(`http://127.0.0.1:${port}`);
    client.send('hello', { name: 'Ada', lang: 'en' });
    await client.next('welcome');
    client.send('call:practice', { line: 'perfect' });
    await client.next('call:started');

    const startedAt = Date.now();
    proc.kill('SIGTERM');
    await client.next('server:closing', () => true, 5_000);
    const ended = await client.next('call:ended', () => true, 5_000);
    expect(ended.summary.outcome).toBe('server-closing');
    const [code] = (await once(proc, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(lines.some((l) => l.includes('"call started"'))).toBe(true);
    expect(lines.some((l) => l.includes('"call ended"') && l.includes('server-closing'))).toBe(true);
    client.close();
  }, 30_000);
});
