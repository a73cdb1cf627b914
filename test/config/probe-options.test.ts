// The options the probe types share are checked where they are written: cross-field rules of limits and TLS files,
// the condition vocabulary, tcp steps and dns servers, each at its key path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, problemAt, refused, yaml } from './helpers.js';

describe('probe options in targets', () => {
  it('accepts the documented examples of tcp, dns, grpc and a download with conditions and limits', async () => {
    const { config } = await parse(
      yaml(
        'targets:',
        '  - { name: api, type: download, url: "https://api.example.org/healthz", timeout: 5s, warn_duration: 500ms, max_duration: 2s,',
        '      cert_expiry_warn: 14d, cert_expiry_crit: 3d, expect_headers: [ { name: Content-Type, contains: json } ],',
        '      expect_body: [ { json_path: $.status, equals: up }, { json_path: $.checks.database, equals: true } ] }',
        '  - { name: mail, type: tcp, host: mail.example.org, port: 25, query_response: [ { expect: "^220 " }, { send: "EHLO vigil" } ] }',
        '  - { name: ns, type: dns, server: "127.0.0.1:53", query_name: example.org, query_type: MX, answer_count: { min: 1 } }',
        '  - { name: health, type: grpc, host: orders, port: 50051, service: orders, tls: true }',
      ),
    );
    assert.deepEqual(
      config.targets.map((target) => target.type),
      ['download', 'tcp', 'dns', 'grpc'],
    );
    const api = config.targets[0]!;
    assert.equal(api.type === 'download' && api.cert_expiry_warn, 14 * 86_400_000);
    assert.equal(api.max_duration, 2_000);
  });

  it('refuses limits that contradict each other or the timeout, at their key', async () => {
    const error = await refused(
      yaml(
        'targets:',
        '  - { name: a, type: download, url: "http://x/", timeout: 2s, warn_duration: 3s, max_duration: 3s }',
        '  - { name: b, type: tcp, host: x, port: 1, tls: true, cert_file: c.pem, cert_expiry_warn: 1d, cert_expiry_crit: 2d }',
        '  - { name: c, type: download, url: "http://x/", body: "{}" }',
      ),
    );
    assert.match(problemAt(error, 'targets[0].warn_duration').message, /below max_duration/);
    assert.match(problemAt(error, 'targets[0].max_duration').message, /below timeout/);
    assert.match(problemAt(error, 'targets[1].key_file').message, /cert_file and key_file go together/);
    assert.match(problemAt(error, 'targets[1].cert_expiry_crit').message, /shorter than cert_expiry_warn/);
    assert.match(problemAt(error, 'targets[2].body').message, /a request body needs a method that carries one/);
  });

  it('refuses malformed conditions: none or two tests, a bad regex, a bad JSON path', async () => {
    const error = await refused(
      yaml(
        'targets:',
        '  - name: a',
        '    type: download',
        '    url: "http://x/"',
        '    expect_body: [ { contains: a, matches: b }, { not: true }, { matches: "(" }, { json_path: "status", equals: 1 } ]',
      ),
    );
    assert.match(problemAt(error, 'targets[0].expect_body[0]').message, /exactly one of equals, contains, matches/);
    assert.match(problemAt(error, 'targets[0].expect_body[1]').message, /exactly one of equals, contains, matches/);
    assert.match(problemAt(error, 'targets[0].expect_body[2].matches').message, /not a valid regular expression/);
    assert.match(problemAt(error, 'targets[0].expect_body[3].json_path').message, /a path such as \$\.status/);
  });

  it('refuses a tcp step with both send and expect, and a dns server with a path', async () => {
    const error = await refused(
      yaml(
        'targets:',
        '  - { name: a, type: tcp, host: x, port: 1, query_response: [ { send: a, expect: b } ] }',
        '  - { name: b, type: dns, server: "1.1.1.1/x", query_name: a }',
      ),
    );
    assert.match(problemAt(error, 'targets[0].query_response[0]').message, /exactly one of send or expect/);
    assert.match(problemAt(error, 'targets[1].server').message, /host, host:port/);
  });
});
