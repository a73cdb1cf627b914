// The dns probe against a DNS server on loopback (dns-server.ts): response codes, answer conditions and counts,
// and a server that never answers (not reached).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeDnsServer } from './dns-server.js';
import { ProbeHarness } from './probe-harness.js';

const harness = new ProbeHarness();
const server = new FakeDnsServer({
  'www.example.org A': { answers: ['192.0.2.10', '192.0.2.11'] },
  'example.org MX': { answers: ['10 mx1.example.org', '20 mx2.example.org'] },
  'example.org TXT': { answers: ['v=spf1 -all'] },
  'empty.example.org A': { answers: [] },
  'broken.example.org A': { rcode: 'SERVFAIL' },
  'slow.example.org A': { silent: true },
});
let address = '';

before(async () => {
  address = await server.start();
});
after(async () => {
  await server.close();
  await harness.close();
});

const dns = (fields: Record<string, unknown>) => ({ type: 'dns', server: address, ...fields });

test('an A lookup with the expected answers is ok and says what came back', async () => {
  const result = await harness.run(
    dns({ query_name: 'www.example.org', expect_answers: [{ equals: '192.0.2.10' }], answer_count: { min: 2, max: 2 } }),
  );
  assert.deepEqual([result.reached, result.status], [true, 'ok'], result.message);
  assert.match(result.message, /^A www\.example\.org at 127\.0\.0\.1:\d+: NOERROR, 2 answers in /);
  assert.ok(result.metrics.duration_seconds! > 0);
});

test('answer conditions: none matching is crit, an inverted one matching is crit', async () => {
  const none = await harness.run(dns({ query_name: 'www.example.org', expect_answers: [{ matches: '^198\\.51\\.' }] }));
  assert.deepEqual([none.status, none.reason], ['crit', 'answer']);
  assert.match(none.message, /failed: no answer matches \/\^198/);
  const forbidden = await harness.run(dns({ query_name: 'www.example.org', expect_answers: [{ equals: '192.0.2.11', not: true }] }));
  assert.deepEqual([forbidden.status, forbidden.reason], ['crit', 'answer']);
  assert.match(forbidden.message, /an answer equals "192\.0\.2\.11"/);
});

test('MX and TXT answers are formatted as in a zone file', async () => {
  const mx = await harness.run(dns({ query_name: 'example.org', query_type: 'MX', expect_answers: [{ equals: '10 mx1.example.org' }] }));
  assert.equal(mx.status, 'ok', mx.message);
  const txt = await harness.run(dns({ query_name: 'example.org', query_type: 'TXT', expect_answers: [{ contains: 'spf1' }] }));
  assert.equal(txt.status, 'ok', txt.message);
});

test('response codes: NXDOMAIN and SERVFAIL are crit unless listed; an empty answer is NOERROR', async () => {
  const nx = await harness.run(dns({ query_name: 'nope.example.org' }));
  assert.deepEqual([nx.reached, nx.status, nx.reason], [true, 'crit', 'rcode']);
  assert.match(nx.message, /NXDOMAIN/);
  assert.equal((await harness.run(dns({ query_name: 'nope.example.org', valid_rcodes: ['NXDOMAIN'] }))).status, 'ok');
  const fail = await harness.run(dns({ query_name: 'broken.example.org' }));
  assert.deepEqual([fail.status, fail.reason], ['crit', 'rcode']);
  assert.match(fail.message, /SERVFAIL/);
  const empty = await harness.run(dns({ query_name: 'empty.example.org', answer_count: { min: 1 } }));
  assert.deepEqual([empty.status, empty.reason], ['crit', 'answer']);
  assert.match(empty.message, /NOERROR, 0 answers.*fewer than 1 answers/);
});

test('a server that never answers is not reached (timeout), within the target timeout', async () => {
  const started = Date.now();
  const result = await harness.run(dns({ query_name: 'slow.example.org', timeout: '1s', interval: '10s' }), { signal: AbortSignal.timeout(1_000) });
  assert.deepEqual([result.reached, result.reason], [false, 'timeout'], result.message);
  assert.ok(Date.now() - started < 3_000);
});

test('expect_all_answers: every answer must pass', async () => {
  assert.equal((await harness.run(dns({ query_name: 'www.example.org', expect_all_answers: [{ matches: '^192\\.0\\.2\\.' }] }))).status, 'ok');
  const one = await harness.run(dns({ query_name: 'www.example.org', expect_all_answers: [{ matches: '\\.10$' }] }));
  assert.deepEqual([one.status, one.reason], ['crit', 'answer']);
  assert.match(one.message, /answer "192\.0\.2\.11" does not pass: matches/);
});
