// download's conditions, limits and certificates against real HTTP(S) servers on loopback: methods and request
// bodies, JSON and header conditions, max_duration/warn_duration, certificate expiry from a test CA.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { after, before, test } from 'node:test';
import { ProbeHarness } from './probe-harness.js';
import { TestCa } from './test-ca.js';

const DAY = 86_400_000;
const harness = new ProbeHarness();
const ca = new TestCa();
let base = '';
const tls: Record<'fresh' | 'soon' | 'expired', string> = { fresh: '', soon: '', expired: '' };
let lastRequest: { method?: string; body: string } = { body: '' };

function handler(request: http.IncomingMessage, response: http.ServerResponse): void {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', () => {
    lastRequest = { method: request.method ?? '', body };
    switch (request.url) {
      case '/status.json':
        response.writeHead(200, { 'content-type': 'application/json', 'x-build': 'v1.4.2' });
        response.end(
          JSON.stringify({
            status: 'up',
            checks: [
              { name: 'db', ok: true },
              { name: 'cache', ok: false },
            ],
            uptime: 42,
          }),
        );
        return;
      case '/slow':
        setTimeout(() => response.end('late'), 300);
        return;
      case '/echo':
        response.end(`got ${request.method} ${body}`);
        return;
      default:
        response.end('hello');
    }
  });
}

before(async () => {
  base = `http://127.0.0.1:${await harness.listen(http.createServer(handler))}`;
  const now = Date.now();
  const leaves = {
    fresh: ca.issue(now - DAY, now + 90 * DAY),
    soon: ca.issue(now - DAY, now + 5 * DAY),
    expired: ca.issue(now - 40 * DAY, now - 10 * DAY),
  };
  for (const kind of ['fresh', 'soon', 'expired'] as const) {
    tls[kind] = `https://127.0.0.1:${await harness.listen(https.createServer({ cert: leaves[kind].cert, key: leaves[kind].key }, handler))}`;
  }
});

after(async () => {
  await harness.close();
  ca.remove();
});

const download = (fields: Record<string, unknown>) => ({ type: 'download', ...fields });

test('a JSON path condition that holds is ok; one that fails is crit and names the condition', async () => {
  const ok = await harness.run(
    download({
      url: `${base}/status.json`,
      expect_body: [
        { json_path: '$.status', equals: 'up' },
        { json_path: '$.checks[0].ok', equals: true },
      ],
    }),
  );
  assert.equal(ok.status, 'ok', ok.message);
  const failed = await harness.run(download({ url: `${base}/status.json`, expect_body: [{ json_path: '$.checks[1].ok', equals: true }] }));
  assert.deepEqual([failed.status, failed.reason], ['crit', 'body']);
  assert.match(failed.message, /failed: body \$\.checks\[1\]\.ok equals true/);
  const number = await harness.run(download({ url: `${base}/status.json`, expect_body: [{ json_path: '$.uptime', matches: '^\\d+$' }] }));
  assert.equal(number.status, 'ok', number.message);
});

test('a body that is not JSON fails a JSON path condition with that reason', async () => {
  const result = await harness.run(download({ url: `${base}/`, expect_body: [{ json_path: '$.status', equals: 'up' }] }));
  assert.deepEqual([result.status, result.reason], ['crit', 'body']);
  assert.match(result.message, /body is not JSON/);
});

test('regular expression and inverted body conditions', async () => {
  assert.equal((await harness.run(download({ url: `${base}/`, expect_body: [{ matches: '^hel+o$' }] }))).status, 'ok');
  const inverted = await harness.run(download({ url: `${base}/`, expect_body: [{ contains: 'hello', not: true }] }));
  assert.deepEqual([inverted.status, inverted.reason], ['crit', 'body']);
  assert.match(inverted.message, /body not contains "hello"/);
});

test('response header conditions: present and matching, absent header fails', async () => {
  assert.equal(
    (
      await harness.run(
        download({
          url: `${base}/status.json`,
          expect_headers: [
            { name: 'Content-Type', contains: 'json' },
            { name: 'X-Build', matches: '^v1\\.' },
          ],
        }),
      )
    ).status,
    'ok',
  );
  const absent = await harness.run(download({ url: `${base}/status.json`, expect_headers: [{ name: 'X-Missing', contains: 'x' }] }));
  assert.deepEqual([absent.status, absent.reason], ['crit', 'header']);
  assert.match(absent.message, /header X-Missing contains "x"/);
});

test('POST with a request body reaches the server as sent', async () => {
  const result = await harness.run(
    download({ url: `${base}/echo`, method: 'POST', body: '{"ping":1}', expect_body: [{ equals: 'got POST {"ping":1}' }] }),
  );
  assert.equal(result.status, 'ok', result.message);
  assert.deepEqual(lastRequest, { method: 'POST', body: '{"ping":1}' });
});

test('max_duration makes a slow answer crit, warn_duration warn', async () => {
  const slow = await harness.run(download({ url: `${base}/slow`, max_duration: '100ms' }));
  assert.deepEqual([slow.reached, slow.status, slow.reason], [true, 'crit', 'slow']);
  assert.match(slow.message, /slower than max_duration 0\.100s/);
  const warn = await harness.run(download({ url: `${base}/slow`, warn_duration: '100ms', max_duration: '4s' }));
  assert.deepEqual([warn.status, warn.reason], ['warn', 'slow']);
  const fast = await harness.run(download({ url: `${base}/`, warn_duration: '2s', max_duration: '4s' }));
  assert.equal(fast.status, 'ok');
});

test('certificate expiry: exported, 5 days left is warn, fresh is ok, past expiry is crit', async () => {
  const limits = { ca_file: ca.caFile, cert_expiry_warn: '14d', cert_expiry_crit: '2d' };
  const fresh = await harness.run(download({ url: `${tls.fresh}/`, ...limits }));
  assert.equal(fresh.status, 'ok', fresh.message);
  assert.ok(fresh.metrics.tls_cert_expiry_timestamp_seconds! > Date.now() / 1000 + 80 * 86_400);
  const soon = await harness.run(download({ url: `${tls.soon}/`, ...limits }));
  assert.deepEqual([soon.status, soon.reason], ['warn', 'cert_expiry'], soon.message);
  assert.match(soon.message, /certificate expires in 5\.0d \(warn within 14\.0d\)/);
  // The same certificate judged a week later (injected clock): expired, crit.
  const later = await harness.run(download({ url: `${tls.soon}/`, ...limits }), { now: Date.now() + 7 * 86_400_000 });
  assert.deepEqual([later.status, later.reason], ['crit', 'cert_expiry']);
  assert.match(later.message, /certificate expired/);
});

test('a certificate that has already expired fails verification (crit tls), or crit by expiry when not verified', async () => {
  const verified = await harness.run(download({ url: `${tls.expired}/`, ca_file: ca.caFile }));
  assert.deepEqual([verified.reached, verified.status, verified.reason], [true, 'crit', 'tls']);
  assert.match(verified.message, /CERT_HAS_EXPIRED/);
  const unverified = await harness.run(download({ url: `${tls.expired}/`, insecure_skip_verify: true, cert_expiry_crit: '1d' }));
  assert.deepEqual([unverified.status, unverified.reason], ['crit', 'cert_expiry']);
  assert.ok(unverified.metrics.tls_cert_expiry_timestamp_seconds! < Date.now() / 1000);
});

test('follow_redirects false: the 3xx is the answer', async () => {
  const server = http.createServer((_request, response) => response.writeHead(302, { location: '/elsewhere' }).end());
  const url = `http://127.0.0.1:${await harness.listen(server)}/`;
  const result = await harness.run(download({ url, follow_redirects: false, expected_status: [302] }));
  assert.equal(result.status, 'ok', result.message);
  assert.equal(result.metrics.http_status_code, 302);
});

test('ip_family pins the address family: 4 reaches an IPv4-only listener by name, 6 does not', async () => {
  const port = await harness.listen(http.createServer(handler), '127.0.0.1');
  const v4 = await harness.run(download({ url: `http://localhost:${port}/`, ip_family: '4' }));
  assert.equal(v4.status, 'ok', v4.message);
  // localhost has no IPv6 address here (not reached), or has ::1 where nothing listens (refused): never ok.
  const v6 = await harness.run(download({ url: `http://localhost:${port}/`, ip_family: '6' }));
  assert.notEqual(v6.status, 'ok', v6.message);
});

test('a client certificate is presented when the server requires one (mutual TLS)', async () => {
  const now = Date.now();
  const server = ca.issue(now - DAY, now + 90 * DAY);
  const client = ca.issue(now - DAY, now + 90 * DAY);
  const mtls = https.createServer(
    { cert: server.cert, key: server.key, ca: readFileSync(ca.caFile), requestCert: true, rejectUnauthorized: true },
    handler,
  );
  mtls.on('tlsClientError', () => {});
  const url = `https://127.0.0.1:${await harness.listen(mtls)}/`;
  const without = await harness.run(download({ url, ca_file: ca.caFile }));
  assert.notEqual(without.status, 'ok', 'the server refuses a client without a certificate');
  const withCert = await harness.run(download({ url, ca_file: ca.caFile, cert_file: client.certFile, key_file: client.keyFile }));
  assert.equal(withCert.status, 'ok', withCert.message);
});
