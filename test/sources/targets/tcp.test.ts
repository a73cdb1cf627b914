// The tcp probe against servers on loopback: an SMTP-style banner exchange, a Redis-style PING/PONG, TLS with
// certificate checks, and the ways an exchange fails (wrong answer, peer closes, peer stays silent).
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { ProbeHarness } from './probe-harness.js';
import { TestCa } from './test-ca.js';

const harness = new ProbeHarness();
const ca = new TestCa();
let smtpPort = 0;
let redisPort = 0;
let tlsPort = 0;
let silentPort = 0;

/** Greets like an SMTP server (RFC 5321 §4.2), answers EHLO and QUIT. */
function smtp(socket: net.Socket): void {
  socket.on('error', () => {}); // the probe resets the connection when it is done
  socket.write('220 mail.example.org ESMTP ready\r\n');
  socket.on('data', (data: Buffer) => {
    const line = data.toString().trim();
    if (line.startsWith('EHLO')) socket.write('250-mail.example.org\r\n250 SIZE 10240000\r\n');
    else if (line === 'QUIT') socket.end('221 bye\r\n');
    else socket.write('500 unknown command\r\n');
  });
}

/** Answers inline PING with +PONG, as Redis does (RESP simple string). */
function redis(socket: net.Socket): void {
  socket.on('error', () => {});
  socket.on('data', (data: Buffer) => socket.write(data.toString().trim() === 'PING' ? '+PONG\r\n' : '-ERR unknown command\r\n'));
}

before(async () => {
  smtpPort = await harness.listen(net.createServer(smtp));
  redisPort = await harness.listen(net.createServer(redis));
  const leaf = ca.issue(Date.now() - 86_400_000, Date.now() + 5 * 86_400_000);
  const tlsServer = tls.createServer({ cert: leaf.cert, key: leaf.key }, redis);
  tlsServer.on('tlsClientError', () => {}); // the untrusted-certificate case aborts the handshake
  tlsPort = await harness.listen(tlsServer);
  silentPort = await harness.listen(net.createServer((socket) => socket.on('error', () => {})));
});

after(async () => {
  await harness.close();
  ca.remove();
});

const tcp = (port: number, fields: Record<string, unknown> = {}) => ({ type: 'tcp', host: '127.0.0.1', port, ...fields });

test('connect only: ok with the time to connect', async () => {
  const result = await harness.run(tcp(smtpPort));
  assert.deepEqual([result.reached, result.status], [true, 'ok'], result.message);
  assert.match(result.message, /^connected to 127\.0\.0\.1:\d+ in /);
});

test('an SMTP banner exchange: expect the greeting, send EHLO, expect its last line, QUIT', async () => {
  const steps = [{ expect: '^220 ' }, { send: 'EHLO vigil' }, { expect: '^250 ' }, { send: 'QUIT' }, { expect: '^221' }];
  const result = await harness.run(tcp(smtpPort, { query_response: steps }));
  assert.equal(result.status, 'ok', result.message);
  assert.match(result.message, /5 steps done/);
});

test('Redis PING: the expected PONG is ok; a wrong expectation is crit "expect" naming the step', async () => {
  assert.equal((await harness.run(tcp(redisPort, { query_response: [{ send: 'PING' }, { expect: '^\\+PONG' }] }))).status, 'ok');
  const wrong = await harness.run(tcp(redisPort, { query_response: [{ send: 'HELLO' }, { expect: '^\\+PONG' }], timeout: '1s', interval: '5s' }), {
    signal: AbortSignal.timeout(1_000),
  });
  assert.deepEqual([wrong.reached, wrong.status, wrong.reason], [true, 'crit', 'timeout'], wrong.message);
  assert.match(wrong.message, /step 2 \(expect \/\^\\\+PONG\/\) not done within/);
});

test('a peer that closes before the expected answer is crit "expect"', async () => {
  const result = await harness.run(tcp(smtpPort, { query_response: [{ send: 'QUIT' }, { expect: '^221' }, { expect: '^never' }] }));
  assert.deepEqual([result.status, result.reason], ['crit', 'expect'], result.message);
  assert.match(result.message, /connection closed before step 3/);
});

test('a silent peer times out as a reached crit once connected', async () => {
  const result = await harness.run(tcp(silentPort, { query_response: [{ expect: '^SSH-2\\.0-' }], timeout: '500ms', interval: '5s' }), {
    signal: AbortSignal.timeout(500),
  });
  assert.deepEqual([result.reached, result.status, result.reason], [true, 'crit', 'timeout']);
});

test('TLS: verified against the CA, the exchange runs inside it, and the certificate expiry counts', async () => {
  const fields = { tls: true, ca_file: ca.caFile, query_response: [{ send: 'PING' }, { expect: 'PONG' }] };
  const plain = await harness.run(tcp(tlsPort, fields));
  assert.equal(plain.status, 'ok', plain.message);
  assert.match(plain.message, /over TLS/);
  assert.ok(plain.metrics.tls_cert_expiry_timestamp_seconds! < Date.now() / 1000 + 6 * 86_400);
  const warned = await harness.run(tcp(tlsPort, { ...fields, cert_expiry_warn: '7d' }));
  assert.deepEqual([warned.status, warned.reason], ['warn', 'cert_expiry']);
  const untrusted = await harness.run(tcp(tlsPort, { tls: true }));
  assert.deepEqual([untrusted.reached, untrusted.status, untrusted.reason], [true, 'crit', 'tls']);
});
