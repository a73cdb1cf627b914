// The subject page's recent events come from the store: a restart loads no events into memory, and the page still
// shows those from before it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startHarness } from '../helpers/api-harness.js';

const PUSHER = 'pusher-secret-token';
const dir = mkdtempSync(join(tmpdir(), 'vigil-subject-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const timeline = (page: string): string[] =>
  [...(/<ol class="timeline"[^>]*>([\s\S]*?)<\/ol>/.exec(page)?.[1] ?? '').matchAll(/<li>[\s\S]*?<\/li>/g)].map((m) => m[0]);

describe('subject page events across a restart', () => {
  it('shows the events stored before the restart, which the engine no longer holds in memory', async () => {
    const first = await startHarness({ dir });
    try {
      const pushed = await first.request('PUT', '/api/v1/subjects/h1/checks/disk', { token: PUSHER, body: { status: 'crit', message: 'full' } });
      assert.equal(pushed.status, 200);
    } finally {
      await first.close();
    }
    const second = await startHarness({ dir });
    try {
      assert.equal(second.vigil.state.history.has('h1'), false, 'no events loaded at start');
      const stored = await second.vigil.store.eventsAfter(0, 100, 'h1');
      assert.ok(stored.length > 0);
      const page = await (await second.request('GET', '/subjects/h1')).text();
      assert.equal(timeline(page).length, stored.length);
      assert.match(timeline(page).at(-1)!, /<strong>connectivity<\/strong> – → available/, 'oldest last');
    } finally {
      await second.close();
    }
  });
});
