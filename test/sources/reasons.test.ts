// One vocabulary of error reasons: the same failure gets the same word from every source's client and from the
// probes. The failures are real (loopback connections refused and reset, real HTTP answers), not hand-made errors.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { KubeApiError } from '../../src/sources/kubernetes/client/api.js';
import { failureReason } from '../../src/sources/kubernetes/client/informer.js';
import { listMachines, OctopusError } from '../../src/sources/octopus/client.js';
import { call, PeerError } from '../../src/sources/practable/http.js';
import { httpReason, networkReason, sourceErrorReason } from '../../src/sources/reasons.js';
import { createHostportProbe } from '../../src/sources/targets/hostport.js';

let closedPort = 0;
let resetPort = 0;
let httpPort = 0;
let resetting: net.Server;
let answering: http.Server;

before(async () => {
  const spare = net.createServer();
  await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
  closedPort = (spare.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => spare.close(() => resolve()));
  // Accepts, then drops the connection with a TCP RST before any answer.
  resetting = net.createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
  resetPort = (resetting.address() as net.AddressInfo).port;
  answering = http.createServer((request, response) => {
    // The status is the first path segment (`/503/api/machines…` for the Octopus client).
    response.writeHead(Number(/^\/(\d{3})\b/.exec(request.url ?? '')?.[1]) || 200).end();
  });
  await new Promise<void>((resolve) => answering.listen(0, '127.0.0.1', resolve));
  httpPort = (answering.address() as net.AddressInfo).port;
});
after(async () => {
  await new Promise<void>((resolve) => resetting.close(() => resolve()));
  await new Promise<void>((resolve) => answering.close(() => resolve()));
});

/** The word each source's own client gives a failure of `url`. */
async function wordsFor(url: string): Promise<{ practable: string; octopus: string; kubernetes: string }> {
  const practable = await call(url, { method: 'GET', token: 't', timeoutMs: 5_000 }).then(
    () => 'none',
    (error: unknown) => (error instanceof PeerError ? error.reason : 'not a PeerError'),
  );
  const octopus = await listMachines({ url, apiKey: 'k', space: null }, 'machines', AbortSignal.timeout(5_000)).then(
    () => 'none',
    (error: unknown) => (error instanceof OctopusError ? error.reason : 'not an OctopusError'),
  );
  const kubernetes = await fetch(url).then(
    (response) => failureReason(new KubeApiError(response.status, undefined, 'answered')),
    (error: unknown) => failureReason(error),
  );
  return { practable, octopus, kubernetes };
}

test('a refused connection is "refused" for every source and for a probe', async () => {
  assert.deepEqual(await wordsFor(`http://127.0.0.1:${closedPort}`), { practable: 'refused', octopus: 'refused', kubernetes: 'refused' });
  const probe = await createHostportProbe({ host: '127.0.0.1', port: closedPort }, {})(AbortSignal.timeout(5_000));
  assert.equal(probe.reason, 'refused');
});

test('a connection reset before the answer is "reset" for every source and for a probe', async () => {
  assert.deepEqual(await wordsFor(`http://127.0.0.1:${resetPort}`), { practable: 'reset', octopus: 'reset', kubernetes: 'reset' });
});

test('any server error is "http_5xx"; a 4xx keeps its code', async () => {
  assert.deepEqual(await wordsFor(`http://127.0.0.1:${httpPort}/503`), { practable: 'none', octopus: 'http_5xx', kubernetes: 'http_5xx' });
  assert.equal((await wordsFor(`http://127.0.0.1:${httpPort}/401`)).octopus, 'http_401');
  assert.deepEqual([httpReason(500), httpReason(599), httpReason(401), httpReason(404)], ['http_5xx', 'http_5xx', 'http_401', 'http_404']);
});

test("the words of a network error: nested causes, names, TLS codes; unknown codes are the caller's call", () => {
  const wrapped = (code: string): Error => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), { code }) });
  assert.equal(networkReason(wrapped('ECONNRESET')), 'reset');
  assert.equal(networkReason(wrapped('UND_ERR_SOCKET')), 'reset');
  assert.equal(networkReason(wrapped('EHOSTUNREACH')), 'unreachable');
  assert.equal(networkReason(wrapped('EAI_AGAIN')), 'dns');
  assert.equal(networkReason(wrapped('UND_ERR_HEADERS_TIMEOUT')), 'timeout');
  assert.equal(networkReason(wrapped('DEPTH_ZERO_SELF_SIGNED_CERT')), 'tls');
  assert.equal(networkReason(wrapped('ERR_TLS_CERT_ALTNAME_INVALID')), 'tls');
  assert.equal(networkReason(wrapped('EMFILE')), 'internal');
  assert.equal(networkReason(new DOMException('late', 'TimeoutError')), 'timeout');
  assert.equal(networkReason(wrapped('ESOMETHING')), undefined);
  assert.equal(sourceErrorReason(wrapped('ESOMETHING')), 'error');
  assert.equal(sourceErrorReason(new Error('no code')), 'error');
});
