import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { requireSecret, secretAt } from '../../src/config/secrets.js';
import { parse, problemAt, refused, tempDir, yaml } from './helpers.js';

const SECRET = 'super-secret-token-value';

describe('*_file secrets', () => {
  it('reads token_file relative to the config directory and trims the trailing newline', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', 'deployer'), `${SECRET}\n`);
    const { config, raw, secrets } = await parse(
      yaml('api:', '  tokens:', '    - { name: deployer, token_file: secrets/deployer, scopes: [observe, admin] }'),
      {},
      dir,
    );
    assert.deepEqual(config.api.tokens, [{ name: 'deployer', token: SECRET, scopes: ['observe', 'admin'] }]);
    assert.equal(raw.api.tokens[0]!.token_file, 'secrets/deployer', 'the validated file keeps the path, not the secret');
    assert.equal(secrets.get('api.tokens[0].token_file'), SECRET);
  });

  it('takes the file name from ${ENV}', async () => {
    const dir = tempDir({ t: SECRET });
    const { config } = await parse(yaml('api: { tokens: [{ name: a, token_file: "${DIR}/t", scopes: [agent] }] }'), { DIR: dir });
    assert.equal(config.api.tokens[0]!.token, SECRET);
  });

  it('reads every entry of a *_files map', async () => {
    const dir = tempDir({ auth: 'Bearer abc\n' });
    const { secrets } = await parse(
      yaml('targets: [{ name: web, type: download, url: "https://example.org/", header_files: { Authorization: auth } }]'),
      {},
      dir,
    );
    assert.equal(secrets.get('targets[0].header_files.Authorization'), 'Bearer abc');
  });

  it('refuses a missing file at the key, naming the path', async () => {
    const dir = tempDir();
    const error = await refused(yaml('api:', '  tokens:', '    - name: a', '      token_file: nowhere', '      scopes: [admin]'), {}, dir);
    const problem = problemAt(error, 'api.tokens[0].token_file');
    assert.deepEqual([problem.line, problem.col], [4, 19]);
    assert.match(problem.message, /cannot read secret file ".*nowhere": no such file/);
  });

  it('refuses an empty secret file', async () => {
    const dir = tempDir({ empty: '\n' });
    const error = await refused(yaml('api: { tokens: [{ name: a, token_file: empty, scopes: [admin] }] }'), {}, dir);
    assert.match(problemAt(error, 'api.tokens[0].token_file').message, /is empty/);
  });

  it('never puts a secret in an error, even when the rest of the token entry is wrong', async () => {
    const dir = tempDir({ t: SECRET });
    const error = await refused(
      yaml('api:', '  tokens:', '    - { name: a, token_file: t, token: also, scopes: [root] }', '    - { name: b, token_file: t, scopez: [] }'),
      {},
      dir,
    );
    assert.ok(error.problems.length >= 3, error.message);
    assert.ok(!error.message.includes(SECRET), error.message);
    assert.ok(!JSON.stringify(error.problems).includes(SECRET));
  });

  it('leaves alerting *_file keys to Alertmanager', async () => {
    const dir = tempDir();
    const { secrets } = await parse(yaml('alerting:', '  receivers:', '    chat: { slack: { api_url_file: /run/secrets/not-here } }'), {}, dir).catch(
      (error: Error) => {
        // The alerting schema belongs to the generator; only a missing-file problem would be ours.
        assert.doesNotMatch(error.message, /cannot read secret file/);
        return { secrets: new Map<string, string>() };
      },
    );
    assert.equal(secrets.size, 0);
  });

  it('looks a read secret up by its key path; a key the loader did not read is a bug, named without a value', () => {
    const secrets = new Map([['api.tokens[0].token_file', SECRET]]);
    assert.equal(requireSecret(secrets, ['api', 'tokens', 0, 'token_file']), SECRET);
    assert.equal(secretAt(secrets, ['store', 'password_file']), undefined);
    assert.throws(() => requireSecret(secrets, ['octopus', 'api_key_file']), { message: 'octopus.api_key_file was not read' });
  });
});
