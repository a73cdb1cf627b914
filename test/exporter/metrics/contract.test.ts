// docs/metrics.md and the renderers agree both ways: no family exposed but undocumented, none documented but
// never exposed. The renderers are the source of truth; the dashboard and rule tests check against them too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { documentedFamilies, exposedFamilies } from './contract.js';

describe('metric contract', () => {
  it('every family the renderers write is documented in docs/metrics.md', async () => {
    const documented = documentedFamilies();
    const undocumented = [...(await exposedFamilies())].filter((name) => !documented.has(name));
    assert.deepEqual(undocumented, [], 'exposed but not in docs/metrics.md');
  });

  it('every family docs/metrics.md documents is written by a renderer', async () => {
    const exposed = await exposedFamilies();
    const neverExposed = [...documentedFamilies()].filter((name) => !exposed.has(name));
    assert.deepEqual(neverExposed, [], 'documented but never exposed');
  });

  it('reads enough of both to mean something', async () => {
    assert.ok(documentedFamilies().size >= 50, `docs/metrics.md parsed: ${documentedFamilies().size} families`);
    assert.ok((await exposedFamilies()).has('vigil_agent_webhook_queue_length'));
  });
});
