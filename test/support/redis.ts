/**
 * A real Redis for tests, run as a child of the test: Debian's `redis-server` on 127.0.0.1
 * and a spare port, nothing saved to disk, stopped when the test is done. Never the
 * system's service.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { sparePort } from './ports';

/** Is redis-server installed? */
export function redisInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stop it (SIGKILL: as if it crashed) and wait until it is gone. */
  stop(): Promise<void>;
  /** Start it again on the same port, empty (a restart loses what it held, nothing is saved). */
  restart(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await sparePort();
  let child: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      proc.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${out}`));
      });
    });
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc === null || proc.exitCode !== null) return;
    proc.kill('SIGKILL');
    await once(proc, 'exit');
  };
  process.once('exit', () => (child as ChildProcess | null)?.kill('SIGKILL'));
  await launch();
  return { port, url: `redis://127.0.0.1:${port}`, stop, restart: launch };
}
