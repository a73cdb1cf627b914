// End to end: `vigil serve` with a practable: section against fake relay, jump and book on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnServe } from '../../helpers/serve-process.js';
import { tempDir } from '../../config/helpers.js';
import { FakeBook, FakeStatsPeer, SECRET, jumpHost, practableSectionYaml, relayHousekeeping, relayStream } from './fakes.js';
import { until } from '../../helpers/until.js';
import { MANIFEST } from './harness.js';

test('vigil serve: experiments from relay and book, availability PUT, status API and /metrics', async (t) => {
  const relay = await FakeStatsPeer.start({ kind: 'relay' });
  const jump = await FakeStatsPeer.start({ kind: 'jump' });
  const book = await FakeBook.start(structuredClone(MANIFEST));
  const dir = tempDir({ 'shared.secret': `${SECRET}\n` });
  writeFileSync(
    join(dir, 'vigil.yml'),
    ['listen: 127.0.0.1:0', 'state: ./vigil.db', 'defaults: { startup_grace: 0s }', ...practableSectionYaml({ relay, jump, book }), ''].join('\n'),
  );
  const vigil = await spawnServe(['--config', join(dir, 'vigil.yml')], { cwd: dir });
  t.after(async () => {
    vigil.child.kill('SIGTERM');
    await vigil.exited;
    await Promise.all([relay.close(), jump.close(), book.close()]);
  });
  await until(() => relay.open === 1 && jump.open === 1, 'vigil connected to relay and jump', { timeoutMs: 10_000 });
  relay.broadcast([...relayHousekeeping, relayStream('pend00-st-data', '5ms'), relayStream('pend00-st-video', '12ms')]);
  jump.broadcast([jumpHost('pend00')]);
  await until(() => book.puts.length === 1, 'availability PUT', { timeoutMs: 10_000 });
  assert.equal(book.puts[0]!.available, true);

  const experiments = (await (await fetch(`${vigil.base}/api/v1/practable/experiments`)).json()) as {
    topic_name: string;
    available: boolean;
    healthy: boolean;
    jump_ok: boolean;
  }[];
  assert.deepEqual(
    experiments.map((e) => [e.topic_name, e.available, e.healthy, e.jump_ok]),
    [['pend00', true, true, true]],
  );
  const health = (await (await fetch(`${vigil.base}/api/v1/subjects/pend00/health`)).json()) as { health: string };
  assert.equal(health.health, 'healthy');
  const metrics = await (await fetch(`${vigil.base}/metrics`)).text();
  assert.match(metrics, /^vigil_practable_experiment_available\{experiment="pend00"\} 1$/m);
  assert.match(metrics, /^vigil_source_up\{source="practable-relay"\} 1$/m);
  assert.doesNotMatch(metrics, new RegExp(SECRET));
  assert.ok(existsSync('/usr/bin/promtool'), 'promtool is missing: install it with "apt-get install prometheus"');
  const lint = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
  assert.doesNotMatch(`${lint.stdout}${lint.stderr}`, /practable/, 'the practable families lint clean inside the whole exposition');
  assert.doesNotMatch(vigil.logs(), new RegExp(SECRET));
  // Events are served once committed (group commit): long-poll until the availability event is among them.
  type Events = { events: { type: string; subject: string; to: string }[]; last_seq: number };
  const seen: Events['events'] = [];
  for (let after = 0, polls = 0; polls < 20 && !seen.some((e) => e.type === 'availability'); polls++) {
    const page = (await (await fetch(`${vigil.base}/api/v1/events?after=${after}&wait=2s`)).json()) as Events;
    seen.push(...page.events);
    after = page.last_seq;
  }
  assert.ok(
    seen.some((e) => e.type === 'availability' && e.subject === 'pend00' && e.to === 'available'),
    JSON.stringify(seen),
  );
});
