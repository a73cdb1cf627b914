// `vigil serve` with its state in PostgreSQL: a real server, the password from store.password_file, kill -9.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { spawnServe } from '../helpers/serve-process.js';

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
    assert.ok(events.events.some((event) => event.subject === 'host-19'), 'events are read back from PostgreSQL');
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
