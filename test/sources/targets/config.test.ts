import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveTargetFiles, targetsSchema } from '../../../src/config/targets.js';

function issues(input: unknown): string[] {
  const result = targetsSchema.safeParse(input);
  assert.equal(result.success, false, 'expected the config to be rejected');
  return result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

test('defaults: interval 60s, timeout min(10s, interval), probe-specific defaults; durations become milliseconds', () => {
  const [download, ping, hostport, filewrite] = targetsSchema.parse([
    { name: 'web', type: 'download', url: 'https://example.org/' },
    { name: 'gw', type: 'ping', host: '10.0.0.1', interval: '5s' },
    { name: 'db', type: 'hostport', host: 'db', port: 5432, interval: '30s', timeout: '2s500ms', labels: { rack: 7 } },
    { name: 'disk', type: 'filewrite', directory: '/var/lib/vigil' },
  ]);
  assert.deepEqual(download, {
    name: 'web',
    type: 'download',
    url: 'https://example.org/',
    interval: 60_000,
    timeout: 10_000,
    method: 'GET',
    expected_status: ['2xx'],
    max_redirects: 5,
    insecure_skip_verify: false,
    expect_body: [],
    expect_headers: [],
    follow_redirects: true,
    ip_family: 'any',
    max_body_bytes: 4 * 1024 * 1024,
  });
  assert.deepEqual(ping, {
    name: 'gw',
    type: 'ping',
    host: '10.0.0.1',
    interval: 5_000,
    timeout: 5_000,
    count: 3,
    packet_interval: 1_000,
    packet_timeout: 1_000,
    max_loss_ratio: 0.5,
  });
  assert.equal(hostport?.interval, 30_000);
  assert.equal(hostport?.timeout, 2_500);
  assert.deepEqual(hostport?.labels, { rack: '7' });
  assert.equal(filewrite?.type === 'filewrite' && filewrite.size, 1024);
});

test('unknown keys, unknown types and bad durations are rejected with their path', () => {
  assert.deepEqual(issues([{ name: 'db', type: 'hostport', host: 'db', port: 1, prot: 2 }]), ['0: Unrecognized key: "prot"']);
  assert.match(issues([{ name: 'x', type: 'smtp', host: 'a' }])[0]!, /^0\.type: /);
  assert.match(
    issues([{ name: 'db', type: 'hostport', host: 'db', port: 1, interval: '10 seconds' }])[0]!,
    /^0\.interval: invalid duration "10 seconds"/,
  );
  assert.match(issues([{ name: 'db', type: 'hostport', host: 'db', port: 1, interval: 30 }])[0]!, /^0\.interval: a duration needs a unit/);
});

test('timeout must not exceed interval, and ping must fit count × packet_interval in the timeout', () => {
  assert.match(
    issues([{ name: 'db', type: 'hostport', host: 'db', port: 1, interval: '5s', timeout: '6s' }])[0]!,
    /^0\.timeout: timeout must not exceed interval/,
  );
  assert.match(issues([{ name: 'gw', type: 'ping', host: 'gw', count: 10, timeout: '5s' }])[0]!, /^0\.timeout: ping needs up to 10s/);
});

test('names are unique, and two targets may not report the same check on one subject', () => {
  assert.match(
    issues([
      { name: 'a', type: 'hostport', host: 'h', port: 1 },
      { name: 'a', type: 'hostport', host: 'h', port: 2 },
    ])[0]!,
    /^1\.name: duplicate target name/,
  );
  assert.match(
    issues([
      { name: 'a', subject: 'h', type: 'hostport', host: 'h', port: 1 },
      { name: 'b', subject: 'h', type: 'hostport', host: 'h', port: 2 },
    ])[0]!,
    /^1\.check: .*set a distinct check:/,
  );
  assert.doesNotThrow(() =>
    targetsSchema.parse([
      { name: 'a', subject: 'h', type: 'hostport', host: 'h', port: 1 },
      { name: 'b', subject: 'h', check: 'https', type: 'hostport', host: 'h', port: 443 },
    ]),
  );
});

test('labels may not shadow the labels vigil sets; URLs must be http(s); status specs are validated', () => {
  assert.match(issues([{ name: 'a', type: 'hostport', host: 'h', port: 1, labels: { kind: 'x' } }])[0]!, /label name "kind" is reserved/);
  assert.match(issues([{ name: 'a', type: 'download', url: 'ftp://x/' }])[0]!, /^0\.url: an http/);
  assert.match(issues([{ name: 'a', type: 'download', url: 'http://x/', expected_status: ['2XX'] }])[0]!, /^0\.expected_status\.0/);
  assert.match(issues([{ name: 'a', type: 'ping', host: 'h', packet_interval: '10ms' }])[0]!, /packet_interval below 200ms/);
});

test('resolveTargetFiles: header_files become headers (loader secrets first), paths become absolute', () => {
  const targets = targetsSchema.parse([
    {
      name: 'web',
      type: 'download',
      url: 'https://x/',
      headers: { Accept: 'text/plain' },
      header_files: { Authorization: 'auth.txt' },
      ca_file: 'ca.pem',
    },
    { name: 'disk', type: 'filewrite', directory: 'data' },
  ]);
  const secrets = new Map([['targets[0].header_files.Authorization', 'Bearer t']]);
  const [web, disk] = resolveTargetFiles(targets, { baseDir: '/etc/vigil', secrets });
  assert.deepEqual(web?.type === 'download' && [web.headers, web.header_files, web.ca_file], [
    { Accept: 'text/plain', Authorization: 'Bearer t' },
    undefined,
    '/etc/vigil/ca.pem',
  ]);
  assert.equal(disk?.type === 'filewrite' && disk.directory, '/etc/vigil/data');
});
