// Starts a throwaway PostgreSQL server for tests: Debian's own binaries, `initdb` into a temporary directory and
// `pg_ctl` on a free loopback port, run as the `postgres` user when we are root (the server refuses to run as root).
// A missing server is an error naming the package to install, never a skip.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
export const POSTGRES_BIN = process.env['VIGIL_TEST_PG_BIN'] ?? '/usr/lib/postgresql/15/bin';
const SUPERUSER = 'postgres';

export interface TestPostgres {
  /** Superuser password (scram-sha-256 authentication is on, as on a real server). */
  password: string;
  port: number;
  /** URL of `database` without the password. */
  url(database: string): string;
  /** A fresh, empty database; returns its name. */
  createDatabase(): Promise<string>;
  /** Runs SQL as the superuser in `database`. */
  query<R extends pg.QueryResultRow>(database: string, sql: string, params?: unknown[]): Promise<R[]>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the stopped server again on the same port and data directory. */
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

/** Runs a PostgreSQL binary as the postgres user (as root) or as ourselves (otherwise). */
async function asPostgres(binary: string, args: string[]): Promise<void> {
  const command = join(POSTGRES_BIN, binary);
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  try {
    await run(file, argv, { timeout: 60_000 });
  } catch (error) {
    const details = error instanceof Error && 'stderr' in error ? String(error.stderr) : String(error);
    throw new Error(`${binary} ${args.join(' ')} failed: ${details}`);
  }
}

export async function startPostgres(): Promise<TestPostgres> {
  if (!existsSync(join(POSTGRES_BIN, 'initdb')) || !existsSync(join(POSTGRES_BIN, 'pg_ctl'))) {
    throw new Error(`PostgreSQL server binaries not found in ${POSTGRES_BIN}; install them with: apt-get install postgresql`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
  const data = join(dir, 'data');
  const password = `test-${process.pid}-${Date.now()}`;
  writeFileSync(join(dir, 'pw'), `${password}\n`);
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
      throw new Error('user postgres not found; install the server with: apt-get install postgresql');
    });
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    chownSync(join(dir, 'pw'), Number(stdout.trim()), Number(gid.trim()));
  }
  await asPostgres('initdb', [
    '-D',
    data,
    '-U',
    SUPERUSER,
    '--auth=scram-sha-256',
    `--pwfile=${join(dir, 'pw')}`,
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  const port = await freePort();
  const start = () =>
    asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir}`, 'start']);
  await start();

  const url = (database: string) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  const query = async <R extends pg.QueryResultRow>(database: string, sql: string, params: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${database}` });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  let databases = 0;
  let running = true;
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (!running) return;
    running = false;
    await asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  };
  return {
    password,
    port,
    url,
    query,
    async createDatabase() {
      const name = `vigil_test_${++databases}`;
      await query('postgres', `CREATE DATABASE ${name}`);
      return name;
    },
    stop,
    async start() {
      if (running) return;
      await start();
      running = true;
    },
    async cleanup() {
      await stop('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
