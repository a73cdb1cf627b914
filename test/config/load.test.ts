import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { parseListen } from '../../src/config/listen.js';
import { tempDir, yaml } from './helpers.js';

describe('loadConfig', () => {
  it('loads an explicit path and resolves state next to it', async () => {
    const dir = tempDir({ 'vigil.yml': yaml('state: db/state.db', 'subjects: [{ id: a, kind: host }]') });
    const file = join(dir, 'vigil.yml');
    const loaded = await loadConfig(file, {});
    assert.equal(loaded.file, file);
    assert.equal(loaded.baseDir, dir);
    assert.equal(loaded.config.statePath, join(dir, 'db', 'state.db'));
    assert.equal(loaded.config.subjects.length, 1);
  });

  it('refuses a missing explicit file', async () => {
    const missing = join(tempDir(), 'absent.yml');
    await assert.rejects(loadConfig(missing, {}), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `${missing}: cannot read config: no such file`);
      return true;
    });
  });

  it('uses ./vigil.yml when it exists, else the embedded default', async () => {
    const before = process.cwd();
    try {
      process.chdir(tempDir({ 'vigil.yml': yaml('subjects: [{ id: here, kind: host }]') }));
      const local = await loadConfig(undefined, {});
      assert.equal(local.file, './vigil.yml');
      assert.deepEqual(
        local.config.subjects.map((s) => s.id),
        ['here'],
      );

      process.chdir(tempDir());
      const embedded = await loadConfig(undefined, {});
      assert.equal(embedded.file, '<embedded>');
      assert.deepEqual(
        embedded.config.subjects.map((s) => s.id),
        ['vigil'],
      );
    } finally {
      process.chdir(before);
    }
  });
});

describe('parseListen', () => {
  it('parses IPv4, host names, bracketed IPv6 and a bare port', () => {
    assert.deepEqual(parseListen('0.0.0.0:9977'), { host: '0.0.0.0', port: 9977 });
    assert.deepEqual(parseListen('localhost:80'), { host: 'localhost', port: 80 });
    assert.deepEqual(parseListen('[::1]:9977'), { host: '::1', port: 9977 });
    assert.deepEqual(parseListen(':9977'), { host: '0.0.0.0', port: 9977 });
  });

  it('refuses what is not host:port', () => {
    for (const bad of ['9977', '::1:9977', '[nope]:1', 'host:65536', 'a b:1', '']) {
      assert.throws(() => parseListen(bad), /invalid listen address/, bad);
    }
  });
});
