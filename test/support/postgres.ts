/**
 * A real PostgreSQL for tests, run as a child of the test: `initdb` into a fresh temporary
 * folder, `pg_ctl start` on 127.0.0.1 and a spare port (its socket in the same folder), and
 * stopped and deleted afterwards. Never the system's service. As root (CI containers),
 * the server runs as the unprivileged `nobody` through `runuser`, since PostgreSQL refuses
 * to run as root. Finds the binaries under /usr/lib/postgresql/<version>/bin (Debian's
 * `postgresql` package), or in PG_BIN.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sparePort } from './ports';

/** Where PostgreSQL's programs are, or null if it is not installed. */
export function postgresBin(): string | null {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv !== undefined && existsSync(join(fromEnv, 'pg_ctl'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((x, y) => Number(y) - Number(x));
  return versions[0] === undefined ? null : join(root, versions[0], 'bin');
}

export interface PostgresCluster {
  readonly port: number;
  /** A new, empty database on the cluster; its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stop the server at once (no goodbye to clients) and delete its folder. */
  stop(): void;
  /** Stop the server, keeping its files, and start it again (for outage tests). */
  pause(): void;
  resume(): void;
}

/** Start a cluster; throws if PostgreSQL is not installed. */
export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBin();
  if (bin === null) throw new Error('PostgreSQL is not installed (Debian: apt-get install postgresql), or set PG_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'cyhm-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // Owned by nobody, who runs the server; the folder must be reachable by it.
    chmodSync(dir, 0o700);
    chownSync(dir, 65534, 65534);
  }
  const run = (program: string, args: readonly string[]): void => {
    const command = asRoot ? 'runuser' : join(bin, program);
    const argv = asRoot ? ['-u', 'nobody', '--', join(bin, program), ...args] : [...args];
    execFileSync(command, argv, { stdio: 'pipe', cwd: dir });
  };
  const port = await sparePort();
  const start = (): void => {
    try {
      run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`, 'start']);
    } catch (error) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2_000) : '';
      throw new Error(`PostgreSQL did not start: ${String(error)}\n${tail}`);
    }
  };
  const stopServer = (): void => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already stopped.
    }
  };
  // trust: only this test's processes can reach a port on 127.0.0.1 for its short life.
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  start();
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    stopServer();
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that ends without its afterAll still takes its cluster with it.
  process.once('exit', stop);
  return {
    port,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop() {
      process.off('exit', stop);
      stop();
    },
    pause: stopServer,
    resume: start,
  };
}
