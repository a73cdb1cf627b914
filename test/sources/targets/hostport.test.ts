import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { createHostportProbe } from '../../../src/sources/targets/hostport.js';

let listener: net.Server;
let openPort = 0;
let closedPort = 0;

before(async () => {
  listener = net.createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  openPort = (listener.address() as net.AddressInfo).port;
  // A port that was just free: bind and release it, so a connect is refused.
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
after(() => new Promise<void>((resolve) => listener.close(() => resolve())));

test('connects to a listening port: reached, ok, with the connect time', async () => {
  const result = await createHostportProbe({ host: '127.0.0.1', port: openPort }, {})(new AbortController().signal);
  assert.equal(result.reached, true);
  assert.equal(result.status, 'ok');
  assert.ok(result.metrics.duration_seconds! >= 0 && result.metrics.duration_seconds! < 1);
  assert.match(result.message, new RegExp(`connected to 127.0.0.1:${openPort}`));
});

test('a closed port is a reached host whose service is down: crit, reason "refused"', async () => {
  const result = await createHostportProbe({ host: '127.0.0.1', port: closedPort }, {})(new AbortController().signal);
  assert.deepEqual([result.reached, result.status, result.reason], [true, 'crit', 'refused']);
  assert.ok(typeof result.metrics.duration_seconds === 'number');
  assert.match(result.message, /connection refused/);
});

test('a connect cut by the timeout signal is not reached, reason "timeout"', async () => {
  const controller = new AbortController();
  const pending = createHostportProbe({ host: '127.0.0.1', port: openPort }, {})(controller.signal);
  controller.abort(); // before the connect can complete
  const result = await pending;
  assert.deepEqual([result.reached, result.reason], [false, 'timeout']);
  const already = await createHostportProbe({ host: '127.0.0.1', port: openPort }, {})(AbortSignal.abort());
  assert.equal(already.reason, 'timeout');
});

test('a host name that does not resolve is not reached, reason "dns"', async () => {
  const result = await createHostportProbe({ host: 'no-such-host.invalid', port: 80 }, {})(AbortSignal.timeout(15_000));
  assert.deepEqual([result.reached, result.reason], [false, 'dns'], result.message);
});
