// Finding the API server: kubeconfig (token, tokenFile re-read, client certificates, refused exec users),
// $KUBECONFIG, the in-cluster service account with token rotation; and a TLS API server behind a test CA.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { KubeApiError, KubeClient } from '../../../src/sources/kubernetes/client/api.js';
import { KubeconfigError, resolveConnection, TOKEN_REREAD_MS } from '../../../src/sources/kubernetes/client/connection.js';
import { failureReason } from '../../../src/sources/kubernetes/client/informer.js';
import { FakeApiServer } from './fake-apiserver.js';
import { makeTestPki, type TestPki } from './helpers.js';

function kubeconfig(dir: string, server: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const path = join(dir, 'config');
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'test',
      clusters: [{ name: 'c', cluster: { server, ...cluster } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'test', context: { cluster: 'c', user: 'u', namespace: 'team' } }],
    }),
  );
  return path;
}

const execFileAsync = promisify(execFile);
const tempDir = () => mkdtempSync(join(tmpdir(), 'vigil-kubeconfig-'));

describe('connection', () => {
  let pki: TestPki;
  let server: FakeApiServer;
  before(async () => {
    pki = makeTestPki();
    server = await new FakeApiServer({ token: 's3cret', tls: { cert: pki.cert, key: pki.key, ca: pki.ca } }).start();
    server.serve('example.io', 'v1', 'things');
    server.put('example.io', 'v1', 'things', { metadata: { name: 'one', namespace: 'team' } });
  });
  after(() => server.stop());

  it('talks TLS to an API server signed by the kubeconfig CA, with a bearer token', async () => {
    const dir = tempDir();
    const path = kubeconfig(dir, server.url, { token: 's3cret' }, { 'certificate-authority': pki.caFile });
    const connection = resolveConnection({ kubeconfig: path, env: {} });
    assert.equal(connection.namespace, 'team');
    assert.doesNotMatch(connection.origin, /s3cret/);
    const client = new KubeClient(connection);
    const list = (await client.getJson('/apis/example.io/v1/things', {}, AbortSignal.timeout(5000))) as { items: unknown[] };
    assert.equal(list.items.length, 1);
    await client.close();
  });

  it('authenticates a client-certificate user over TLS', async () => {
    const path = kubeconfig(
      tempDir(),
      server.url,
      { 'client-certificate': pki.clientCertFile, 'client-key': pki.clientKeyFile },
      { 'certificate-authority': pki.caFile },
    );
    const client = new KubeClient(resolveConnection({ kubeconfig: path, env: {} }));
    const list = (await client.getJson('/apis/example.io/v1/things', {}, AbortSignal.timeout(5000))) as { items: unknown[] };
    assert.equal(list.items.length, 1);
    await client.close();
  });

  it('refuses a server its CA does not vouch for, and reports 401 for a wrong token', async () => {
    const dir = tempDir();
    const noCa = new KubeClient(resolveConnection({ kubeconfig: kubeconfig(dir, server.url, { token: 's3cret' }), env: {} }));
    await assert.rejects(noCa.getJson('/apis/example.io/v1/things', {}, AbortSignal.timeout(5000)), (error) => failureReason(error) === 'tls');
    await noCa.close();
    const data = Buffer.from(pki.ca).toString('base64');
    const wrong = new KubeClient(
      resolveConnection({ kubeconfig: kubeconfig(dir, server.url, { token: 'nope' }, { 'certificate-authority-data': data }), env: {} }),
    );
    await assert.rejects(wrong.getJson('/apis/example.io/v1/things', {}, AbortSignal.timeout(5000)), (error) => {
      assert.ok(error instanceof KubeApiError);
      assert.equal(error.status, 401);
      assert.doesNotMatch(error.message, /nope/);
      return true;
    });
    await wrong.close();
  });

  it('speaks a wire format kubectl understands (list, and a watch the server ends at timeoutSeconds)', async () => {
    const path = kubeconfig(tempDir(), server.url, { token: 's3cret' }, { 'certificate-authority': pki.caFile });
    // Asynchronous: the fake server answers from this very process.
    const kubectl = async (raw: string) => {
      try {
        return (await execFileAsync('kubectl', ['--kubeconfig', path, 'get', '--raw', raw], { encoding: 'utf8', timeout: 10_000 })).stdout;
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') throw new Error('this test needs kubectl as an independent client: install kubectl');
        throw error;
      }
    };
    const list = JSON.parse(await kubectl('/apis/example.io/v1/things?limit=1')) as {
      metadata: { resourceVersion: string };
      items: { metadata: { name: string } }[];
    };
    assert.deepEqual(
      list.items.map((i) => i.metadata.name),
      ['one'],
    );
    const lines = (await kubectl('/apis/example.io/v1/things?watch=1&timeoutSeconds=1'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    assert.deepEqual(
      lines.map((l) => l.type),
      ['ADDED'],
    );
  });

  it('finds the kubeconfig through $KUBECONFIG and reads client certificates relative to it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'client.crt'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    const path = kubeconfig(dir, 'https://10.0.0.1:6443/', { 'client-certificate': 'client.crt', 'client-key': 'client.key' });
    const connection = resolveConnection({ env: { KUBECONFIG: `${join(dir, 'missing')}:${path}` } });
    assert.equal(connection.server, 'https://10.0.0.1:6443');
    assert.equal(connection.cert, 'CERT');
    assert.equal(connection.key, 'KEY');
    assert.equal(connection.authorization(), undefined);
  });

  it('refuses exec and auth-provider users with a message saying what to do', () => {
    const dir = tempDir();
    for (const user of [{ exec: { command: 'gke-gcloud-auth-plugin' } }, { 'auth-provider': { name: 'oidc' } }]) {
      assert.throws(
        () => resolveConnection({ kubeconfig: kubeconfig(dir, 'https://10.0.0.1', user), env: {} }),
        (error) => error instanceof KubeconfigError && /does not run/.test(error.message) && /token/.test(error.message),
      );
    }
    assert.throws(() => resolveConnection({ kubeconfig: join(dir, 'absent'), env: {} }), /cannot read kubeconfig/);
  });

  it('uses the in-cluster service account and re-reads a rotated token after a minute', () => {
    const files: Record<string, string> = { '/sa/token': 'first', '/sa/ca.crt': 'CA', '/sa/namespace': 'vigil\n' };
    let now = 0;
    const connection = resolveConnection({
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountDir: '/sa',
      readFile: (path) => {
        const content = files[path];
        if (content === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        return content;
      },
      now: () => now,
    });
    assert.equal(connection.server, 'https://[fd00::1]:443');
    assert.equal(connection.ca, 'CA');
    assert.equal(connection.namespace, 'vigil');
    assert.equal(connection.authorization(), 'Bearer first');
    files['/sa/token'] = 'second';
    now = TOKEN_REREAD_MS - 1;
    assert.equal(connection.authorization(), 'Bearer first', 'not re-read within a minute');
    now = TOKEN_REREAD_MS;
    assert.equal(connection.authorization(), 'Bearer second');
    assert.throws(() => resolveConnection({ env: {} }), /KUBERNETES_SERVICE_HOST/);
  });
});
