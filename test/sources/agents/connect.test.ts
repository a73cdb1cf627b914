// The agent websocket: refused before the upgrade with problem+json, connect → available at once, disconnect →
// unavailable after the grace, reconnect inside the grace → no event, and health never touched by any of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import * as engine from '../../../src/engine/index.js';
import { AgentHub } from '../../../src/sources/agents/hub.js';
import { untilTurns } from '../../helpers/until.js';
import { AGENT_TOKEN, READER_TOKEN, startAgentHarness, type AgentHarness } from './harness.js';

const AGENTS = 'agents: { enabled: true }';

/** Sends a websocket upgrade request by hand and returns the (non-101) answer. */
function upgradeAnswer(
  h: AgentHarness,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(h.base + path, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('upgrade', () => reject(new Error('the upgrade was accepted')));
    req.on('error', reject);
    req.end();
  });
}

test('refusals happen before the upgrade, as problem+json, and change nothing', async (t) => {
  const h = await startAgentHarness(AGENTS);
  t.after(() => h.close());
  const cases: [string, Record<string, string>, number, RegExp][] = [
    ['/api/v1/agents/connect?id=m1', {}, 401, /Authorization: Bearer/],
    ['/api/v1/agents/connect?id=m1', { authorization: 'Bearer wrong' }, 401, /not one of the configured/],
    ['/api/v1/agents/connect?id=m1', { authorization: `Bearer ${READER_TOKEN}` }, 403, /"agent" scope/],
    ['/api/v1/agents/connect', { authorization: `Bearer ${AGENT_TOKEN}` }, 400, /machine id is missing/],
    ['/api/v1/agents/connect?id=a%20b', { authorization: `Bearer ${AGENT_TOKEN}` }, 400, /whitespace/],
  ];
  for (const [path, headers, status, detail] of cases) {
    const answer = await upgradeAnswer(h, path, headers);
    assert.equal(answer.status, status, `${path} ${JSON.stringify(headers)}`);
    assert.equal(answer.type, 'application/problem+json');
    const problem = JSON.parse(answer.body) as { status: number; detail: string };
    assert.equal(problem.status, status);
    assert.match(problem.detail, detail);
  }
  const plain = await fetch(h.base + '/api/v1/agents/connect?id=m1', { headers: { authorization: `Bearer ${AGENT_TOKEN}` } });
  assert.equal(plain.status, 426);
  assert.equal(plain.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal(h.vigil.state.subjects.size, 0);
  assert.deepEqual(h.events, []);
});

test('auto_register: false lets only existing subjects connect', async (t) => {
  const h = await startAgentHarness('agents: { auto_register: false }', { subjects: 'subjects: [ { id: known, kind: machine } ]' });
  t.after(() => h.close());
  const refused = await upgradeAnswer(h, '/api/v1/agents/connect?id=stranger', { authorization: `Bearer ${AGENT_TOKEN}` });
  assert.equal(refused.status, 404);
  assert.match(JSON.parse(refused.body).detail, /auto_register is off/);
  const client = await h.connect('known');
  assert.deepEqual(await client.next(), { type: 'welcome', subject: 'known', kind: 'machine', ping_interval_seconds: 30 });
  await untilTurns(() => h.vigil.state.subjects.get('known')?.connectivity === 'available', 'known available');
  assert.equal(h.vigil.state.subjects.has('stranger'), false);
});

test('connect makes a new machine available at once; its subject is created with kind machine by the agents source', async (t) => {
  const h = await startAgentHarness('agents: { labels: { fleet: edge } }');
  t.after(() => h.close());
  const client = await h.connect('m1');
  await client.next();
  await untilTurns(() => h.vigil.state.subjects.get('m1')?.connectivity === 'available', 'm1 available');
  const m1 = h.vigil.state.subjects.get('m1')!;
  assert.equal(m1.spec.kind, 'machine');
  assert.equal(m1.spec.source, 'agents');
  assert.deepEqual(m1.spec.labels, { fleet: 'edge' });
  assert.equal(m1.lastSeenAt, h.now());
  const connectivity = h.events.filter((e) => e.type === 'connectivity');
  assert.deepEqual(
    connectivity.map((e) => [e.subject, e.from, e.to]),
    [['m1', null, 'available']],
  );
  // The only health event is the new subject's first health, not anything the connection did.
  assert.deepEqual(
    h.events.filter((e) => e.type === 'health').map((e) => e.from),
    [null],
  );
});

test('disconnect → unavailable only after the grace; a reconnect inside it produces no event; health never changes', async (t) => {
  const h = await startAgentHarness('agents: { disconnect_grace: 10s }', { subjects: 'subjects: [ { id: m1, kind: machine } ]' });
  t.after(() => h.close());
  let client = await h.connect('m1');
  await client.next();
  client.send({ type: 'check', check: 'disk', status: 'ok', period: '1h' });
  const m1 = h.vigil.state.subjects.get('m1')!;
  await untilTurns(() => m1.health === 'healthy', 'm1 healthy');
  const healthChanges = m1.healthChanges;
  const before = h.events.length;

  await client.close();
  await untilTurns(() => m1.pendingUnavailable !== undefined, 'pending disconnect');
  assert.equal(m1.pendingUnavailable!.at, h.now() + 10_000);
  assert.equal(m1.connectivity, 'available', 'still available inside the grace');
  h.advance(9_000);
  h.tick();
  assert.equal(m1.connectivity, 'available');

  client = await h.connect('m1');
  await client.next();
  await untilTurns(() => m1.pendingUnavailable === undefined, 'reconnect cancels the pending disconnect');
  h.advance(5_000);
  h.tick();
  assert.equal(m1.connectivity, 'available');
  assert.deepEqual(h.events.slice(before), [], 'a reconnect inside the grace is invisible');

  await client.close();
  await untilTurns(() => m1.pendingUnavailable !== undefined, 'pending disconnect');
  h.advance(10_000);
  h.tick();
  assert.equal(m1.connectivity, 'unavailable');
  assert.equal(m1.connectivityReason, 'agent disconnected');
  assert.deepEqual(
    h.events.slice(before).map((e) => [e.type, e.from, e.to]),
    [['connectivity', 'available', 'unavailable']],
  );
  assert.equal(m1.health, 'healthy', 'a disconnect leaves health as it was');
  assert.equal(m1.healthChanges, healthChanges);

  client = await h.connect('m1');
  await client.next();
  await untilTurns(() => m1.connectivity === 'available', 'available again');
  assert.deepEqual(
    h.events.slice(-1).map((e) => [e.type, e.from, e.to]),
    [['connectivity', 'unavailable', 'available']],
  );
  assert.equal(m1.healthChanges, healthChanges);
});

test('messages: heartbeat, check, metadata, metadata_delete; a bad message is answered with an error and the connection stays', async (t) => {
  const h = await startAgentHarness(AGENTS, { subjects: 'subjects: [ { id: m1, kind: machine } ]' });
  t.after(() => h.close());
  const client = await h.connect('m1');
  await client.next();
  const m1 = h.vigil.state.subjects.get('m1')!;
  await untilTurns(() => m1.connectivity === 'available', 'available');

  h.advance(1_000);
  client.send({ type: 'heartbeat' });
  await untilTurns(() => m1.lastSeenAt === h.now(), 'heartbeat marks contact');

  client.send({ type: 'check', check: 'disk', status: 'warn', message: '91% full', period: '30s', metrics: { used_ratio: 0.91 } });
  await untilTurns(() => m1.checks['disk'] !== undefined, 'check recorded');
  assert.equal(m1.checks['disk']!.reported, 'warn');
  assert.equal(m1.checks['disk']!.source, 'agents');
  assert.equal(m1.checks['disk']!.period, 30_000);
  assert.deepEqual(m1.checks['disk']!.metrics, { used_ratio: 0.91 });
  assert.equal(m1.health, 'healthy', 'a warning is not a health state');
  assert.equal(m1.warnings, 1);

  client.send({ type: 'metadata', key: 'FreeDiskSpace', level: 'info', message: '12 GB free', value: 12e9 });
  await untilTurns(() => m1.metadata['FreeDiskSpace'] !== undefined, 'metadata set');
  assert.equal(m1.metadata['FreeDiskSpace']!.value, 12e9);
  client.send({ type: 'metadata_delete', key: 'FreeDiskSpace' });
  await untilTurns(() => m1.metadata['FreeDiskSpace'] === undefined, 'metadata deleted');

  client.send({ type: 'check', check: 'disk', status: 'fine' });
  assert.match(String((await client.next())['detail']), /^invalid message: status/);
  client.socket.send('not json');
  assert.deepEqual(await client.next(), { type: 'error', detail: 'message is not valid JSON' });
  client.send({ type: 'reboot' });
  assert.match(String((await client.next())['detail']), /type/);
  assert.equal(client.socket.readyState, client.socket.OPEN);
  assert.equal(m1.checks['disk']!.reported, 'warn', 'a refused message changes nothing');
});

test('a second connection of the same machine replaces the first without a disconnect', async (t) => {
  const h = await startAgentHarness(AGENTS, { subjects: 'subjects: [ { id: m1, kind: machine } ]' });
  t.after(() => h.close());
  const first = await h.connect('m1');
  await first.next();
  const closed = new Promise<number>((resolve) => first.socket.once('close', (code) => resolve(code)));
  const second = await h.connect('m1');
  await second.next();
  assert.equal(await closed, 4000);
  const m1 = h.vigil.state.subjects.get('m1')!;
  h.advance(60_000);
  h.tick();
  assert.equal(m1.connectivity, 'available');
  assert.equal(m1.pendingUnavailable, undefined);
  assert.equal(h.extension.metrics!().includes('vigil_agents_connected 1\n'), true);
  assert.equal(h.extension.metrics!().includes('vigil_agent_connections_total 2\n'), true);
});

test('shutdown leaves each connected machine a pending disconnect, so agents that reconnect in the grace cause no event', async (t) => {
  const h = await startAgentHarness(AGENTS, { subjects: 'subjects: [ { id: m1, kind: machine } ]' });
  t.after(() => h.close());
  const client = await h.connect('m1');
  await client.next();
  const m1 = h.vigil.state.subjects.get('m1')!;
  await untilTurns(() => m1.connectivity === 'available', 'available');
  const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
  await h.extension.stop!();
  assert.equal(await closed, 1001);
  assert.equal(m1.connectivity, 'available');
  assert.equal(m1.pendingUnavailable?.reason, 'vigil restarted');
});

test('after a crash, machines left available by agents get the disconnect grace to come back', async (t) => {
  const h = await startAgentHarness('agents: { disconnect_grace: 10s }');
  t.after(() => h.close());
  // What a crashed vigil leaves behind: an agent machine marked available, and nobody connected.
  h.vigil.apply((state, now) => engine.upsertSubject(state, { id: 'm9', kind: 'machine', labels: {}, dependsOn: [], source: 'agents' }, now));
  h.vigil.apply((state, now) => engine.applyConnectivity(state, { subject: 'm9', state: 'available' }, now));
  h.vigil.apply((state, now) => engine.upsertSubject(state, { id: 'api-1', kind: 'machine', labels: {}, dependsOn: [], source: 'api' }, now));
  h.vigil.apply((state, now) => engine.applyConnectivity(state, { subject: 'api-1', state: 'available' }, now));
  const hub = new AgentHub({ kind: 'machine', labels: {}, autoRegister: true, disconnectGrace: 10_000, pingInterval: 0, stormWindow: 0 });
  hub.start(h.vigil.sink()); // adopts what the previous run left
  assert.deepEqual(h.vigil.state.subjects.get('m9')!.pendingUnavailable, { at: h.now() + 10_000, reason: 'no agent connection since vigil started' });
  assert.equal(h.vigil.state.subjects.get('api-1')!.pendingUnavailable, undefined, 'only subjects the agents own');
  await hub.stop();
});

test("an agent's unreachable check is a run, as through the push API (one parser for both): status and counters stay", async (t) => {
  const h = await startAgentHarness(AGENTS, { subjects: 'subjects: [ { id: m1, kind: machine } ]' });
  t.after(() => h.close());
  const client = await h.connect('m1');
  await client.next();
  const m1 = h.vigil.state.subjects.get('m1')!;
  client.send({ type: 'check', check: 'ping', status: 'ok', period: '30s' });
  await untilTurns(() => m1.checks['ping']?.reported === 'ok', 'ok recorded');
  client.send({ type: 'check', check: 'ping', status: 'unreachable', message: 'timeout' });
  await untilTurns(() => m1.runs?.['ping']?.total === 2, 'unreachable run counted');
  assert.deepEqual(m1.runs?.['ping'], { total: 2, last: { ok: 1, unreachable: 2 } });
  assert.equal(m1.checks['ping']!.reported, 'ok', 'the status stays what the last reached run said');
});
