import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Vigil } from '../../src/runtime/vigil.js';
import { Store } from '../../src/store/store.js';
import { TEST_SETTINGS } from '../helpers/settings.js';

test('a source status reported through the sink is persisted even when no subject changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-runtime-'));
  try {
    const path = join(dir, 'vigil.db');
    let now = 1_800_000_000_000;
    const store = Store.open(path, { flushIntervalMs: 5, eventsPerSubject: 10 });
    const vigil = new Vigil(store, TEST_SETTINGS, () => now);
    vigil.sink().sourceStatus('octopus', false, 'timeout');
    now += 1_000;
    await store.commit();
    vigil.stop();
    store.close();

    const reopened = Store.open(path, { flushIntervalMs: 5, eventsPerSubject: 10 });
    const [source] = reopened.load().sources;
    reopened.close();
    assert.equal(source?.name, 'octopus');
    assert.equal(source?.up, false);
    assert.deepEqual(source?.errors, { timeout: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
