// Agent check messages carry the same timing fields as the push API: max_age and accuracy, and the subject's
// configured timing applies to them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { untilTurns } from '../../helpers/until.js';
import { startAgentHarness } from './harness.js';

test('an agent check with observed_at, max_age and accuracy expires by max_age and is effective accuracy earlier', async (t) => {
  const h = await startAgentHarness('agents: { enabled: true }', {
    subjects: 'subjects: [ { id: m1, kind: machine, overhead: 3s } ]',
  });
  t.after(() => h.close());
  const client = await h.connect('m1');
  await client.next();
  const observedAt = h.now() - 10 * 60_000;
  client.send({
    type: 'check',
    check: 'memory',
    status: 'ok',
    period: '1h',
    observed_at: new Date(observedAt).toISOString(),
    max_age: '30m',
    accuracy: '60s',
  });
  const m1 = h.vigil.state.subjects.get('m1')!;
  await untilTurns(() => m1.checks['memory'] !== undefined, 'check recorded');
  const check = m1.checks['memory']!;
  assert.equal(check.maxAge, 30 * 60_000);
  assert.deepEqual(check.timing, { freshness: 2, overhead: 3000, accuracy: 60_000, pushPeriod: 0 }, 'subject overhead, message accuracy');
  assert.equal(check.expiresAt, observedAt + 30 * 60_000, 'observed_at + max_age comes before received + 2 × 1h');
  assert.equal(check.effectiveAt, observedAt - 60_000);

  client.send({ type: 'check', check: 'memory', status: 'ok', max_age: '30m' });
  assert.match(String((await client.next())['detail']), /max_age: max_age bounds the age of observed_at: give observed_at too/);
});
