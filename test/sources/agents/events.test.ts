// Auto-deploy consumers: connectivity events reach the events API (long-poll and SSE) in order, with no gap and no
// duplicate, while agents connect and disconnect and while the consumer itself reconnects with after=SEQ / Last-Event-ID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent } from '../../../src/engine/types.js';
import { untilTurns } from '../../helpers/until.js';
import { startAgentHarness, type AgentHarness } from './harness.js';

interface ApiEvent {
  seq: number;
  subject: string;
  type: string;
  from: string | null;
  to: string;
}

const MACHINES = ['m1', 'm2', 'm3'];
const CYCLES = 4;

/** Connect all machines, then for each cycle disconnect them past the grace and reconnect them. */
async function churn(h: AgentHarness): Promise<void> {
  let clients = await Promise.all(MACHINES.map((id) => h.connect(id)));
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    await untilTurns(() => MACHINES.every((id) => h.vigil.state.subjects.get(id)?.connectivity === 'available'), 'all available');
    await Promise.all(clients.map((client) => client.close()));
    await untilTurns(() => MACHINES.every((id) => h.vigil.state.subjects.get(id)?.pendingUnavailable !== undefined), 'all pending');
    h.advance(1_000);
    h.tick();
    clients = await Promise.all(MACHINES.map((id) => h.connect(id)));
  }
  await untilTurns(() => MACHINES.every((id) => h.vigil.state.subjects.get(id)?.connectivity === 'available'), 'all available');
  await h.vigil.store.commit();
}

const expectedConnectivity = (events: EngineEvent[]) =>
  events.filter((e) => e.type === 'connectivity').map((e) => ({ seq: e.seq, subject: e.subject, type: e.type, from: e.from, to: e.to }));

test('long-poll with after=SEQ and small pages: every connectivity event once, in seq order, across agent reconnects', async (t) => {
  const h = await startAgentHarness('agents: { disconnect_grace: 1s }');
  t.after(() => h.close());
  const seen: ApiEvent[] = [];
  let after = 0;
  let stop = false;
  // The consumer "reconnects" for every page: each request is a fresh long-poll resuming at the last seq it saw.
  const consumer = (async () => {
    for (let polls = 0; polls < 500 && !stop; polls++) {
      const response = await fetch(`${h.base}/api/v1/events?after=${after}&limit=3&wait=200ms`);
      const page = (await response.json()) as { events: ApiEvent[]; last_seq: number };
      for (const event of page.events) seen.push(event);
      after = page.last_seq;
    }
  })();
  await churn(h);
  const expected = expectedConnectivity(h.events);
  assert.equal(expected.length, MACHINES.length * (1 + 2 * CYCLES));
  await untilTurns(() => after >= h.vigil.state.seq, 'consumer caught up', 10_000);
  stop = true;
  await consumer;
  const seqs = seen.map((e) => e.seq);
  assert.deepEqual(
    seqs,
    Array.from({ length: h.vigil.state.seq }, (_, i) => i + 1),
    'every seq once, in order, no gap',
  );
  assert.deepEqual(
    seen.filter((e) => e.type === 'connectivity').map(({ seq, subject, type, from, to }) => ({ seq, subject, type, from, to })),
    expected,
  );
});

/** Reads an SSE stream until `count` events arrived or it ends; returns them and aborts the request. */
async function readSse(url: string, headers: Record<string, string>, count: number): Promise<ApiEvent[]> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: ApiEvent[] = [];
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0 && events.length < count) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (data) events.push(JSON.parse(data.slice(6)) as ApiEvent);
    }
  }
  controller.abort();
  return events;
}

test('SSE: a consumer that drops the stream and resumes with Last-Event-ID misses nothing and sees nothing twice', async (t) => {
  const h = await startAgentHarness('agents: { disconnect_grace: 1s }');
  t.after(() => h.close());
  // The first stream is live while the agents churn; it drops after 10 events and the consumer resumes later.
  const live = readSse(`${h.base}/api/v1/events/stream?after=0`, {}, 10);
  await churn(h);
  const first = await live;
  const total = h.vigil.state.seq;
  const lastId = first[first.length - 1]!.seq;
  const rest = await readSse(`${h.base}/api/v1/events/stream`, { 'last-event-id': String(lastId) }, total - first.length);
  const all = [...first, ...rest];
  assert.deepEqual(
    all.map((e) => e.seq),
    Array.from({ length: total }, (_, i) => i + 1),
  );
  const connectivity = all.filter((e) => e.type === 'connectivity').map(({ seq, subject, type, from, to }) => ({ seq, subject, type, from, to }));
  assert.deepEqual(connectivity, expectedConnectivity(h.events));
  // Per machine the transitions alternate: null → available, then unavailable/available pairs.
  for (const id of MACHINES) {
    const transitions: string[] = connectivity.filter((e) => e.subject === id).map((e) => e.to);
    assert.deepEqual(transitions, ['available', ...Array.from({ length: CYCLES }, () => ['unavailable', 'available']).flat()]);
  }
});
