import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { problemOf, startHarness, type Harness } from '../helpers/api-harness.js';

const HOST_SPEC = { id: 'sw1', kind: 'switch', labels: {}, dependsOn: [], source: 'config' };

describe('API authorisation and rejections', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ subjects: [HOST_SPEC] });
  });
  after(() => h.close());

  /** Everything a rejection must leave untouched. */
  const snapshot = async () => {
    const subjects = await h.request('GET', '/api/v1/subjects');
    const health = await h.request('GET', '/api/v1/health');
    return { subjects: await subjects.text(), health: await health.text(), seq: h.vigil.state.seq };
  };

  it('answers 401 with WWW-Authenticate when no token is given', async () => {
    const before = await snapshot();
    const res = await h.request('PUT', '/api/v1/subjects/web/checks/http', { body: { status: 'ok' } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    const problem = await problemOf(res);
    assert.equal(problem.status, 401);
    assert.match(problem.detail, /Authorization: Bearer/);
    assert.deepEqual(await snapshot(), before);
  });

  it('answers 401 for an unknown token and 403 for a token without the scope', async () => {
    const unknown = await h.request('PUT', '/api/v1/subjects/web/checks/http', { token: 'nope', body: { status: 'ok' } });
    assert.equal(unknown.status, 401);
    assert.match((await problemOf(unknown)).detail, /not one of the configured/);
    const before = await snapshot();
    const wrongScope = await h.request('PUT', '/api/v1/subjects/web/checks/http', { token: 'ops-secret-token', body: { status: 'ok' } });
    assert.equal(wrongScope.status, 403);
    const problem = await problemOf(wrongScope);
    assert.match(problem.detail, /"ops" lacks the "observe" scope/);
    assert.doesNotMatch(JSON.stringify(problem), /secret-token/);
    assert.deepEqual(await snapshot(), before);
  });

  it('lets the admin scope do everything', async () => {
    const res = await h.request('PUT', '/api/v1/subjects/adm/checks/c', { token: 'admin-secret-token', body: { status: 'ok' } });
    assert.equal(res.status, 200);
  });

  it('rejects invalid bodies with every issue listed and changes nothing', async () => {
    const before = await snapshot();
    const res = await h.request('PUT', '/api/v1/subjects/web/checks/http', {
      token: 'pusher-secret-token',
      body: { status: 'fine', period: 'soon', extra: 1 },
    });
    assert.equal(res.status, 400);
    const problem = await problemOf(res);
    const paths = (problem.errors ?? []).map((e) => e.path).sort();
    assert.deepEqual(paths, ['(body)', 'period', 'status']);
    assert.deepEqual(await snapshot(), before);
  });

  it('rejects malformed JSON, a missing body, bad ids and oversize bodies', async () => {
    const before = await snapshot();
    const malformed = await h.request('PUT', '/api/v1/subjects/web/checks/http', { token: 'pusher-secret-token', raw: '{"status":' });
    assert.equal(malformed.status, 400);
    assert.match((await problemOf(malformed)).detail, /not valid JSON/);
    const missing = await h.request('PUT', '/api/v1/subjects/web/checks/http', { token: 'pusher-secret-token' });
    assert.equal(missing.status, 400);
    const badId = await h.request('PUT', '/api/v1/subjects/%20bad/checks/http', { token: 'pusher-secret-token', body: { status: 'ok' } });
    assert.equal(badId.status, 400);
    assert.match((await problemOf(badId)).detail, /invalid subject id/);
    const huge = await h.request('POST', '/api/v1/observations', {
      token: 'pusher-secret-token',
      raw: JSON.stringify([{ subject: 'x', check: 'y', status: 'ok', message: 'z'.repeat(100 * 1024) }]),
    });
    assert.equal(huge.status, 413);
    assert.deepEqual(await snapshot(), before);
  });

  it('rejects names every JavaScript object already has (__proto__, constructor, toString) with 400, changing nothing', async () => {
    const before = await snapshot();
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const check = await h.request('PUT', `/api/v1/subjects/web/checks/${name}`, { token: 'pusher-secret-token', body: { status: 'crit' } });
      assert.equal(check.status, 400, `check ${name}`);
      assert.match((await problemOf(check)).detail, /reserved/);
      const batch = await h.request('POST', '/api/v1/observations', {
        token: 'pusher-secret-token',
        body: [{ subject: name, check: 'c', status: 'ok' }],
      });
      assert.equal(batch.status, 400, `subject ${name}`);
      const metadata = await h.request('PUT', `/api/v1/subjects/sw1/metadata/${name}`, {
        token: 'ops-secret-token',
        body: { level: 'info', message: 'x' },
      });
      assert.equal(metadata.status, 400, `metadata ${name}`);
    }
    assert.deepEqual(await snapshot(), before);
  });

  it('rejects a whole observation batch when one entry is invalid', async () => {
    const before = await snapshot();
    const res = await h.request('POST', '/api/v1/observations', {
      token: 'pusher-secret-token',
      body: [
        { subject: 'a', check: 'c', status: 'ok' },
        { subject: 'b', check: 'c', status: 'bad' },
      ],
    });
    assert.equal(res.status, 400);
    assert.equal((await problemOf(res)).errors?.[0]?.path, '1.status');
    assert.deepEqual(await snapshot(), before);
    assert.equal(h.vigil.state.subjects.has('a'), false);
  });

  it('refuses to change or delete a subject defined in the config file', async () => {
    const put = await h.request('PUT', '/api/v1/subjects/sw1', { token: 'admin-secret-token', body: { kind: 'switch' } });
    assert.equal(put.status, 409);
    const del = await h.request('DELETE', '/api/v1/subjects/sw1', { token: 'admin-secret-token' });
    assert.equal(del.status, 409);
  });

  it('answers 404 and 405 as problems', async () => {
    const missing = await h.request('GET', '/api/v1/subjects/ghost');
    assert.equal(missing.status, 404);
    assert.equal((await problemOf(missing)).title, 'Not Found');
    const noRoute = await h.request('GET', '/api/v1/nothing');
    assert.equal(noRoute.status, 404);
    const wrongMethod = await h.request('POST', '/api/v1/health', { token: 'admin-secret-token' });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'GET');
    await problemOf(wrongMethod);
    const disabled = await h.request('POST', '/api/v1/heartbeats', { body: {} });
    assert.equal(disabled.status, 404);
    assert.match((await problemOf(disabled)).detail, /not enabled/);
  });
});
