// `vigil serve` behind a web config: TLS with certificates made by the test, basic auth, the read scope, client
// certificates, certificate rotation without a restart, and re-reading the web config (SIGHUP's handler).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, createSecureContext } from 'node:tls';
import { CIPHER_SUITES } from '../../src/web/tls-names.js';
import { issueCert } from '../helpers/certs.js';
import { READ_TOKEN, WRITE_TOKEN, basic, handshake, hash, httpsRequest, makeTlsWorld, startWithWebConfig, type TlsWorld } from './helpers.js';

let world: TlsWorld;
before(() => (world = makeTlsWorld()));
after(() => world.cleanup());

const tlsBlock = (extra: string[] = []) =>
  ['tls_server_config:', `  cert_file: ${world.server.cert}`, `  key_file: ${world.server.key}`, ...extra.map((line) => `  ${line}`)].join('\n');

describe('TLS with basic auth', () => {
  const users = () => `\nbasic_auth_users:\n  prometheus: ${hash('s3cret')}\n`;

  it('protects /metrics, API reads and every other page; health probes stay open; writes keep bearer tokens', async (t) => {
    const vigil = await startWithWebConfig(world.dir, tlsBlock() + users());
    t.after(() => vigil.stop());
    const ca = { ca: readFileSync(world.ca.cert, 'utf8') };
    assert.equal(vigil.tls, true);

    for (const path of [
      '/metrics',
      '/api/v1/health',
      '/api/v1/subjects',
      '/',
      '/subjects/h1',
      '/badge/h1.svg',
      '/badge/h1/disk.svg',
      '/unknown/page',
    ]) {
      const anonymous = await httpsRequest(vigil.base + path, ca);
      assert.equal(anonymous.status, 401, path);
      assert.match(String(anonymous.headers['www-authenticate']), /Basic realm="vigil"/, path);
      assert.match(String(anonymous.headers['content-type']), /application\/problem\+json/);
    }
    const wrong = await httpsRequest(`${vigil.base}/metrics`, ca, { headers: { authorization: basic('prometheus', 'guess') } });
    assert.equal(wrong.status, 401);
    const unknownUser = await httpsRequest(`${vigil.base}/metrics`, ca, { headers: { authorization: basic('mallory', 's3cret') } });
    assert.equal(unknownUser.status, 401);
    const right = await httpsRequest(`${vigil.base}/metrics`, ca, { headers: { authorization: basic('prometheus', 's3cret') } });
    assert.equal(right.status, 200);
    assert.match(right.body, /vigil_build_info/);

    for (const path of ['/-/healthy', '/-/ready']) assert.equal((await httpsRequest(vigil.base + path, ca)).status, 200, path);

    // Bearer tokens: `read` reads; a write-only token does not; writes work with their scope as before.
    const reader = await httpsRequest(`${vigil.base}/api/v1/health`, ca, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
    assert.equal(reader.status, 200);
    const writerReads = await httpsRequest(`${vigil.base}/api/v1/health`, ca, { headers: { authorization: `Bearer ${WRITE_TOKEN}` } });
    assert.equal(writerReads.status, 403);
    const push = (authorization?: string) =>
      httpsRequest(`${vigil.base}/api/v1/subjects/h1/checks/disk`, ca, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
        body: JSON.stringify({ status: 'ok' }),
      });
    assert.equal((await push()).status, 401, 'a write without a token');
    assert.equal((await push(basic('prometheus', 's3cret'))).status, 401, 'basic auth is for reads only');
    assert.equal((await push(`Bearer ${WRITE_TOKEN}`)).status, 200);
    const health = await httpsRequest(`${vigil.base}/api/v1/subjects/h1/health`, ca, { headers: { authorization: basic('prometheus', 's3cret') } });
    assert.equal(JSON.parse(health.body).checks.disk.status, 'ok', 'the rejected writes changed nothing, the accepted one landed');

    // The status page and badges answer a login; a badge seen with credentials stays out of shared caches.
    const login = { headers: { authorization: basic('prometheus', 's3cret') } };
    assert.equal((await httpsRequest(`${vigil.base}/`, ca, login)).status, 200);
    assert.equal((await httpsRequest(`${vigil.base}/subjects/h1`, ca, login)).status, 200);
    const badge = await httpsRequest(`${vigil.base}/badge/h1/disk.svg`, ca, login);
    assert.equal(badge.status, 200);
    assert.match(String(badge.headers['cache-control']), /^private,/);
  });

  it('leaves badges open when public_badges is set', async (t) => {
    const vigil = await startWithWebConfig(world.dir, tlsBlock() + users(), ['public_badges: true']);
    t.after(() => vigil.stop());
    const ca = { ca: readFileSync(world.ca.cert, 'utf8') };
    const badge = await httpsRequest(`${vigil.base}/badge/h1.svg`, ca);
    assert.equal(badge.status, 404, 'past the guard: an unknown subject has a "not found" badge');
    assert.match(String(badge.headers['content-type']), /image\/svg\+xml/);
    assert.match(String(badge.headers['cache-control']), /^public,/);
    assert.equal((await httpsRequest(`${vigil.base}/metrics`, ca)).status, 401);
    assert.equal((await httpsRequest(`${vigil.base}/`, ca)).status, 401, 'the status page is not a badge');
  });

  it('sets the configured response headers and re-reads users on reload; a broken file changes nothing', async (t) => {
    const web = (password: string) =>
      `${tlsBlock()}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\n` +
      `basic_auth_users:\n  prometheus: ${hash(password)}\n`;
    const vigil = await startWithWebConfig(world.dir, web('first'));
    t.after(() => vigil.stop());
    const ca = { ca: readFileSync(world.ca.cert, 'utf8') };
    const scrape = (password: string) => httpsRequest(`${vigil.base}/metrics`, ca, { headers: { authorization: basic('prometheus', password) } });
    const healthy = await httpsRequest(`${vigil.base}/-/healthy`, ca);
    assert.equal(healthy.headers['x-frame-options'], 'deny');
    assert.equal(healthy.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal((await scrape('first')).status, 200);

    writeFileSync(join(world.dir, 'web.yml'), web('second'));
    await vigil.reloadWebConfig();
    assert.equal((await scrape('first')).status, 401);
    assert.equal((await scrape('second')).status, 200);

    writeFileSync(join(world.dir, 'web.yml'), `${web('third')}unknown_key: 1\n`);
    await vigil.reloadWebConfig();
    assert.equal((await scrape('second')).status, 200, 'an invalid web config is not taken');

    writeFileSync(join(world.dir, 'web.yml'), web('fourth').replace(world.server.cert, join(world.dir, 'missing.crt')));
    await vigil.reloadWebConfig();
    assert.equal((await scrape('second')).status, 200, 'a web config whose certificate cannot be read is not taken');
  });
});

describe('client certificates', () => {
  it('RequireAndVerifyClientCert: no certificate or one from another CA → handshake refused; the right one → served', async (t) => {
    const vigil = await startWithWebConfig(world.dir, tlsBlock(['client_auth_type: RequireAndVerifyClientCert', `client_ca_file: ${world.ca.cert}`]));
    t.after(() => vigil.stop());
    const ca = readFileSync(world.ca.cert, 'utf8');
    const port = vigil.address.port;
    await assert.rejects(handshake(port, { ca }), 'no client certificate');
    await assert.rejects(
      handshake(port, { ca, cert: readFileSync(world.otherClient.cert, 'utf8'), key: readFileSync(world.otherClient.key, 'utf8') }),
      'foreign CA',
    );
    const peer = await handshake(port, { ca, cert: readFileSync(world.client.cert, 'utf8'), key: readFileSync(world.client.key, 'utf8') });
    assert.equal(peer.subject.CN, 'server');
  });

  it('a reload that starts requiring client certificates applies to the next handshake', async (t) => {
    const vigil = await startWithWebConfig(world.dir, tlsBlock());
    t.after(() => vigil.stop());
    const ca = readFileSync(world.ca.cert, 'utf8');
    await handshake(vigil.address.port, { ca });
    writeFileSync(join(world.dir, 'web.yml'), tlsBlock(['client_auth_type: RequireAndVerifyClientCert', `client_ca_file: ${world.ca.cert}`]));
    await vigil.reloadWebConfig();
    await assert.rejects(handshake(vigil.address.port, { ca }), 'no client certificate after the reload');
    await handshake(vigil.address.port, { ca, cert: readFileSync(world.client.cert, 'utf8'), key: readFileSync(world.client.key, 'utf8') });
  });

  it('a server certificate from an unknown CA is refused by the client', async (t) => {
    const vigil = await startWithWebConfig(world.dir, tlsBlock());
    t.after(() => vigil.stop());
    await assert.rejects(
      handshake(vigil.address.port, { ca: readFileSync(world.otherCa.cert, 'utf8') }),
      /self-signed|unable to verify|certificate/i,
    );
  });
});

describe('certificate rotation', () => {
  it('presents the replaced certificate at the next handshake, without a restart', async (t) => {
    const files = issueCert(world.dir, world.ca, 'rotating', { out: { cert: join(world.dir, 'live.crt'), key: join(world.dir, 'live.key') } });
    const vigil = await startWithWebConfig(world.dir, `tls_server_config:\n  cert_file: ${files.cert}\n  key_file: ${files.key}\n`);
    t.after(() => vigil.stop());
    const ca = readFileSync(world.ca.cert, 'utf8');
    const before = await handshake(vigil.address.port, { ca });
    assert.equal(before.subject.CN, 'rotating');

    // cert-manager and certbot replace both files; write the new pair over the old paths.
    issueCert(world.dir, world.ca, 'rotated', { out: files });
    const afterRotation = await handshake(vigil.address.port, { ca });
    assert.equal(afterRotation.subject.CN, 'rotated');
    assert.notEqual(afterRotation.serialNumber, before.serialNumber);
  });
});

describe('the other documented TLS settings', () => {
  it('cipher_suites, curve_preferences and a TLS 1.2 ceiling become what the handshake negotiates', async (t) => {
    const vigil = await startWithWebConfig(
      world.dir,
      tlsBlock([
        'max_version: TLS12',
        'cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]',
        'curve_preferences: [CurveP384, X25519]',
      ]),
    );
    t.after(() => vigil.stop());
    const answer = await new Promise<{ protocol: string | null; cipher: string }>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: vigil.address.port, ca: readFileSync(world.ca.cert, 'utf8') });
      socket.once('secureConnect', () => {
        resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name });
        socket.end();
      });
      socket.once('error', reject);
    });
    assert.deepEqual(answer, { protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
  });

  it('every Go cipher suite name maps to a suite OpenSSL knows', () => {
    for (const [go, openssl] of Object.entries(CIPHER_SUITES)) {
      assert.doesNotThrow(() => createSecureContext({ ciphers: openssl }), go);
    }
  });

  it('client_allowed_sans drops a verified client whose certificate names another host', async (t) => {
    const vigil = await startWithWebConfig(
      world.dir,
      tlsBlock(['client_auth_type: RequireAndVerifyClientCert', `client_ca_file: ${world.ca.cert}`, 'client_allowed_sans: [prometheus.example.org]']),
    );
    t.after(() => vigil.stop());
    const ca = readFileSync(world.ca.cert, 'utf8');
    const allowed = issueCert(world.dir, world.ca, 'prometheus', { sans: ['DNS:prometheus.example.org'] });
    const pem = (files: { cert: string; key: string }) => ({ cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') });
    await assert.rejects(handshake(vigil.address.port, { ca, ...pem(world.client) }));
    assert.equal((await handshake(vigil.address.port, { ca, ...pem(allowed) })).subject.CN, 'server');
  });
});
