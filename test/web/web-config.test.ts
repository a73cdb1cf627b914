// The exporter-toolkit web config format. The examples are written from its documentation
// (prometheus/exporter-toolkit docs/web-configuration.md and docs/web-config.yml), and parse as documented.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { parseWebConfig } from '../../src/web/web-config.js';

const parse = (text: string) => parseWebConfig(text, 'web.yml', '/etc/vigil');
const problems = (text: string): string[] => {
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message.split('\n');
  }
  return assert.fail('expected a ConfigError');
};

// htpasswd -nBC 10 "" output, as the documentation shows it.
const DOC_HASH = '$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG';

test('the documented sample: TLS files and a basic auth user', () => {
  const config = parse(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: ${DOC_HASH}\n`);
  assert.deepEqual(config.tls?.cert, { file: '/etc/vigil/server.crt' }, 'relative to the web config file');
  assert.equal(config.tls?.clientAuth, 'NoClientCert');
  assert.equal(config.tls?.minVersion, 'TLS12', 'documented default');
  assert.equal(config.tls?.maxVersion, 'TLS13', 'documented default');
  assert.equal(config.tls?.preferServerCipherSuites, true, 'documented default');
  assert.equal(config.http2, true, 'documented default');
  assert.equal(config.basicAuthUsers.get('alice'), DOC_HASH);
});

test('every documented key at once', () => {
  const config = parse(
    [
      'tls_server_config:',
      '  cert_file: /etc/tls/server.crt',
      '  key_file: /etc/tls/server.key',
      '  client_auth_type: RequireAndVerifyClientCert',
      '  client_ca_file: /etc/tls/clients-ca.crt',
      '  client_allowed_sans: [prometheus.example.org]',
      '  min_version: TLS12',
      '  max_version: TLS13',
      '  cipher_suites:',
      '    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      '    - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      '  prefer_server_cipher_suites: false',
      '  curve_preferences: [X25519, CurveP256]',
      'http_server_config:',
      '  http2: false',
      '  headers:',
      "    Content-Security-Policy: default-src 'self'",
      '    X-Frame-Options: deny',
      '    X-Content-Type-Options: nosniff',
      '    X-XSS-Protection: 1; mode=block',
      '    Strict-Transport-Security: max-age=31536000; includeSubDomains',
      'basic_auth_users:',
      `  alice: ${DOC_HASH}`,
      `  bob: '${DOC_HASH}'`,
      'rate_limit:',
      '  interval: 1s',
      '  burst: 10',
      '',
    ].join('\n'),
  );
  assert.equal(config.tls?.clientAuth, 'RequireAndVerifyClientCert');
  assert.deepEqual(config.tls?.clientCa, { file: '/etc/tls/clients-ca.crt' });
  assert.deepEqual(config.tls?.cipherSuites, ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384']);
  assert.equal(config.tls?.preferServerCipherSuites, false);
  assert.equal(config.http2, false);
  assert.equal(Object.keys(config.headers).length, 5);
  assert.equal(config.basicAuthUsers.size, 2);
  assert.deepEqual(config.rateLimit, { intervalMs: 1000, burst: 10 });
});

test('inline PEM instead of files, and an empty file or section meaning plain HTTP', () => {
  const inline = parse(
    'tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n    MIIB\n  key: |\n    -----BEGIN PRIVATE KEY-----\n    MIIE\n',
  );
  assert.ok(inline.tls && 'inline' in inline.tls.cert);
  assert.equal(parse('').tls, undefined);
  assert.equal(parse('tls_server_config: {}\n').tls, undefined);
  assert.equal(parse('basic_auth_users:\n').basicAuthUsers.size, 0);
  assert.equal(parse('http_server_config:\n  headers:\n    X-Frame-Options: ""\n').headers['X-Frame-Options'], undefined, 'blank: unset');
});

test('unknown keys and bad values are errors with file:line:col and key path', () => {
  assert.deepEqual(problems('tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  cert_flie: b.crt\n'), [
    'web.yml:4:3: tls_server_config.cert_flie: unknown key "cert_flie"; did you mean "cert_file"? ' +
      '(allowed: cert, key, client_ca, cert_file, key_file, client_auth_type, client_ca_file, client_allowed_sans, min_version, max_version, ' +
      'cipher_suites, prefer_server_cipher_suites, curve_preferences)',
  ]);
  assert.match(problems('tls_config:\n  cert_file: a\n')[0]!, /^web\.yml:1:1: tls_config: unknown key "tls_config"/);
  assert.match(
    problems('tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n')[0]!,
    /^web\.yml:4:16: tls_server_config\.min_version: must be one of: TLS10, TLS11, TLS12, TLS13$/,
  );
  assert.match(
    problems('tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n')[0]!,
    /min_version TLS13 is above max_version TLS12/,
  );
  assert.match(
    problems('tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_NOPE]\n')[0]!,
    /^web\.yml:4:19: tls_server_config\.cipher_suites\[0\]: must be one of/,
  );
  assert.match(problems('tls_server_config:\n  cert_file: a\n')[0]!, /key_file/);
  assert.match(
    problems('tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n')[0]!,
    /add client_ca_file/,
  );
  assert.match(problems('tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Sometimes\n')[0]!, /must be one of: NoClientCert, /);
  assert.match(
    problems('http_server_config:\n  headers:\n    Server: vigil\n')[0]!,
    /^web\.yml:3:5: http_server_config\.headers\.Server: header "Server" cannot be set/,
  );
  assert.match(problems('http_server_config:\n  http3: true\n')[0]!, /^web\.yml:2:3: http_server_config\.http3: unknown key/);
});

test('a plain password where a bcrypt hash belongs is refused, and never echoed', () => {
  const [line] = problems('basic_auth_users:\n  alice: hunter2\n');
  assert.match(line!, /^web\.yml:2:10: basic_auth_users\.alice: expected a bcrypt hash/);
  assert.doesNotMatch(line!, /hunter2/);
});
