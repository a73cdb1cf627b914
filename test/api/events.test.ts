import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../helpers/api-harness.js';

const PUSH = 'pusher-secret-token';

interface EventsAnswer {
  events: { seq: number; subject: string; type: string; from: string | null; to: string }[];
  last_seq: number;
}

describe('events API', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const push = (subject: string, status: string) => h.request('PUT', `/api/v1/subjects/${subject}/checks/c`, { token: PUSH, body: { status } });
  const events = async (query: string) => (await (await h.request('GET', `/api/v1/events${query}`)).json()) as EventsAnswer;

  it('lists committed events after a sequence number, in order, with no gaps', async () => {
    await push('ev-a', 'ok');
    await push('ev-a', 'crit');
    const all = await events('?after=0');
    const mine = all.events.filter((e) => e.subject === 'ev-a' && e.type === 'health');
    assert.deepEqual(
      mine.map((e) => [e.from, e.to]),
      [
        [null, 'healthy'],
        ['healthy', 'unhealthy'],
      ],
    );
    const seqs = all.events.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    assert.equal(all.last_seq, seqs[seqs.length - 1]);
    const rest = await events(`?after=${seqs[0]}`);
    assert.deepEqual(
      rest.events.map((e) => e.seq),
      seqs.slice(1),
    );
    const limited = await events('?after=0&limit=1');
    assert.equal(limited.events.length, 1);
    const filtered = await events('?after=0&subject=ev-a');
    assert.ok(filtered.events.every((e) => e.subject === 'ev-a'));
  });

  it('long-polls until a new event is committed', async () => {
    const { last_seq } = await events('?after=0');
    const waiting = events(`?after=${last_seq}&wait=30s`);
    await push('ev-b', 'crit');
    const answer = await waiting;
    assert.ok(answer.events.length >= 1);
    assert.ok(answer.events.every((e) => e.seq > last_seq));
    assert.equal(answer.events[0]?.subject, 'ev-b');
  });

  it('returns an empty list when the wait runs out', async () => {
    const { last_seq } = await events('?after=0');
    const answer = await events(`?after=${last_seq}&wait=0.05`);
    assert.deepEqual(answer.events, []);
    assert.equal(answer.last_seq, last_seq);
  });

  it('rejects a bad wait or after', async () => {
    assert.equal((await h.request('GET', '/api/v1/events?wait=forever')).status, 400);
    assert.equal((await h.request('GET', '/api/v1/events?after=-1')).status, 400);
  });

  it('streams events over SSE, replaying from Last-Event-ID', async () => {
    const { last_seq } = await events('?after=0');
    const controller = new AbortController();
    const res = await fetch(`${h.base}/api/v1/events/stream`, {
      headers: { 'last-event-id': String(last_seq - 1) },
      signal: controller.signal,
    });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const dataless: string[] = [];
    const nextFrame = async (): Promise<{ id: number; event: string; data: { subject: string } }> => {
      for (let reads = 0; reads < 100; reads++) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (frame.startsWith(':')) continue;
          // A frame without data dispatches nothing in a browser; it only sets the retry delay or the last id.
          if (!frame.split('\n').some((line) => line.startsWith('data: '))) {
            dataless.push(frame);
            continue;
          }
          const field = (name: string) =>
            frame
              .split('\n')
              .find((line) => line.startsWith(`${name}: `))!
              .slice(name.length + 2);
          return { id: Number(field('id')), event: field('event'), data: JSON.parse(field('data')) };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
      throw new Error('no frame');
    };
    const replayed = await nextFrame();
    assert.equal(replayed.id, last_seq);
    // The prelude gives a browser its resume point even if the stream drops before any event arrives.
    assert.deepEqual(dataless, [`retry: 1000\nid: ${last_seq - 1}`]);
    await push('ev-sse', 'crit');
    // The push causes a connectivity and a health event; both arrive, with consecutive ids.
    let expected = last_seq + 1;
    let live = await nextFrame();
    for (let frames = 0; live.event !== 'health' && frames < 5; frames++) {
      assert.equal(live.id, expected++);
      live = await nextFrame();
    }
    assert.equal(live.id, expected);
    assert.equal(live.event, 'health');
    assert.equal(live.data.subject, 'ev-sse');
    controller.abort();
  });
});
