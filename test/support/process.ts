/**
 * The real entry point as `npm start` runs it (without the build): `server/main.ts` in a
 * child process on 127.0.0.1 and port 0, with the environment given; resolves once it has
 * logged its address. Every one started is killed when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface MainProcess {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Everything it logged so far (JSON lines, and stderr chunks). */
  readonly lines: string[];
}

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of started) if (proc.exitCode === null) proc.kill('SIGKILL');
});

export function startMain(env: Record<string, string>): Promise<MainProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(proc);
  proc.once('exit', () => started.delete(proc));
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${lines.join('\n')}`)), 20_000);
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => lines.push(chunk));
    proc.stdout?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lines.push(line);
        let port: number | undefined;
        try {
          port = (JSON.parse(line) as { port?: number }).port;
        } catch {
          continue;
        }
        if (port !== undefined) {
          clearTimeout(timer);
          resolve({ proc, port, url: `http://127.0.0.1:${port}`, lines });
        }
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${lines.join('\n')}`));
    });
  });
}
