// Smaller robustness bounds. Before them: malformed %-escapes and a bogus Content-Encoding answered 500 (logged at
// error, unauthenticated); the body was parsed before authentication; nothing limited the subjects, checks or
// metadata keys a token could create; a download probe read unbounded bodies; cross-field config errors showed only
// after every per-field one was fixed; a token_file with surrounding whitespace could never authenticate.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { targetsSchema, type DownloadTarget } from '../../src/config/targets.js';
import { Authorizer } from '../../src/exporter/auth.js';
import { AgentPool, prepareDownload, probeDownload } from '../../src/sources/targets/download.js';
import { parse, refused, tempDir } from '../config/helpers.js';
import { problemOf, startHarness, type Harness } from '../helpers/api-harness.js';

const PUSH = 'pusher-secret-token';

describe('malformed requests and authentication order (problem 6)', () => {
  let h: Harness;
  const rejectedLines: Record<string, unknown>[] = [];
  const errorLines: unknown[] = [];
  before(async () => {
    h = await startHarness({ logRejected: (fields) => rejectedLines.push(fields), logError: (error) => errorLines.push(error) });
  });
  after(() => h.close());

  it('answers 400 problem+json for malformed %-escapes in path ids', async () => {
    for (const path of ['/api/v1/subjects/%zz/health', '/api/v1/subjects/%E0%A4%A/checks/c']) {
      const response = await h.request(path.endsWith('/c') ? 'PUT' : 'GET', path, {
        token: PUSH,
        body: path.endsWith('/c') ? { status: 'ok' } : undefined,
      });
      assert.equal(response.status, 400, path);
      assert.match((await problemOf(response)).detail, /malformed %-escape/);
    }
  });

  it('answers 400 for a body that does not match its Content-Encoding, and 415 for an unknown one', async () => {
    const bogus = await h.request('PUT', '/api/v1/subjects/h/checks/c', {
      token: PUSH,
      raw: '{"status":"ok"}',
      headers: { 'content-encoding': 'gzip' },
    });
    assert.equal(bogus.status, 400);
    assert.match((await problemOf(bogus)).detail, /Content-Encoding/);
    const real = await fetch(`${h.base}/api/v1/subjects/h/checks/c`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${PUSH}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync('{"status":"ok"}'),
    });
    assert.equal(real.status, 200, 'a real gzip body is fine');
    const unknown = await h.request('PUT', '/api/v1/subjects/h/checks/c', {
      token: PUSH,
      raw: '{"status":"ok"}',
      headers: { 'content-encoding': 'zstd-ish' },
    });
    assert.equal(unknown.status, 415);
  });

  it('authenticates before reading the body: junk or oversized bodies without a token are 401', async () => {
    const junk = await h.request('PUT', '/api/v1/subjects/h/checks/c', { raw: '{not json' });
    assert.equal(junk.status, 401);
    const huge = await h.request('POST', '/api/v1/observations', { raw: 'x'.repeat(200 * 1024) });
    assert.equal(huge.status, 401);
  });

  it('logs malformed requests as rejections, at most 10 lines a minute, never as errors', async () => {
    rejectedLines.length = 0;
    for (let i = 0; i < 30; i++) await (await h.request('GET', '/api/v1/subjects/%zz/health')).text();
    assert.ok(rejectedLines.length <= 10, `${rejectedLines.length} lines`);
    assert.deepEqual(errorLines, []);
  });
});

describe('limits on what writes may create (problem 6)', () => {
  it('refuses with 409 past max_subjects, max_checks_per_subject and max_metadata_per_subject, changing nothing', async () => {
    const h = await startHarness({ limits: { maxSubjects: 2, maxChecksPerSubject: 2, maxMetadataPerSubject: 1 } });
    try {
      const put = (path: string, body: unknown, token = PUSH) => h.request('PUT', path, { token, body });
      assert.equal((await put('/api/v1/subjects/a/checks/c1', { status: 'ok' })).status, 200);
      assert.equal((await put('/api/v1/subjects/a/checks/c2', { status: 'ok' })).status, 200);
      const third = await put('/api/v1/subjects/a/checks/c3', { status: 'ok' });
      assert.equal(third.status, 409);
      assert.match((await problemOf(third)).detail, /api\.max_checks_per_subject/);
      assert.equal((await put('/api/v1/subjects/a/checks/c1', { status: 'crit' })).status, 200, 'existing checks still take results');

      assert.equal((await put('/api/v1/subjects/b/checks/c1', { status: 'ok' })).status, 200);
      const batch = await h.request('POST', '/api/v1/observations', {
        token: PUSH,
        body: [
          { subject: 'a', check: 'c1', status: 'ok' },
          { subject: 'c', check: 'c1', status: 'ok' },
        ],
      });
      assert.equal(batch.status, 409);
      assert.match((await problemOf(batch)).detail, /api\.max_subjects/);
      assert.equal(h.vigil.state.subjects.size, 2);
      assert.equal(h.vigil.state.subjects.get('a')!.checks['c1']!.reported, 'crit', 'the refused batch changed nothing');

      const meta = (key: string) => put(`/api/v1/subjects/a/metadata/${key}`, { level: 'info', message: 'm' }, 'ops-secret-token');
      assert.equal((await meta('k1')).status, 200);
      const second = await meta('k2');
      assert.equal(second.status, 409);
      assert.match((await problemOf(second)).detail, /api\.max_metadata_per_subject/);
    } finally {
      await h.close();
    }
  });
});

describe('download max_body_bytes (problem 6)', () => {
  let server: Server;
  let sent = 0;
  let base = '';
  before(async () => {
    // Streams 64 MiB, as slowly as the client reads: a probe that reads it all costs 64 MiB per run.
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let left = 1024;
      const pump = () => {
        while (left > 0) {
          left--;
          sent += chunk.length;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (left = 0));
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads at most max_body_bytes and leaves the rest on the wire; the default is 4 MiB', async () => {
    const [parsed] = targetsSchema.parse([{ name: 'big', type: 'download', url: `${base}/big`, max_body_bytes: '1mb', body_contains: 'aaa' }]);
    const agents = new AgentPool();
    try {
      const result = await probeDownload(prepareDownload(parsed as DownloadTarget, agents), AbortSignal.timeout(10_000));
      assert.equal(result.status, 'ok', result.message);
      assert.match(result.message, /1048576 bytes \(stopped at max_body_bytes\)/);
      assert.ok(sent < 16 * 1024 * 1024, `the server sent ${sent} bytes`);
    } finally {
      await agents.close();
    }
    const [defaulted] = targetsSchema.parse([{ name: 'd', type: 'download', url: `${base}/big` }]);
    assert.equal((defaulted as DownloadTarget).max_body_bytes, 4 * 1024 * 1024);
  });
});

describe('config validation (problem 6)', () => {
  it('reports cross-field errors (duplicate target names, timeout > interval) together with per-field ones', async () => {
    const error = await refused(
      [
        'subjects: []',
        'targets:',
        '  - { name: web, type: hostport, host: example.org, port: 99999 }',
        '  - { name: web, type: hostport, host: example.org, port: 80 }',
        '  - { name: slow, type: hostport, host: example.org, port: 80, interval: 10s, timeout: 30s }',
      ].join('\n'),
    );
    const paths = error.problems.map((problem) => problem.path).sort();
    assert.ok(paths.includes('targets[0].port'), error.message);
    assert.ok(paths.includes('targets[1].name'), error.message);
    assert.ok(paths.includes('targets[2].timeout'), error.message);
  });

  it('refuses an http.header_timeout longer than http.request_timeout beside other errors (Node would refuse to start)', async () => {
    const error = await refused('http: { header_timeout: 60s, request_timeout: 30s, idle_timeout: lots }\nsubjects: []');
    const paths = error.problems.map((problem) => problem.path).sort();
    assert.deepEqual(paths, ['http.header_timeout', 'http.idle_timeout']);
  });

  it('trims surrounding whitespace from token files, so such a token authenticates', async () => {
    const dir = tempDir({ token: '  s3cret-token \n\n' });
    const { config } = await parse('api: { tokens: [{ name: ci, token_file: token, scopes: [observe] }] }\nsubjects: []', {}, dir);
    assert.equal(config.api.tokens[0]!.token, 's3cret-token');
    assert.equal(new Authorizer(config.api.tokens).authorize('Bearer s3cret-token', 'observe'), 'ci');
  });
});
