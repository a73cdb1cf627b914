// agents.on_available: one POST per transition to available (after it is stored), retried with backoff on 5xx,
// the secret header from its file, a bounded queue that drops the oldest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { EngineEvent, EngineState } from '../../../src/engine/types.js';
import { createState, upsertSubject } from '../../../src/engine/index.js';
import { AvailableWebhook } from '../../../src/sources/agents/webhook.js';
import { TEST_SETTINGS } from '../../helpers/settings.js';
import { untilTurns } from '../../helpers/until.js';
import { startAgentHarness } from './harness.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A receiver on 127.0.0.1 answering with the statuses in `answers` (then 200). */
async function receiver(answers: number[]) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}/deploy`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const POSTED_ONCE =
  'each transition to available is POSTed once, with the secret header, retried after a 503; a reconnect in the grace sends nothing';

test(POSTED_ONCE, async (t) => {
  const hook = await receiver([503]);
  t.after(() => hook.close());
  const h = await startAgentHarness(
    `agents: { disconnect_grace: 10s, on_available: { url: "${hook.url}", secret_header: Authorization, secret_file: hook-secret, ` +
      'backoff: 1ms, max_backoff: 2ms } }',
    { subjects: 'subjects: [ { id: m1, kind: machine, labels: { site: lab } }, { id: host-1, kind: host } ]' },
  );
  t.after(() => h.close());
  let client = await h.connect('m1');
  await client.next();
  await untilTurns(() => hook.received.length === 2, 'delivery after one retry');
  const [failed, delivered] = hook.received;
  assert.deepEqual(failed!.body, delivered!.body, 'the retry sends the same notification');
  assert.equal(delivered!.headers['authorization'], 'Bearer hook-secret');
  const seq = h.events.find((e) => e.type === 'connectivity')!.seq;
  assert.equal(delivered!.headers['x-vigil-event-seq'], String(seq));
  assert.deepEqual(delivered!.body, {
    seq,
    at: '2026-01-01T00:00:00.000Z',
    subject: 'm1',
    kind: 'machine',
    labels: { site: 'lab' },
    from: null,
    to: 'available',
  });

  // Reconnect inside the grace: no transition, no POST. A host (another kind) connecting: not sent either.
  await client.close();
  await untilTurns(() => h.vigil.state.subjects.get('m1')!.pendingUnavailable !== undefined, 'pending disconnect');
  client = await h.connect('m1');
  await client.next();
  const other = await h.connect('host-1');
  await other.next();
  await untilTurns(() => h.vigil.state.subjects.get('host-1')!.connectivity === 'available', 'host available');

  // A real disconnect and a reconnect: a second POST.
  await client.close();
  await untilTurns(() => h.vigil.state.subjects.get('m1')!.pendingUnavailable !== undefined, 'pending disconnect');
  h.advance(10_000);
  h.tick();
  client = await h.connect('m1');
  await client.next();
  await untilTurns(() => hook.received.length === 3, 'second transition sent');
  assert.equal(hook.received[2]!.body['from'], 'unavailable');
  // The receiver saw the request before vigil saw the answer: wait for the count.
  await untilTurns(() => /vigil_agent_webhook_notifications_total\{result="delivered"\} 2\n/.test(h.extension.metrics!()), 'delivered counted');
  await h.vigil.store.commit();
  assert.equal(hook.received.length, 3);
});

function available(seq: number, subject: string): EngineEvent {
  return { seq, at: 0, subject, type: 'connectivity', from: null, to: 'available' };
}

function stateWith(ids: string[]): EngineState {
  const state = createState(TEST_SETTINGS);
  for (const id of ids) upsertSubject(state, { id, kind: 'machine', labels: {}, dependsOn: [], source: 'agents' }, 0);
  return state;
}

const CONFIG = {
  url: 'http://127.0.0.1:9/hook',
  kinds: ['machine'],
  timeout: 1_000,
  retries: 2,
  backoff: 1,
  maxBackoff: 1,
  queueSize: 2,
  concurrency: 1,
};

test('the queue is bounded: when full the oldest waiting notification is dropped and counted', async () => {
  const posted: string[] = [];
  const releases: (() => void)[] = [];
  const webhook = new AvailableWebhook(CONFIG, {
    fetch: async (_url, init) => {
      posted.push(JSON.parse(String(init!.body)).subject as string);
      await new Promise<void>((resolve) => releases.push(resolve));
      return new Response(null, { status: 204 });
    },
  });
  const state = stateWith(['a', 'b', 'c', 'd']);
  webhook.offer([available(1, 'a'), available(2, 'b'), available(3, 'c'), available(4, 'd')], (id) => state.subjects.get(id));
  assert.deepEqual(webhook.stats, { delivered: 0, failed: 0, dropped: 1, queued: 2 });
  for (let i = 0; i < 3; i++) {
    await untilTurns(() => releases.length > 0, 'a POST in flight');
    releases.shift()!();
  }
  await untilTurns(() => webhook.stats.delivered === 3, 'all delivered');
  assert.deepEqual(posted, ['a', 'c', 'd'], 'b was the oldest waiting when d arrived');
  await webhook.stop();
});

test('a 4xx answer is not retried; network errors are retried up to the limit, then counted as failed', async () => {
  let calls = 0;
  const warnings: Record<string, unknown>[] = [];
  const webhook = new AvailableWebhook(CONFIG, {
    fetch: async () => {
      calls++;
      if (calls === 1) return new Response(null, { status: 400 });
      throw new TypeError('fetch failed');
    },
    warn: (fields) => warnings.push(fields),
  });
  const state = stateWith(['a', 'b']);
  webhook.offer([available(1, 'a')], (id) => state.subjects.get(id));
  await untilTurns(() => webhook.stats.failed === 1, 'first failed');
  assert.equal(calls, 1);
  webhook.offer([available(2, 'b')], (id) => state.subjects.get(id));
  await untilTurns(() => webhook.stats.failed === 2, 'second failed');
  assert.equal(calls, 1 + 3, 'one attempt and two retries');
  assert.deepEqual(warnings, [
    { subject: 'a', seq: 1, problem: 'http_400' },
    { subject: 'b', seq: 2, problem: 'error' },
  ]);
  await webhook.stop();
});
