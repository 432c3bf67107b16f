/**
 * The child processes of a benchmark (servers and load generators): each a TypeScript
 * file under bench/ forked with tsx and --expose-gc, every one killed on the way out
 * whatever the way (exit, a signal, an error, the global timeout); and the request/answer
 * channel to a server child over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerMessage } from './support';

export interface BenchChildren {
  /** Fork bench/<file> with these arguments and extra Node flags. */
  spawnChild(file: string, args?: string[], extraExecArgv?: string[]): ChildProcess;
  /**
   * Fork a load generator: like spawnChild, but at the lowest CPU priority (nice 19), so the
   * server under test gets a core whenever it wants one, as it would if the load came from
   * other machines. Both servers of a comparison meet the same load this way.
   */
  spawnLoad(file: string, args?: string[]): ChildProcess;
  /** Wait up to `ms` for a child to exit, then kill it. */
  stopChild(child: ChildProcess, ms: number): Promise<void>;
  killAll(): void;
}

/**
 * Take charge of this process's children: `name` prefixes the messages, `timeoutS` is the
 * global timeout, `stage()` says what was going on when something went wrong.
 */
export function benchChildren(name: string, timeoutS: number, stage: () => string): BenchChildren {
  const children = new Set<ChildProcess>();
  const killAll = (): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\n${name}: ${signal} during ${stage()}; stopping every child`);
      killAll();
      process.exit(130);
    });
  }
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (error) => {
      console.error(`${name}: failed:`, error);
      killAll();
      process.exit(1);
    });
  }
  setTimeout(() => {
    console.error(`\n${name}: global timeout of ${timeoutS} s reached during ${stage()}; aborting (raise it with --timeout)`);
    killAll();
    process.exit(2);
  }, timeoutS * 1000).unref();

  const start = (file: string, args: string[], execArgv: string[], nice: boolean): ChildProcess => {
    const flags = ['--import', 'tsx', '--expose-gc', ...execArgv];
    // `nice` runs node in its place (the same process id), so every thread has the lower priority.
    const child = fork(fileURLToPath(new URL(file, import.meta.url)), args, {
      ...(nice ? { execPath: 'nice', execArgv: ['-n', '19', process.execPath, ...flags] } : { execArgv: flags }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };

  return {
    spawnChild: (file, args = [], extraExecArgv = []) => start(file, args, extraExecArgv, false),
    spawnLoad: (file, args = []) => start(file, args, [], true),
    stopChild(child, ms) {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, ms);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    killAll,
  };
}

/** A server child (bench/server-node.ts, bench/bare-node.ts): asked for metrics and reports, answered over IPC. */
export class ServerChild {
  private nextId = 1;
  private readonly waiting = new Map<number, (body: unknown) => void>();

  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
  ) {
    proc.on('message', (m: ServerMessage) => {
      if (m.type !== 'answer') return;
      this.waiting.get(m.id)?.(m.body);
      this.waiting.delete(m.id);
    });
  }

  /** Resolves once the child says it listens. */
  static start(proc: ChildProcess): Promise<ServerChild> {
    return new Promise((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`a server child exited (${code}) before it was ready`)));
      proc.on('message', (m: ServerMessage) => {
        if (m.type === 'ready') resolve(new ServerChild(proc, m.port));
      });
    });
  }

  ask<T>(type: 'metrics' | 'reset' | 'report' | 'close', timeoutMs = 10_000, extra: Record<string, unknown> = {}): Promise<T> {
    return this.askWith<T>({ ...extra, type }, timeoutMs);
  }

  askWith<T>(message: { type: string; [k: string]: unknown }, timeoutMs = 10_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`server child did not answer '${message.type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (body) => {
        clearTimeout(timer);
        resolve(body as T);
      });
      this.proc.send({ ...message, id });
    });
  }
}
