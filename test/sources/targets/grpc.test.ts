// The grpc probe against an HTTP/2 server on loopback that speaks grpc.health.v1.Health/Check as described in
// grpc/grpc doc/health-checking.md (HealthCheckResponse{status = 1}) and doc/PROTOCOL-HTTP2.md (length-prefixed
// messages, grpc-status in trailers, trailers-only errors).
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { decodeHealthResponse, encodeHealthRequest } from '../../../src/sources/targets/grpc.js';
import { ProbeHarness } from './probe-harness.js';

const harness = new ProbeHarness();
/** Service name → ServingStatus number (1 SERVING, 2 NOT_SERVING); absent services answer NOT_FOUND. */
const services = new Map<string, number>([
  ['', 1],
  ['orders', 1],
  ['billing', 2],
]);
let server: http2.Http2Server;
let port = 0;

function respond(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => {
    if (headers[':path'] !== '/grpc.health.v1.Health/Check') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
      return;
    }
    const request = Buffer.concat(chunks).subarray(5);
    const service = request.length ? request.subarray(2, 2 + request[1]!).toString() : '';
    const status = services.get(service);
    if (status === undefined) {
      // Trailers-only response (PROTOCOL-HTTP2.md): grpc-status in the headers frame.
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'unknown service' },
        { endStream: true },
      );
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    const message = Buffer.from([0x08, status]);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(message.length, 1);
    stream.end(Buffer.concat([prefix, message]));
  });
}

before(async () => {
  server = http2.createServer();
  server.on('stream', respond);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  await harness.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const grpc = (fields: Record<string, unknown> = {}) => ({ type: 'grpc', host: '127.0.0.1', port, ...fields });

test('the request and response framing round-trips', () => {
  assert.deepEqual([...encodeHealthRequest('')], [0, 0, 0, 0, 0]);
  assert.deepEqual([...encodeHealthRequest('ab')], [0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62]);
  assert.equal(decodeHealthResponse(Buffer.from([0, 0, 0, 0, 2, 0x08, 1])), 1);
  assert.equal(decodeHealthResponse(Buffer.from([0, 0, 0, 0, 0])), 0);
});

test('SERVING is ok for the whole server and for a named service', async () => {
  const whole = await harness.run(grpc());
  assert.deepEqual([whole.reached, whole.status], [true, 'ok'], whole.message);
  assert.match(whole.message, /SERVING in /);
  assert.equal((await harness.run(grpc({ service: 'orders' }))).status, 'ok');
});

test('NOT_SERVING and an unknown service are crit "not_serving" with the reason', async () => {
  const billing = await harness.run(grpc({ service: 'billing' }));
  assert.deepEqual([billing.status, billing.reason], ['crit', 'not_serving']);
  assert.match(billing.message, /service "billing": NOT_SERVING/);
  const unknown = await harness.run(grpc({ service: 'ghost' }));
  assert.deepEqual([unknown.status, unknown.reason], ['crit', 'not_serving']);
  assert.match(unknown.message, /grpc-status NOT_FOUND \(unknown service\)/);
});

test('a closed port is refused (a reached crit), like hostport', async () => {
  const closed = http2.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const result = await harness.run(grpc({ port: closedPort }));
  assert.deepEqual([result.reached, result.status, result.reason], [true, 'crit', 'refused']);
});
