// The alerting: section: strict, snake_case, durations and references checked, errors with their key path;
// and generate-rules' command: exit codes, and config errors reported with file:line:col.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { alertingSchema } from '../../src/config/alerting.js';
import { generateRulesCommand } from '../../src/generate/index.js';
import { TEST_DIR } from './helpers.js';

const fixture = (parse(readFileSync(join(TEST_DIR, 'fixtures', 'policies.yml'), 'utf8')) as { alerting: Record<string, unknown> }).alerting;

function problems(alerting: unknown): string[] {
  const result = alertingSchema.safeParse(alerting);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

const withPolicy = (policy: Record<string, unknown>) => ({ ...fixture, policies: [{ name: 'p', notify: 'failure', receiver: 'chat', ...policy }] });

describe('alerting schema', () => {
  it('accepts the fixture and fills defaults', () => {
    const parsed = alertingSchema.parse(fixture);
    assert.equal(parsed.group_wait, '30s');
    assert.equal(parsed.scrape_job, 'vigil');
    assert.equal(parsed.policies[0]!.scope, 'check');
    assert.deepEqual(alertingSchema.parse({}).policies, []);
  });

  it('refuses unknown keys, bad durations and unknown receivers, naming the key path', () => {
    assert.deepEqual(problems({ ...fixture, evaluation_intervall: '1m' }), [': Unrecognized key: "evaluation_intervall"']);
    assert.match(problems({ ...fixture, evaluation_interval: '1 minute' })[0]!, /^evaluation_interval: invalid duration/);
    assert.match(problems(withPolicy({ receiver: 'nobody' }))[0]!, /^policies\.0\.receiver: unknown receiver "nobody"/);
    assert.match(problems(withPolicy({ repeat: 60 }))[0]!, /^policies\.0\.repeat: a duration needs a unit/);
    assert.match(problems({ ...fixture, default_receiver: 'x' })[0]!, /^default_receiver: unknown receiver/);
    assert.match(problems(withPolicy({ notify: 'sometimes' }))[0]!, /^policies\.0\.notify/);
    assert.match(problems(withPolicy({ threshold: 0 }))[0]!, /^policies\.0\.threshold/);
  });

  it('refuses duplicate and colliding policy names', () => {
    const twice = { ...fixture, policies: [withPolicy({}).policies[0], withPolicy({}).policies[0]] };
    assert.match(problems(twice)[0]!, /^policies\.1\.name: duplicate policy name "p"/);
    const colliding = { ...fixture, policies: [withPolicy({ name: 'web-probes' }).policies[0], withPolicy({ name: 'web_probes' }).policies[0]] };
    assert.match(problems(colliding)[0]!, /same alert name VigilWebProbes/);
  });

  it('refuses settings that make no sense for the mode', () => {
    assert.match(problems(withPolicy({ notify: 'always', threshold: 3 }))[0]!, /threshold and recovery do not apply/);
    assert.match(problems(withPolicy({ scope: 'subject', match: { check: 'x' } }))[0]!, /cannot match on check/);
    assert.match(problems(withPolicy({ match: { severity: 'critical' } }))[0]!, /^policies\.0\.match\.severity: cannot match on "severity"/);
  });

  it("on: conditions of the policy's scope, each once, any combination; none for notify: always", () => {
    assert.deepEqual(problems(withPolicy({ on: ['crit', 'warn', 'unreachable', 'stale'] })), []);
    assert.deepEqual(problems(withPolicy({ scope: 'subject', on: ['unhealthy', 'unavailable', 'missing', 'warnings'] })), []);
    assert.deepEqual(problems(withPolicy({ on: ['unavailable'] })), [
      'policies.0.on.0: "unavailable" is not a check-scope condition (expected crit, warn, unreachable, stale)',
    ]);
    assert.deepEqual(problems(withPolicy({ scope: 'subject', on: ['unhealthy', 'stale'] })), [
      'policies.0.on.1: "stale" is not a subject-scope condition (expected unhealthy, unavailable, missing, warnings)',
    ]);
    assert.deepEqual(problems(withPolicy({ on: ['crit', 'crit'] })), ['policies.0.on.1: "crit" is listed twice']);
    assert.match(problems(withPolicy({ on: [] }))[0]!, /^policies\.0\.on: /);
    assert.match(problems(withPolicy({ on: ['down'] }))[0]!, /^policies\.0\.on\.0: /);
    assert.deepEqual(problems(withPolicy({ notify: 'always', on: ['crit'] })), [
      'on: notify: always sends every result; on does not apply'.replace(/^/, 'policies.0.'),
    ]);
  });

  it('keeps secrets out: only *_file keys, and no credentials in URLs', () => {
    const receivers = fixture.receivers as Record<string, unknown>;
    assert.match(
      problems({ ...fixture, receivers: { ...receivers, chat: { slack: { api_url: 'https://hooks.example.org/x' } } } }).join('\n'),
      /Unrecognized key: "api_url"/,
    );
    assert.match(
      problems({ ...fixture, receivers: { ...receivers, hook: { webhook: { url: 'https://u:p@example.org/' } } } })[0]!,
      /must not contain credentials/,
    );
    assert.match(problems({ ...fixture, receivers: { ...receivers, hook: {} } })[0]!, /needs at least one of email, slack, msteams, webhook/);
  });
});

/** Runs generate-rules on a config text; returns its exit code and what it wrote to stderr. */
async function generateFrom(configText: string): Promise<{ code: number; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-gen-cmd-'));
  const config = join(dir, 'vigil.yml');
  writeFileSync(config, configText);
  const written: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await generateRulesCommand({ configPath: config, out: dir }), stderr: written.join('') };
  } finally {
    process.stderr.write = original;
  }
}

describe('generateRulesCommand', () => {
  it('reports config errors as file:line:col and exits 2', async () => {
    const { code, stderr } = await generateFrom('alerting:\n  receivers: {}\n  policies:\n    - { name: p, notify: failure, receiver: nobody }\n');
    assert.equal(code, 2);
    assert.match(stderr, /vigil\.yml:4:\d+: alerting\.policies\[0\]\.receiver: unknown receiver "nobody"/);
  });

  it('reports a condition of the wrong scope at its position in the list', async () => {
    const { code, stderr } = await generateFrom(
      'alerting:\n  receivers: { r: { webhook: { url: "http://127.0.0.1:1/" } } }\n' +
        '  policies:\n    - name: p\n      notify: failure\n      receiver: r\n      on: [crit, missing]\n',
    );
    assert.equal(code, 2);
    assert.match(stderr, /vigil\.yml:7:\d+: alerting\.policies\[0\]\.on\[1\]: "missing" is not a check-scope condition/);
  });

  it('refuses an unknown format', async () => {
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      assert.equal(await generateRulesCommand({ format: 'thanos' }), 2);
    } finally {
      process.stderr.write = original;
    }
  });
});
