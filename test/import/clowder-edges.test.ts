// `vigil import clowder` at the edges real Clowder configs have, each through the public path: Clowder YAML →
// importer → vigil's own config loader (and, for e-mail, the generated Alertmanager configuration checked by amtool).
//
// Fixtures written from clowder-framework/healthmonitor @559efed:
// - notifiers/email.py: the docstring's `from: "user <email>"` form, `to` a list, `username`/`password` documented
//   but never read (no SMTP auth);
// - checks/download.py: `verify = config.get('ssl', "true").lower() in ('yes', 'true', 't', 'y', '1')`;
// - checks/ping.py: `ping -c count`, success when `loss < float(config.get('loss', 99))`;
// - checks/monitor.py: `sleep`; `threshold`/`report` are read in notifiers/notifier.py only.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { generate, generateInputFromRaw, loadTemplates } from '../../src/generate/index.js';
import type { RawGenerateConfig } from '../../src/generate/input.js';
import { importClowder } from '../../src/import/clowder.js';
import { assertToolSucceeds, writeFiles } from '../generate/helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-import-edges-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const load = (text: string) => parseConfig(text, { file: 'converted.yml', baseDir: dir, env: {} });

/** The comment lines of the converted config. */
const comments = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => line.trimStart().startsWith('#'))
    .map((line) => line.trim().replace(/^#\s?/, ''));

test("e-mail addresses with display names pass through the importer, vigil's config and Alertmanager", async () => {
  const text = importClowder(`
notifiers:
  email:
    report: change
    server: smtp.example.com:587
    from: "hm <hm@example.com>"
    to:
      - "Ops team <ops@example.com>"
      - '"Doe, Jane" <jane@example.com>'
      - admin@example.com
checks:
  hostport:
    web:
      host: www.example.com
      port: 443
`);
  assert.doesNotMatch(text, /not an e-mail address/);
  const loaded = await load(text);
  const email = loaded.config.alerting?.receivers['email']?.email;
  assert.equal(email?.from, 'hm <hm@example.com>');
  assert.deepEqual(email?.to, ['Ops team <ops@example.com>', '"Doe, Jane" <jane@example.com>', 'admin@example.com']);

  // Alertmanager (Debian's amtool) accepts the generated receiver.
  const input = generateInputFromRaw(parse(text) as RawGenerateConfig, '0.0.0-test', loadTemplates());
  const out = mkdtempSync(path.join(dir, 'am-'));
  writeFiles(out, generate(input, { format: 'prometheus' }));
  const am = parse(String(generate(input, { format: 'prometheus' }).get('rules/alertmanager.yml'))) as {
    receivers: { name: string; email_configs?: { from: string; to: string }[] }[];
  };
  const receiver = am.receivers.find((r) => r.email_configs)!;
  assert.equal(receiver.email_configs![0]!.from, 'hm <hm@example.com>');
  assert.equal(receiver.email_configs![0]!.to, 'Ops team <ops@example.com>, "Doe, Jane" <jane@example.com>, admin@example.com');
  assert.match(assertToolSucceeds('amtool', ['check-config', 'alertmanager.yml'], path.join(out, 'rules')), /SUCCESS/);

  // vigil's own config: a display name is fine, a broken address is refused with its key path.
  const own = (from: string) =>
    'alerting:\n  receivers:\n' +
    `    mail: { email: { to: "Ops <ops@example.org>", from: ${JSON.stringify(from)}, smarthost: "smtp.example.org:587" } }\n` +
    '  policies:\n    - { name: all, match: {}, notify: failure, receiver: mail }\n';
  assert.equal((await load(own('vigil <vigil@example.org>'))).config.alerting?.receivers['mail']?.email?.from, 'vigil <vigil@example.org>');
  await assert.rejects(
    load(own('vigil <not an address>')),
    (error: unknown) =>
      error instanceof ConfigError && /alerting\.receivers\.mail\.email\.from/.test(error.message) && /display name/.test(error.message),
  );
});

test("ssl is read with Clowder's truthiness: yes, true, t, y, 1 verify; anything else does not", async () => {
  const verifyFor = async (ssl: string): Promise<boolean> => {
    const text = importClowder(`checks:\n  download:\n    site:\n      url: https://files.example.com/blob\n      ssl: ${JSON.stringify(ssl)}\n`);
    const [target] = (await load(text)).config.targets;
    return !(target?.type === 'download' && target.insecure_skip_verify === true);
  };
  for (const ssl of ['yes', 'true', 't', 'y', '1', 'TRUE', 'Yes', 'T']) assert.equal(await verifyFor(ssl), true, `ssl: ${ssl} verifies`);
  for (const ssl of ['no', 'false', 'off', '0', 'on', 'verify', 'ture']) assert.equal(await verifyFor(ssl), false, `ssl: ${ssl} does not verify`);
  const text = importClowder('checks:\n  download:\n    site:\n      url: https://files.example.com/blob\n      ssl: "off"\n');
  assert.ok(comments(text).some((line) => line.includes('ssl: "off" → insecure_skip_verify: true (Clowder verified only for yes, true, t, y, 1)')));
});

test('a ping loss threshold is converted to the packets it meant, and flagged when no count can reach it', async () => {
  const convert = async (count: number, loss: number, sleep = 60) => {
    const text = importClowder(
      `checks:\n  ping:\n    gw:\n      host: 192.0.2.1\n      count: "${count}"\n      loss: "${loss}"\n      sleep: "${sleep}"\n`,
    );
    const [target] = (await load(text)).config.targets;
    assert.ok(target?.type === 'ping');
    return { ratio: target.max_loss_ratio, count: target.count, notes: comments(text) };
  };
  const total = await convert(5, 99);
  assert.equal(total.ratio, 0.8, 'crit only above 4 of 5 lost: all 5 lost');
  assert.ok(total.notes.some((line) => line.includes('fails only when all 5 packets are lost (the loss steps are 20%)')));

  const partial = await convert(5, 40);
  assert.equal(partial.ratio, 0.2, 'Clowder failed at 2 of 5 lost (40% >= 40%): crit above 1/5');
  assert.ok(partial.notes.some((line) => line.includes('fails from 2 lost packets (40%)')));

  const unreachable = await convert(4, 150);
  assert.equal(unreachable.ratio, 1);
  assert.ok(unreachable.notes.some((line) => line.startsWith("FLAG: Clowder's loss 150% can never be reached with count 4")));

  // With the count lowered to fit a short interval, the conversion uses the count vigil will send.
  const lowered = await convert(5, 99, 3);
  assert.equal(lowered.count, 2);
  assert.equal(lowered.ratio, 0.5);
});

test('every value the importer clamps or drops gets a comment, and no dropped credential is copied', async () => {
  const text = importClowder(`
notifiers:
  email:
    to: [ops@example.com]
    from: hm@example.com
    username: mailer
    password: mail-secret-1
checks:
  hostport:
    db:
      host: db.example.com
      port: "5432"
      sleep: "60"
      timeout: "120"
      threshold: "3"
      password: db-secret-2
      colour: blue
`);
  const notes = comments(text);
  assert.ok(
    notes.some((line) => line.includes('timeout 2m is longer than the interval 1m: cut to 1m')),
    notes.join('\n'),
  );
  assert.ok(
    notes.some((line) => line.includes('threshold: Clowder reads threshold on notifiers only, so this check-level value was ignored; dropped')),
  );
  assert.ok(notes.some((line) => line.includes("password: a credential Clowder's hostport check never used; dropped")));
  assert.ok(notes.some((line) => line.includes("colour: not read by Clowder's hostport check; dropped")));
  assert.ok(notes.some((line) => line.includes('notifiers.email.username: Clowder never used it')));
  assert.ok(notes.some((line) => line.includes('notifiers.email.password: Clowder never used it')));
  for (const secret of ['mail-secret-1', 'db-secret-2', 'mailer']) assert.doesNotMatch(text, new RegExp(secret));
  const [db] = (await load(text)).config.targets;
  assert.equal(db?.timeout, 60_000);
});
