// `vigil serve` with its state in PostgreSQL: a real server, the password from store.password_file, kill -9.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { spawnServe } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';

const TOKEN = 'serve-pg-test-token-0123456789';

describe('vigil serve with state: postgres://', () => {
  let server: TestPostgres;
  let dir: string;
  let config: string;
  before(async () => {
    server = await startPostgres();
    const database = await server.createDatabase();
    dir = mkdtempSync(join(tmpdir(), 'vigil-serve-pg-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    writeFileSync(join(dir, 'pg-password'), `${server.password}\n`);
    config = join(dir, 'vigil.yml');
    writeFileSync(
      config,
      [
        'listen: 127.0.0.1:0',
        `state: ${server.url(database)}?sslmode=disable`,
        'store: { flush_interval: 20ms, password_file: pg-password }',
        'api:',
        '  tokens:',
        '    - { name: tester, token_file: token, scopes: [observe, admin] }',
        'defaults: { startup_grace: 0s }',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await server?.cleanup();
  });

  const push = (base: string, subject: string, status: string) =>
    fetch(`${base}/api/v1/subjects/${subject}/checks/probe`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status, message: `${status} now` }),
    });

  it('keeps every acknowledged write across kill -9, and never logs the password', async () => {
    const first = await spawnServe(['--config', config]);
    for (let i = 0; i < 20; i++) assert.equal((await push(first.base, `host-${i}`, i % 2 ? 'crit' : 'ok')).status, 200, first.logs());
    const events = (await (await fetch(`${first.base}/api/v1/events?after=0`)).json()) as { events: { subject: string }[] };
    assert.ok(
      events.events.some((event) => event.subject === 'host-19'),
      'events are read back from PostgreSQL',
    );
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await spawnServe(['--config', config]);
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${second.base}/api/v1/subjects/host-${i}/health`);
      assert.equal(res.status, 200, `host-${i} survived the kill`);
      assert.equal(((await res.json()) as { health: string }).health, i % 2 ? 'unhealthy' : 'healthy');
    }
    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0, second.logs());
    for (const logs of [first.logs(), second.logs()]) assert.ok(!logs.includes(server.password), 'the password stays out of the logs');
  });

  it('refuses, never acknowledges, a write applied while a flush that then failed was in flight', async () => {
    // PostgreSQL flushes asynchronously: write B can be applied in memory while the flush carrying write A is still
    // running. When that flush fails, A and B are both undone; B must then be refused too, even though the next
    // flush (without B) succeeds (B used to get a misleading 404 here, and a batch write could be acknowledged). A
    // trigger holds the first flush in pg_sleep and then fails it, as a lost disk would.
    const database = await server.createDatabase();
    const separate = join(dir, 'in-flight.yml');
    writeFileSync(separate, readFileSync(config, 'utf8').replace(/^state: .*$/m, `state: ${server.url(database)}?sslmode=disable`));
    const served = await spawnServe(['--config', separate]);
    try {
      assert.equal((await push(served.base, 'before', 'ok')).status, 200, served.logs());
      await server.query(database, 'CREATE TABLE public.sabotage (armed boolean NOT NULL)');
      await server.query(database, 'INSERT INTO public.sabotage VALUES (true)');
      await server.query(
        database,
        `CREATE FUNCTION public.fail_held() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF (SELECT armed FROM public.sabotage) THEN PERFORM pg_sleep(3); RAISE EXCEPTION 'could not extend file: No space left on device'; END IF;
           RETURN NEW;
         END $$`,
      );
      const tables = await server.query<{ schema: string; name: string }>(
        database,
        "SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_name = 'subjects' AND table_schema <> 'public'",
      );
      assert.equal(tables.length, 1, 'one subjects table');
      await server.query(
        database,
        `CREATE TRIGGER held BEFORE INSERT OR UPDATE ON "${tables[0]!.schema}".subjects FOR EACH ROW EXECUTE FUNCTION public.fail_held()`,
      );

      const first = push(served.base, 'write-a', 'crit');
      await until(
        async () => (await server.query(database, "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep'")).length > 0,
        'the flush of A is held',
        { timeoutMs: 20_000, intervalMs: 20 },
      );
      const second = push(served.base, 'write-b', 'crit');
      await until(async () => (await fetch(`${served.base}/api/v1/subjects/write-b/health`)).status === 200, 'B is applied in memory', {
        timeoutMs: 20_000,
        intervalMs: 20,
      });
      await server.query(database, 'UPDATE public.sabotage SET armed = false');
      const [a, b] = [await first, await second];
      assert.equal(a.status, 503, 'the write whose flush failed is refused');
      for (const [subject, response] of [
        ['write-a', a],
        ['write-b', b],
      ] as const) {
        const present = (await fetch(`${served.base}/api/v1/subjects/${subject}/health`)).status === 200;
        if (response.ok) assert.ok(present, `${subject} was acknowledged, so it must be there`);
        else assert.ok(!present, `${subject} was refused, so it must have changed nothing`);
      }
      assert.equal(b.status, 503, 'the write undone with the failed flush is refused as well');
      await until(async () => (await push(served.base, 'after', 'ok')).status === 200, 'writes are taken again once the store recovers', {
        timeoutMs: 20_000,
        intervalMs: 20,
      });
    } finally {
      served.child.kill('SIGTERM');
      await served.exited;
    }
  });

  it('fails to start with an operator-facing message when the database is unreachable', async () => {
    const unreachable = join(dir, 'unreachable.yml');
    writeFileSync(unreachable, `listen: 127.0.0.1:0\nstate: postgres://vigil:secret-in-url@127.0.0.1:1/vigil\n`);
    await assert.rejects(spawnServe(['--config', unreachable]), (error: Error) => {
      assert.match(error.message, /cannot reach PostgreSQL state database postgres:\/\/vigil:\*\*\*@127\.0\.0\.1:1\/vigil/);
      assert.ok(!error.message.includes('secret-in-url'));
      return true;
    });
  });
});
