// The practable: config section (defaults, secrets, errors with positions) and `vigil import practable-env`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse, problemAt, refused, tempDir, yaml } from '../../config/helpers.js';
import { importPractableEnv } from '../../../src/import/practable-env.js';

const CLI = fileURLToPath(new URL('../../../src/cli.js', import.meta.url));

const section = (...extra: string[]) =>
  yaml(
    'practable:',
    '  relay: { url: "https://app.practable.io/ed0/access/", secret_file: relay.secret }',
    '  jump: { url: "https://app.practable.io/ed0/jump", secret: "${JUMP_SECRET}" }',
    '  book: { url: "https://app.practable.io/ed0/book", secret_file: book.secret }',
    ...extra,
  );

test('practable config: urls, secrets from files and ${ENV}, defaults in milliseconds', async () => {
  const dir = tempDir({ 'relay.secret': 'r-secret\n', 'book.secret': 'b-secret' });
  const { config } = await parse(section(), { JUMP_SECRET: 'j-secret' }, dir);
  assert.deepEqual(config.practable, {
    relay: { url: 'https://app.practable.io/ed0/access', secret: 'r-secret' },
    jump: { url: 'https://app.practable.io/ed0/jump', secret: 'j-secret' },
    book: {
      url: 'https://app.practable.io/ed0/book',
      secret: 'b-secret',
      audience: 'https://app.practable.io/ed0/book',
      timeout: 5_000,
      setAvailability: false,
    },
    healthLastActive: 10_000,
    healthLastChecked: 10_000,
    queryBookEvery: 900_000,
    reconnectEvery: 86_400_000,
  });
  const tuned = await parse(section('  health_last_active: 5m', '  startup_grace: 10m', '  reconnect_every: 24h'), { JUMP_SECRET: 'j' }, dir);
  assert.equal(tuned.config.practable!.healthLastActive, 300_000);
  assert.equal(tuned.config.practable!.startupGrace, 600_000);
});

test('practable config errors name file, line, column and key path', async () => {
  const dir = tempDir({ 'relay.secret': 'r', 'book.secret': 'b' });
  const error = await refused(
    yaml(
      'practable:',
      '  relay: { url: "https://user:pw@relay/ed0/access", secret_file: relay.secret }',
      '  jump: { url: "ftp://jump/ed0/jump", secret: x, secret_file: relay.secret }',
      '  book: { url: "https://book/ed0/book", secret_file: book.secret, timeout: 0 }',
      '  health_last_active: 10',
      '  bogus: 1',
    ),
    {},
    dir,
  );
  assert.match(problemAt(error, 'practable.relay.url').message, /no credentials/);
  assert.equal(problemAt(error, 'practable.relay.url').line, 2);
  assert.match(problemAt(error, 'practable.jump.url').message, /http or https/);
  assert.match(problemAt(error, 'practable.jump').message, /exactly one of secret or secret_file/);
  assert.match(problemAt(error, 'practable.book.timeout').message, /longer than 0/);
  assert.match(problemAt(error, 'practable.health_last_active').message, /needs a unit/);
  assert.ok(
    error.problems.some((p) => /bogus/.test(p.message) || p.path.includes('bogus')),
    error.message,
  );
  assert.doesNotMatch(error.message, /pw@/, 'no credential echoed');
});

const ED0_ENV = {
  STATUS_HOST_BOOK: 'app.practable.io',
  STATUS_HOST_JUMP: 'app.practable.io',
  STATUS_HOST_RELAY: 'app.practable.io',
  STATUS_BASEPATH_BOOK: '/ed0/book',
  STATUS_BASEPATH_JUMP: '/ed0/jump/',
  STATUS_BASEPATH_RELAY: '/ed0/access',
  STATUS_SECRET_BOOK: 'book-secret-value',
  STATUS_SECRET_JUMP: 'jump-secret-value',
  STATUS_SECRET_RELAY: 'relay-secret-value',
  STATUS_HEALTH_LAST_ACTIVE: '5m',
  STATUS_HEALTH_LAST_CHECKED: '5m0s',
  STATUS_HEALTH_STARTUP: '10m',
  STATUS_QUERY_BOOK_EVERY: '1h',
  STATUS_RECONNECT_RELAY_EVERY: '24h',
  STATUS_RECONNECT_JUMP_EVERY: '12h',
  STATUS_EMAIL_FROM: 'status@example.org',
  STATUS_EMAIL_HOST: 'smtp.example.org',
  STATUS_EMAIL_TO: 'ops@example.org  lab@example.org',
  STATUS_EMAIL_AUTH_TYPE: 'plain',
  STATUS_EMAIL_PASSWORD: 'smtp-password-value',
  STATUS_LOG_LEVEL: 'panic',
};

test('import practable-env: the ed0 deployment becomes a config vigil accepts, with no secret in it', async () => {
  const text = importPractableEnv(ED0_ENV);
  for (const secret of ['book-secret-value', 'jump-secret-value', 'relay-secret-value', 'smtp-password-value'])
    assert.ok(!text.includes(secret), secret);
  const dir = tempDir();
  const { config, raw } = await parse(text, { STATUS_SECRET_BOOK: 'b', STATUS_SECRET_JUMP: 'j', STATUS_SECRET_RELAY: 'r' }, dir);
  const practable = config.practable!;
  assert.equal(practable.relay.url, 'https://app.practable.io/ed0/access');
  assert.equal(practable.jump.url, 'https://app.practable.io/ed0/jump', 'path.Join drops the trailing slash');
  assert.equal(practable.book.url, 'https://app.practable.io/ed0/book');
  assert.equal(practable.book.audience, 'https://app.practable.io/ed0/book');
  assert.equal(practable.relay.secret, 'r');
  assert.equal(practable.healthLastActive, 300_000);
  assert.equal(practable.healthLastChecked, 300_000);
  assert.equal(practable.startupGrace, 600_000);
  assert.equal(practable.reconnectEvery, 12 * 3_600_000, 'the shorter reconnect period');
  assert.equal(practable.book.setAvailability, true);
  assert.equal(config.logLevel, 'fatal');
  assert.deepEqual(
    raw.alerting?.receivers['practable-mail']?.email?.to,
    ['ops@example.org', 'lab@example.org'],
    'whitespace-separated, as viper splits',
  );
  // streams (crit) and the jump (warn) notify both ways; relay/jump connections (VigilSourceDown) reach the same mail
  assert.deepEqual(
    raw.alerting?.policies.map((policy) => [policy.name, policy.on, policy.notify, policy.receiver]),
    [['labs', ['crit', 'warn'], 'change', 'practable-mail']],
  );
  assert.equal(raw.alerting?.default_receiver, 'practable-mail');
  const commas = await parse(
    importPractableEnv({ ...ED0_ENV, STATUS_EMAIL_TO: 'ops@example.org,lab@example.org', STATUS_EMAIL_CC: 'boss@example.org, it@example.org' }),
    { STATUS_SECRET_BOOK: 'b', STATUS_SECRET_JUMP: 'j', STATUS_SECRET_RELAY: 'r' },
    dir,
  );
  assert.deepEqual(
    commas.raw.alerting?.receivers['practable-mail']?.email?.to,
    ['ops@example.org', 'lab@example.org', 'boss@example.org', 'it@example.org'],
    'comma-separated, as practable writes them',
  );
  assert.match(text, /differ: vigil has one reconnect_every/);
});

test('import practable-env: default base path "/" keeps book\'s unnormalised audience; missing required vars exit 2', () => {
  const text = importPractableEnv({ ...ED0_ENV, STATUS_BASEPATH_BOOK: '', STATUS_EMAIL_FROM: '' });
  assert.match(text, /url: https:\/\/app\.practable\.io\n/);
  assert.match(text, /audience: https:\/\/app\.practable\.io\//);
  assert.match(text, /incomplete/);
  const run = spawnSync(process.execPath, [CLI, 'import', 'practable-env'], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], STATUS_HOST_BOOK: 'x' },
    timeout: 30_000,
  });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /STATUS_HOST_JUMP/);
  assert.equal(run.stdout, '');
  const ok = spawnSync(process.execPath, [CLI, 'import', 'practable-env'], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], ...ED0_ENV },
    timeout: 30_000,
  });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^practable:$/m);
});
