// `vigil agent` over wss:// to a vigil serving TLS on its one port: the right CA connects (also with a client
// certificate when vigil requires one), a wrong CA is refused, and plain ws:// off loopback needs --insecure.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';
import { after, before, describe, it } from 'node:test';
import { startAgent } from '../../src/agent/index.js';
import { AgentConnection, assertSafeTransport, isLoopbackHost, type AgentLogEvent } from '../../src/agent/client.js';
import { selfTargets } from '../../src/runtime/self-targets.js';
import { AGENT_TOKEN, basic, hash, httpsRequest, makeTlsWorld, startWithWebConfig, type TlsWorld } from './helpers.js';

let world: TlsWorld;
let tokenFile: string;
before(() => {
  world = makeTlsWorld();
  tokenFile = join(world.dir, 'agent-token');
  writeFileSync(tokenFile, `${AGENT_TOKEN}\n`);
});
after(() => world.cleanup());

describe('agent over wss://', () => {
  it('connects with the right CA behind TLS and basic auth on the same port; the wrong CA is refused', async (t) => {
    const vigil = await startWithWebConfig(
      world.dir,
      `tls_server_config:\n  cert_file: ${world.server.cert}\n  key_file: ${world.server.key}\nbasic_auth_users:\n  ops: ${hash('pw')}\n`,
      ['agents: { auto_register: true }'],
    );
    t.after(() => vigil.stop());

    const agent = await startAgent({ server: vigil.base, id: 'm1', tokenFile, caFile: world.ca.cert, heartbeatInterval: '1s' });
    t.after(() => agent.stop());
    await agent.connection.ready();
    const ca = { ca: readFileSync(world.ca.cert, 'utf8') };
    const view = await httpsRequest(`${vigil.base}/api/v1/subjects/m1/health`, ca, { headers: { authorization: basic('ops', 'pw') } });
    assert.equal(view.status, 200, view.body);
    assert.equal(JSON.parse(view.body).connectivity, 'available');

    const events: AgentLogEvent[] = [];
    const wrong = await startAgent({ server: vigil.base, id: 'm2', tokenFile, caFile: world.otherCa.cert }, (event) => events.push(event));
    t.after(() => wrong.stop());
    await until(() => events.some((event) => event.event === 'error'), 'the TLS refusal', { timeoutMs: 10_000 });
    assert.match((events.find((event) => event.event === 'error') as { detail: string }).detail, /self-signed|unable to verify|certificate/i);
    assert.equal(wrong.connection.connects, 0);
    const unknown = await httpsRequest(`${vigil.base}/api/v1/subjects/m2`, ca, { headers: { authorization: basic('ops', 'pw') } });
    assert.equal(unknown.status, 404, 'the refused agent never reached vigil');
  });

  it('presents its client certificate when vigil requires one', async (t) => {
    const vigil = await startWithWebConfig(
      world.dir,
      `tls_server_config:\n  cert_file: ${world.server.cert}\n  key_file: ${world.server.key}\n` +
        `  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${world.ca.cert}\n`,
      ['agents: { auto_register: true }'],
    );
    t.after(() => vigil.stop());
    const events: AgentLogEvent[] = [];
    const without = await startAgent({ server: vigil.base, id: 'm3', tokenFile, caFile: world.ca.cert }, (event) => events.push(event));
    t.after(() => without.stop());
    const agent = await startAgent({
      server: vigil.base,
      id: 'm4',
      tokenFile,
      caFile: world.ca.cert,
      certFile: world.client.cert,
      keyFile: world.client.key,
    });
    t.after(() => agent.stop());
    await agent.connection.ready();
    await until(
      () => events.some((event) => event.event === 'error' || event.event === 'disconnected'),
      'the refusal of the agent without a certificate',
      { timeoutMs: 10_000 },
    );
    assert.equal(without.connection.connects, 0);
  });
});

describe('plain ws://', () => {
  it('is refused to a host off loopback unless --insecure; loopback is fine', () => {
    assert.throws(
      () => assertSafeTransport('ws://vigil.example.org:9977/api/v1/agents/connect', false),
      /refusing plain ws:\/\/ to vigil\.example\.org.*--insecure/,
    );
    assert.doesNotThrow(() => assertSafeTransport('ws://vigil.example.org:9977/x', true));
    assert.doesNotThrow(() => assertSafeTransport('wss://vigil.example.org/x', false));
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', 'a.localhost']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['10.0.0.1', 'vigil', '[::2]', '128.0.0.1', 'localhost.example.org']) assert.ok(!isLoopbackHost(host), host);
    assert.throws(
      () => new AgentConnection({ server: 'http://192.0.2.7:9977', id: 'm1', token: 't', heartbeatInterval: 0 }),
      /refusing plain ws:\/\/ to 192\.0\.2\.7/,
    );
  });

  it('vigil agent, the command, exits 1 and says why', () => {
    const result = spawnSync(process.execPath, [CLI, 'agent', '--server', 'http://192.0.2.7:9977', '--id', 'm1', '--token-file', tokenFile], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /refusing plain ws:\/\/ to 192\.0\.2\.7.*--insecure/);
    assert.doesNotMatch(result.stderr, new RegExp(AGENT_TOKEN));
  });
});

describe('the embedded default behind TLS', () => {
  it('probes its own /-/healthy over https (loopback, certificate not checked: it names the public host)', () => {
    const targets = selfTargets({ host: '0.0.0.0', port: 9977 }, '/var/lib/vigil/vigil.db', true) as unknown as {
      name: string;
      url?: string;
      insecure_skip_verify?: boolean;
    }[];
    const health = targets.find((target) => target.name === 'vigil-health')!;
    assert.equal(health.url, 'https://127.0.0.1:9977/-/healthy');
    assert.equal(health.insecure_skip_verify, true);
    const plain = (selfTargets({ host: '::', port: 9977 }, '/tmp/v.db') as unknown as { name: string; url?: string }[]).find(
      (t) => t.name === 'vigil-health',
    )!;
    assert.equal(plain.url, 'http://[::1]:9977/-/healthy');
  });
});
