// The connection guard under HTTPS (a web config's TLS): requests arrive on TLS sockets wrapping the TCP sockets it
// tracks, and a request being answered there must not be cut when a flood of half-open connections passes the cap.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { DEFAULT_HTTP_LIMITS, guardConnections, httpServerOptions } from '../../src/exporter/connections.js';
import { rawClient } from './helpers.js';

test('over TLS, a request being answered survives a flood of half-open connections past the cap', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-guard-'));
  const sockets: Socket[] = [];
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
    const limits = { ...DEFAULT_HTTP_LIMITS, maxConnections: 16 };
    const server = createServer(
      { ...httpServerOptions(limits), key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => {
        setTimeout(() => res.end('slow answer'), 1_000); // busy while the flood arrives
      },
    );
    const guard = guardConnections(server, limits, 1_000_000);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const agent = new Agent({ connect: { rejectUnauthorized: false } });
    const answer = request(`https://127.0.0.1:${port}/`, { dispatcher: agent }).then(async (response) => ({
      status: response.statusCode,
      body: await response.body.text(),
    }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 0; i < 40; i++) {
      const socket = await rawClient(port, '\x16\x03\x01'); // a TLS record header and nothing more
      socket.on('error', () => undefined);
      sockets.push(socket);
    }
    assert.deepEqual(await answer, { status: 200, body: 'slow answer' });
    assert.ok(guard.open <= guard.cap, `${guard.open} open, cap ${guard.cap}`);
    assert.ok(guard.evicted >= 40 - guard.cap);
    await agent.close();
    for (const socket of sockets) socket.destroy();
    await guard.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
