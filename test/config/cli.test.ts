// Runs the built CLI as a user would: `node dist/src/cli.js ...`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir, yaml } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

function vigil(args: string[], cwd = tempDir()) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env['PATH'] } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('vigil CLI', () => {
  it('check-config accepts a good file: exit 0 and a summary', () => {
    const dir = tempDir({
      'good.yml': yaml('subjects:', '  - { id: sw3, kind: switch }', '  - { id: host-17, kind: host, depends_on: [sw3] }'),
    });
    const file = join(dir, 'good.yml');
    const { code, stdout, stderr } = vigil(['check-config', '--config', file]);
    assert.equal(stderr, '');
    assert.equal(stdout, `${file}: OK (2 subjects, 0 targets)\n`);
    assert.equal(code, 0);
  });

  it('check-config refuses a bad file: exit 2 and file:line:col: path: message lines', () => {
    const dir = tempDir({
      'bad.yml': yaml('listen: 0.0.0.0:9977', 'defaults:', '  rename_lag: soon', 'subjects: [{ id: a, kind: host, depends_on: [b] }]'),
    });
    const { code, stdout, stderr } = vigil(['check-config', '--config', 'bad.yml'], dir);
    assert.equal(stdout, '');
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 2, stderr);
    assert.match(lines[0]!, /^bad\.yml:3:15: defaults\.rename_lag: invalid duration "soon"/);
    assert.match(lines[1]!, /^bad\.yml:4:46: subjects\[0\]\.depends_on\[0\]: depends on "b", which is not a configured subject$/);
    assert.equal(code, 2);
  });

  it('check-config without --config validates the embedded default', () => {
    const { code, stdout } = vigil(['check-config']);
    assert.equal(stdout, '<embedded>: OK (1 subjects, 0 targets)\n');
    assert.equal(code, 0);
  });

  it('config-schema prints a JSON Schema with the defaults section', () => {
    const { code, stdout } = vigil(['config-schema']);
    assert.equal(code, 0);
    const schema = JSON.parse(stdout) as { $schema: string; properties: Record<string, { properties?: Record<string, unknown> }> };
    assert.match(schema.$schema, /json-schema\.org/);
    assert.ok(schema.properties['defaults']?.properties?.['freshness']);
  });

  it('generate-rules passes on the exit code of the generator (2 for a bad config)', () => {
    const dir = tempDir({ 'bad.yml': yaml('bogus: 1') });
    const { code, stderr } = vigil(['generate-rules', '--config', 'bad.yml', '--out', 'out'], dir);
    assert.match(stderr, /^bad\.yml:1:1: bogus: unknown key "bogus"/);
    assert.equal(code, 2);
  });

  it('--version prints the package version', () => {
    const { code, stdout } = vigil(['--version']);
    assert.equal(code, 0);
    assert.match(stdout.trim(), /^\d+\.\d+\.\d+/);
  });
});
