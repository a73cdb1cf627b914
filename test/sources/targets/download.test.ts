import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { targetsSchema, type DownloadTarget } from '../../../src/config/targets.js';
import { AgentPool, prepareDownload, probeDownload, statusMatcher } from '../../../src/sources/targets/download.js';
import { selfSignedCert } from '../../helpers/certs.js';

const SECRET = 's3cr3t-token-value';
let base = '';
let otherBase = '';
let tlsBase = '';
let closedBase = '';
const seenHeaders: Record<string, http.IncomingHttpHeaders> = {};
const servers: { close(callback: () => void): unknown; closeAllConnections?: () => void }[] = [];
const agents = new AgentPool();
const certs = mkdtempSync(path.join(tmpdir(), 'vigil-tls-'));
let certFile = '';

function handler(request: http.IncomingMessage, response: http.ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://x');
  seenHeaders[url.pathname] = request.headers;
  const hops = Number(url.searchParams.get('hops') ?? 0);
  switch (url.pathname) {
    case '/ok':
      response.end('hello, world: all systems nominal');
      return;
    case '/fail':
      response.statusCode = 500;
      response.end('boom');
      return;
    case '/chunks': // the body_contains needle straddles two chunks
      response.write('xxxxxxxxxxneed');
      setTimeout(() => response.end('le-in-haystack'), 5);
      return;
    case '/slow-body':
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first bytes');
      return; // never ends
    case '/hang':
      return; // accepts, reads the request, never answers
    case '/redirect':
      response.writeHead(302, { location: hops > 1 ? `/redirect?hops=${hops - 1}` : '/ok' }).end();
      return;
    case '/away':
      response.writeHead(301, { location: `${otherBase}/landing` }).end();
      return;
    case '/landing':
      response.end('landed');
      return;
    default:
      response.statusCode = 404;
      response.end();
  }
}

async function listen(server: http.Server | https.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

before(async () => {
  base = `http://127.0.0.1:${await listen(http.createServer(handler))}`;
  otherBase = `http://localhost:${await listen(http.createServer(handler))}`;
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedBase = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  // A self-signed certificate for 127.0.0.1, made now with openssl.
  const self = selfSignedCert(certs, 'self');
  certFile = self.cert;
  const keyFile = self.key;
  tlsBase = `https://127.0.0.1:${await listen(https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, handler))}`;
});

after(async () => {
  await agents.close();
  for (const server of servers) {
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  rmSync(certs, { recursive: true, force: true });
});

function target(fields: Record<string, unknown>): DownloadTarget {
  const [parsed] = targetsSchema.parse([{ name: 'web', type: 'download', interval: '30s', timeout: '5s', ...fields }]);
  return parsed as DownloadTarget;
}
const run = (fields: Record<string, unknown>, signal: AbortSignal = AbortSignal.timeout(5_000)) =>
  probeDownload(prepareDownload(target(fields), agents), signal);

test('200 with the body: reached, ok, status code, bytes and time to last byte', async () => {
  const result = await run({ url: `${base}/ok` });
  assert.deepEqual([result.reached, result.status], [true, 'ok'], result.message);
  assert.equal(result.metrics.http_status_code, 200);
  assert.equal(result.metrics.response_bytes, 'hello, world: all systems nominal'.length);
  assert.ok(result.metrics.duration_seconds! > 0);
  assert.match(result.message, /^HTTP 200, 33 bytes in /);
});

test('500 is a reached peer with a wrong answer: crit, reason "status"', async () => {
  const result = await run({ url: `${base}/fail` });
  assert.deepEqual([result.reached, result.status, result.reason], [true, 'crit', 'status']);
  assert.equal(result.metrics.http_status_code, 500);
  const accepted = await run({ url: `${base}/fail`, expected_status: ['2xx', 500] });
  assert.equal(accepted.status, 'ok');
});

test('body_contains is found across chunk boundaries and reported missing otherwise', async () => {
  assert.equal((await run({ url: `${base}/chunks`, body_contains: 'needle-in' })).status, 'ok');
  const missing = await run({ url: `${base}/ok`, body_contains: 'degraded' });
  assert.deepEqual([missing.status, missing.reason], ['crit', 'body']);
  assert.doesNotMatch(missing.message, /degraded/);
});

test('redirects are followed up to max_redirects, and one more is crit "redirects"', async () => {
  const followed = await run({ url: `${base}/redirect?hops=3`, max_redirects: 3 });
  assert.equal(followed.status, 'ok', followed.message);
  assert.match(followed.message, /after 3 redirects/);
  const tooMany = await run({ url: `${base}/redirect?hops=3`, max_redirects: 2 });
  assert.deepEqual([tooMany.status, tooMany.reason], ['crit', 'redirects']);
  const notFollowed = await run({ url: `${base}/redirect?hops=1`, max_redirects: 0 });
  assert.deepEqual([notFollowed.status, notFollowed.metrics.http_status_code], ['crit', 302]);
});

test('configured headers are sent, never echoed, and not carried to another origin on redirect', async () => {
  const result = await run({ url: `${base}/away`, headers: { 'X-Api-Key': SECRET } });
  assert.equal(result.status, 'ok', result.message);
  assert.equal(seenHeaders['/away']?.['x-api-key'], SECRET);
  assert.equal(seenHeaders['/landing']?.['x-api-key'], undefined);
  for (const url of [`${base}/fail`, `${closedBase}/`, `${base}/ok`]) {
    const answer = await run({ url, headers: { 'X-Api-Key': SECRET }, body_contains: 'absent' });
    assert.doesNotMatch(JSON.stringify(answer), new RegExp(SECRET));
  }
});

test('header_files are read once at preparation; a missing file is an error naming the key', () => {
  const prepared = prepareDownload(target({ url: `${base}/ok`, header_files: { Authorization: '/run/x' } }), agents, () => 'Bearer abc\n');
  assert.equal(prepared.headers.Authorization, 'Bearer abc');
  assert.throws(
    () => prepareDownload(target({ url: `${base}/ok`, header_files: { Authorization: '/nope/token' } }), agents),
    /header_files\.Authorization \/nope\/token: ENOENT/,
  );
});

test('a closed port is a reached host whose service is down: crit, reason "refused"', async () => {
  const result = await run({ url: `${closedBase}/` });
  assert.deepEqual([result.reached, result.status, result.reason], [true, 'crit', 'refused'], result.message);
  assert.match(result.message, /connection refused/);
  assert.equal(result.metrics.http_status_code, undefined);
});

test('a host name that does not resolve is not reached, reason "dns"', async () => {
  const result = await run({ url: 'http://no-such-host.invalid/' }, AbortSignal.timeout(15_000));
  assert.deepEqual([result.reached, result.reason], [false, 'dns'], result.message);
});

test('a server that never answers is not reached at the timeout', async () => {
  const result = await run({ url: `${base}/hang` }, AbortSignal.timeout(300));
  assert.deepEqual([result.reached, result.reason], [false, 'timeout']);
});

test('a body that does not finish in time is a reached peer answering too slowly: crit "timeout"', async () => {
  const result = await run({ url: `${base}/slow-body` }, AbortSignal.timeout(300));
  assert.deepEqual([result.reached, result.status, result.reason], [true, 'crit', 'timeout']);
  assert.equal(result.metrics.http_status_code, 200);
  assert.equal(result.metrics.response_bytes, 'first bytes'.length);
});

test('TLS is verified by default: a self-signed certificate is crit "tls"; ca_file or insecure_skip_verify accept it', async () => {
  const rejected = await run({ url: `${tlsBase}/ok` });
  assert.deepEqual([rejected.reached, rejected.status, rejected.reason], [true, 'crit', 'tls'], rejected.message);
  const trusted = await run({ url: `${tlsBase}/ok`, ca_file: certFile });
  assert.equal(trusted.status, 'ok', trusted.message);
  const skipped = await run({ url: `${tlsBase}/ok`, insecure_skip_verify: true });
  assert.equal(skipped.status, 'ok', skipped.message);
});

test('URL credentials and query strings never appear in messages', async () => {
  const result = await run({ url: `http://user:pw@127.0.0.1:${new URL(closedBase).port}/?token=${SECRET}` });
  assert.doesNotMatch(result.message, /pw|token|s3cr3t/);
});

test('statusMatcher reads codes, classes and ranges', () => {
  const matches = statusMatcher([204, '3xx', '400-404']);
  assert.deepEqual([200, 204, 301, 399, 400, 404, 405].map(matches), [false, true, true, true, true, true, false]);
});
