import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { ClowderImportError, importClowder, importClowderCommand } from '../../src/import/clowder.js';

// Clowder's own config.yml (clowder-framework/healthmonitor), with its commented notifiers switched on.
const CLOWDER = `
notifiers:
  console:
    report: always
    threshold: 0
  email:
    report: change
    threshold: 3
    to:
      - admin@example.com
  slack:
    report: failure
    threshold: 0
    webhook: https://hooks.slack.com/services/some/secret/code
    channel: alerts
    user: Bob
    tags:
      server: foobar
  msteams:
    report: failure
    threshold: 600
    webhook: https://XYZ.webhook.office.com/webhookb2/id/IncomingWebhook/more/secret
  influxdb:
    report: always
    threshold: 0
    hostname: localhost
    username: admin
    password: admin
    database: clowder
  rabbitmq:
    report: always
    uri: "http://localhost:5672/%2F"
checks:
  download:
    clowder:
      url: "https://localhost/api/files/5fad53bfe4b00dcab417b69c/blob"
      headers:
        X-Api-Key: "some-secret-uuid"
        Accept: "application/json"
  filewrite:
    tmp:
      file: /tmp/testfile
  ping:
    localhost:
      host: 127.0.0.1
      count: 5
      timeout: 30
      sleep: 60
      loss: 99
    google:
      host: 8.8.8.8
      count: "5"
      timeout: "30"
      sleep: "60"
  hostport:
    mongo:
      host: localhost
      port: 27017
      sleep: 60
    clowder:
      host: localhost
      port: "9000"
      sleep: "30"
      timeout: "5"
  random:
    dice:
      mark: 0.5
`;

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the converted config loads with vigil's own loader and keeps every convertible check", async () => {
  const text = importClowder(CLOWDER);
  const loaded = await parseConfig(text, { file: 'converted.yml', baseDir: dir, env: { CLOWDER_CLOWDER_DOWNLOAD_X_API_KEY: 'from-env' } });
  const targets = loaded.config.targets;
  assert.deepEqual(
    targets.map((target) => [target.name, target.type, target.subject ?? target.name, target.interval, target.timeout]),
    [
      ['clowder-download', 'download', 'clowder', 60_000, 10_000],
      ['tmp', 'filewrite', 'tmp', 60_000, 10_000],
      ['localhost', 'ping', 'localhost', 60_000, 10_000],
      ['google', 'ping', 'google', 60_000, 10_000],
      ['mongo', 'hostport', 'mongo', 60_000, 30_000],
      ['clowder-hostport', 'hostport', 'clowder', 30_000, 5_000],
    ],
  );
  const download = targets[0];
  assert.equal(download?.type === 'download' && download.headers?.['X-Api-Key'], 'from-env');
  const ping = targets[2];
  assert.equal(ping?.type === 'ping' && ping.max_loss_ratio, 0.8, 'loss 99% of 5 packets: all 5 lost, i.e. above 4/5');
  assert.equal(targets[1]?.type === 'filewrite' && targets[1].directory, '/tmp');
});

test("notifiers become receivers and policies with Clowder's report/threshold semantics, minus its bugs", async () => {
  const loaded = await parseConfig(importClowder(CLOWDER), { file: 'c.yml', baseDir: dir, env: { CLOWDER_CLOWDER_DOWNLOAD_X_API_KEY: 'x' } });
  const alerting = loaded.raw.alerting as { receivers: Record<string, unknown>; policies: Record<string, unknown>[] };
  assert.deepEqual(Object.keys(alerting.receivers), ['email', 'slack', 'msteams']);
  const byName = Object.fromEntries(alerting.policies.map((policy) => [policy.name, policy]));
  assert.deepEqual([byName['clowder-email']?.notify, byName['clowder-email']?.threshold, byName['clowder-email']?.recovery], ['change', 3, 3]);
  assert.deepEqual([byName['clowder-slack']?.notify, byName['clowder-slack']?.threshold], ['failure', 1]); // threshold 0 means 1
  assert.deepEqual([byName['clowder-msteams']?.notify, byName['clowder-msteams']?.threshold], ['failure', 600]);
  assert.deepEqual(byName['clowder-email']?.match, { kind: 'target' });
  // a host that is down notifies: runs that do not reach it count like crit results, with each notifier's threshold
  for (const name of ['clowder-email', 'clowder-slack', 'clowder-msteams']) assert.deepEqual(byName[name]?.on, ['crit', 'unreachable'], name);
  assert.equal((loaded.raw.alerting as { default_receiver?: string }).default_receiver, 'email', 'built-in alerts are sent too');
});

test('no secret from the Clowder file reaches the output; each gets a comment saying where it goes', () => {
  const text = importClowder(CLOWDER);
  for (const secret of ['some-secret-uuid', 'hooks.slack.com', 'webhook.office.com', 'password', 'admin@localhost']) {
    assert.ok(!text.includes(secret), `output contains ${secret}`);
  }
  assert.match(text, /Accept: application\/json/); // not a secret-looking header: kept as written
  assert.match(text, /# Set CLOWDER_CLOWDER_DOWNLOAD_X_API_KEY to the value of header X-Api-Key/);
  assert.match(text, /slack-webhook-url on the Alertmanager host/);
});

test('everything without an equivalent is named in a comment', () => {
  const text = importClowder(CLOWDER);
  for (const expected of [
    /# checks\.random\.dice: no equivalent/,
    /# notifiers\.console: no equivalent/,
    /# notifiers\.influxdb: no equivalent; scrape vigil's \/metrics/,
    /# notifiers\.rabbitmq: no equivalent/,
    /# notifiers\.slack\.tags: no equivalent/,
    /# notifiers\.slack: Clowder's report: failure notified only the first outage/,
    /# Clowder read partial loss as 0%/,
    new RegExp(
      /# A refused connection fails the check as in Clowder; a timeout, DNS failure or no route is an unreachable run, /.source +
        /which the policies below count too/.source,
    ),
  ]) {
    assert.match(text, expected);
  }
});

test('report: always maps to notify: always; unknown check types are commented, not dropped silently', () => {
  const text = importClowder(
    'notifiers:\n  slack:\n    report: always\n    webhook: x\n' +
      'checks:\n  dns:\n    a:\n      host: b\n  hostport:\n    h:\n      host: h\n      port: 1\n',
  );
  assert.match(text, /notify: always/);
  assert.doesNotMatch(text, /threshold/);
  assert.doesNotMatch(text, /^\s+on:/m, 'notify: always sends every result; on does not apply');
  assert.match(text, /default_receiver: slack/);
  assert.match(text, /# checks\.dns\.a: unknown Clowder check type "dns"/);
});

test('bad input is a clear error; the command exits 2 and writes nothing to stdout', async () => {
  assert.throws(() => importClowder('checks: [unclosed'), ClowderImportError);
  assert.throws(() => importClowder('- a list'), /expected a mapping/);
  const stderr: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => stderr.push(chunk) > 0) as typeof process.stderr.write;
  try {
    assert.equal(await importClowderCommand(path.join(dir, 'missing.yml')), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.match(stderr.join(''), /cannot read .*missing\.yml: ENOENT/);
  const file = path.join(dir, 'clowder.yml');
  writeFileSync(file, CLOWDER);
  const stdout: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => stdout.push(chunk) > 0) as typeof process.stdout.write;
  try {
    assert.equal(await importClowderCommand(file), 0);
  } finally {
    process.stdout.write = out;
  }
  assert.match(stdout.join(''), /^# vigil config converted from a Clowder healthmonitor config/);
});
