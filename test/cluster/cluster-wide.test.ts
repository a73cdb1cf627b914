// Three replicas on one real PostgreSQL (separate `vigil serve` processes): list reads on any replica show the
// whole cluster; a maintenance window added or removed through one replica applies on all of them within a couple
// of renew intervals; and kill -9 of a replica does not make any subject's health or connectivity flap: what the
// survivors expose during and after the takeover is what was exposed before.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REPLICA_POLL, startCluster, subjectSamples, TOKEN, type ClusterHarness } from './harness.js';
import type { ServeProcess } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';

const SUBJECTS = 60;
const HOLD_TTL_MS = 4_000;
const RENEW_MS = 1_000;
const ids = Array.from({ length: SUBJECTS }, (_, i) => `s-${String(i).padStart(3, '0')}`);

const get = async (base: string, path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}`, ...headers } });
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    body: res.status === 200 ? ((await res.json()) as { subjects: { id: string }[] }) : undefined,
  };
};

/** Health and connectivity of every subject as one replica exposes them ('-' for connectivity not yet known). */
async function exposure(replica: ServeProcess): Promise<Map<string, string>> {
  const metrics = await (await fetch(`${replica.base}/metrics`)).text();
  const connectivity = subjectSamples(metrics, 'vigil_subject_connectivity');
  const seen = new Map<string, string>();
  for (const [id, health] of subjectSamples(metrics, 'vigil_subject_health'))
    if (id.startsWith('s-')) seen.set(id, `${health}/${connectivity.get(id) ?? '-'}`);
  return seen;
}

describe('cluster-wide reads, maintenance and handover', () => {
  let cluster: ClusterHarness;
  before(async () => {
    cluster = await startCluster({ holdTtl: `${HOLD_TTL_MS}ms`, renewInterval: `${RENEW_MS}ms` });
    for (let i = 0; i < 3; i++) await cluster.add();
    await cluster.settled(cluster.replicas[0]!.base, 3, 30_000);
    // Half ok, half crit, each pushed through some replica (forwarded to its owner).
    for (const [i, id] of ids.entries()) {
      const res = await fetch(`${cluster.replicas[i % 3]!.base}/api/v1/subjects/${id}/checks/probe`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: i % 2 === 0 ? 'ok' : 'crit', message: 'pushed', period: '10m' }),
      });
      assert.equal(res.status < 300, true, `push of ${id}: ${res.status} ${await res.text()}`);
    }
  });
  after(async () => cluster?.cleanup());

  it('lists every subject of the cluster on any replica, sorted by id, with a working ETag', async () => {
    for (const path of ['/api/v1/subjects', '/api/v1/health']) {
      const answers = await Promise.all(cluster.replicas.map((replica) => get(replica.base, path)));
      for (const answer of answers) {
        assert.equal(answer.status, 200);
        assert.deepEqual(
          answer.body!.subjects.map((subject) => subject.id).filter((id) => id.startsWith('s-')),
          ids,
        );
      }
      assert.equal(new Set(answers.map((answer) => answer.etag)).size, 1, 'one ETag for one cluster-wide list');
      assert.equal((await get(cluster.replicas[1]!.base, path, { 'if-none-match': answers[0]!.etag! })).status, 304);
      // Marked as a replica's own fan-out request, each answers its own subjects only: together, each once.
      const own = await Promise.all(cluster.replicas.map((replica) => get(replica.base, path, { 'x-vigil-fanout-by': 'test' })));
      const all = own.flatMap((answer) => answer.body!.subjects.map((subject) => subject.id)).filter((id) => id.startsWith('s-'));
      assert.deepEqual(all.sort(), ids);
      assert.ok(
        own.every((answer) => answer.body!.subjects.length < SUBJECTS),
        'no replica holds every subject',
      );
    }
  });

  it('pages the events of every replica from any replica with the cursor, without gap or duplicate, late lower-block events included', async () => {
    type Page = { events: { seq: number; subject: string }[]; last_seq: number; cursor: string };
    const read = async (base: string, after: string, limit = 7) =>
      (await (await fetch(`${base}/api/v1/events?after=${after}&limit=${limit}`)).json()) as Page;
    const seen: { seq: number; subject: string }[] = [];
    let cursor = '0';
    for (let pages = 0; pages < 200; pages++) {
      const page = await read(cluster.replicas[2]!.base, cursor);
      cursor = page.cursor;
      if (page.events.length === 0) break;
      seen.push(...page.events);
    }
    assert.equal(new Set(seen.map((event) => event.seq)).size, seen.length, 'no event twice');
    assert.deepEqual([...new Set(seen.map((event) => event.subject))].filter((id) => id.startsWith('s-')).sort(), ids);
    // The first replica numbers its events in the lowest block: a change it makes now sorts below what was read.
    // A healthy one (even index), so the crit check below changes its health and makes an event.
    const ownedByFirst = (await get(cluster.replicas[0]!.base, '/api/v1/health', { 'x-vigil-fanout-by': 'test' }))
      .body!.subjects.map((subject) => subject.id)
      .find((id) => ids.indexOf(id) % 2 === 0)!;
    await fetch(`${cluster.replicas[0]!.base}/api/v1/subjects/${ownedByFirst}/checks/late`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'crit', message: 'late', period: '10m' }),
    });
    const late = await until(
      async () => {
        const page = await read(cluster.replicas[1]!.base, cursor, 100);
        return page.events.some((event) => event.subject === ownedByFirst) ? page : undefined;
      },
      'the late event',
      { ...REPLICA_POLL, timeoutMs: 5_000 },
    );
    assert.ok(
      late.events.every((event) => !seen.some((old) => old.seq === event.seq)),
      'nothing read before comes again',
    );
    assert.ok(late.events[0]!.seq < seen.at(-1)!.seq, 'the late event sorts below what was read (a plain after= would skip it)');
  });

  it('applies a maintenance window added or removed on one replica on every replica within a few renew intervals', async () => {
    const now = Date.now();
    const created = await fetch(`${cluster.replicas[0]!.base}/api/v1/maintenance`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        match: { subject: ids },
        starts_at: new Date(now - 1000).toISOString(),
        ends_at: new Date(now + 600_000).toISOString(),
        reason: 'patching',
      }),
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    const inMaintenance = async (replica: ServeProcess) => {
      const metrics = await (await fetch(`${replica.base}/metrics`)).text();
      return [...subjectSamples(metrics, 'vigil_subject_maintenance')].filter(([subject, value]) => subject.startsWith('s-') && value === '1').length;
    };
    const addedAt = Date.now();
    await until(
      async () => {
        const counts = await Promise.all(cluster.replicas.map(inMaintenance));
        return counts.reduce((a, b) => a + b, 0) === SUBJECTS && counts.every((count) => count > 0);
      },
      'every replica applies the new window',
      { ...REPLICA_POLL, timeoutMs: 5 * RENEW_MS },
    );
    assert.ok(Date.now() - addedAt < 5 * RENEW_MS);
    const removed = await fetch(`${cluster.replicas[2]!.base}/api/v1/maintenance/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(removed.status, 204);
    await until(
      async () => {
        const lists = await Promise.all(
          cluster.replicas.map(
            async (replica) => ((await (await fetch(`${replica.base}/api/v1/maintenance`)).json()) as { windows: { id: string }[] }).windows,
          ),
        );
        const counts = await Promise.all(cluster.replicas.map(inMaintenance));
        return lists.every((windows) => windows.every((window) => window.id !== id)) && counts.every((count) => count === 0);
      },
      'every replica drops the removed window',
      { ...REPLICA_POLL, timeoutMs: 5 * RENEW_MS },
    );
  });

  it('shows every subject of the cluster on the status page of any replica, filtered and ordered as one node would', async () => {
    const listed = (html: string) => [...html.matchAll(/data-subject="(s-\d+)"/g)].map((match) => match[1]!);
    const health = (await get(cluster.replicas[0]!.base, '/api/v1/health')).body as { subjects: { id: string; health: string }[] };
    const unhealthy = health.subjects.filter((s) => s.id.startsWith('s-') && s.health === 'unhealthy').map((s) => s.id);
    assert.ok(unhealthy.length >= 25, `the crit pushes made subjects unhealthy: ${unhealthy.length}`);
    for (const replica of cluster.replicas) {
      const page = await fetch(`${replica.base}/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.deepEqual(listed(html).sort(), ids, `${replica.base} lists every subject`);
      // Broken first: the unhealthy ones, in id order, before the others.
      assert.deepEqual(listed(html).slice(0, unhealthy.length), unhealthy);
      const broken = await (await fetch(`${replica.base}/?state=broken&q=s-0`)).text();
      assert.deepEqual(
        listed(broken),
        unhealthy.filter((id) => id.startsWith('s-0')),
      );
    }
  });

  it("opens every subject's page and badges on any replica, from its owner", async () => {
    const owner = async (id: string) => {
      for (const [index, replica] of cluster.replicas.entries()) if ((await exposure(replica)).has(id)) return index;
      throw new Error(`${id} is exposed by no replica`);
    };
    const id = ids[1]!; // crit: unhealthy
    const elsewhere = cluster.replicas[((await owner(id)) + 1) % 3]!;
    const page = await fetch(`${elsewhere.base}/subjects/${id}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok(page.headers.get('content-security-policy'), "the owner's security headers are relayed");
    const html = await page.text();
    assert.match(html, new RegExp(`<h1[^>]*>[^<]*${id}`));
    assert.match(html, /unhealthy/);

    const badge = await fetch(`${elsewhere.base}/badge/${id}.svg`);
    assert.equal(badge.status, 200);
    assert.match(badge.headers.get('content-type') ?? '', /^image\/svg\+xml/);
    assert.match(await badge.text(), /unhealthy/);
    const etag = badge.headers.get('etag');
    assert.ok(etag, 'the ETag is relayed');
    const again = await fetch(`${elsewhere.base}/badge/${id}.svg`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304, 'a conditional request reaches the owner and its 304 comes back');
    const checkBadge = await fetch(`${elsewhere.base}/badge/${id}/probe.svg`);
    assert.equal(checkBadge.status, 200);
    assert.equal((await fetch(`${elsewhere.base}/subjects/no-such-subject`)).status, 404, 'answered by the owner of the unknown id');
  });

  it("keeps every subject's health and connectivity through kill -9 of its owner: the survivors never expose another value", async (t) => {
    const before = new Map<string, string>();
    const exposer = new Map<string, number>();
    for (const [index, replica] of cluster.replicas.entries()) {
      for (const [id, value] of await exposure(replica)) {
        before.set(id, value);
        exposer.set(id, index);
      }
    }
    assert.equal(before.size, SUBJECTS);
    const victim = cluster.replicas[1]!;
    const moving = ids.filter((id) => exposer.get(id) === 1);
    assert.ok(moving.length > 0, 'the victim owns subjects');
    victim.child.kill('SIGKILL');
    await victim.exited;
    const survivors = cluster.replicas.filter((replica) => replica !== victim);
    const killedAt = Date.now();
    let samples = 0;
    const flaps: string[] = [];
    // Poll the survivors' /metrics through the handover: a subject may be absent for a while, never different.
    const final = await until(
      async () => {
        const now = new Map<string, string>();
        for (const replica of survivors) for (const [id, value] of await exposure(replica)) now.set(id, value);
        samples += 1;
        for (const [id, value] of now)
          if (value !== before.get(id)) flaps.push(`${id} exposed as ${value} during the handover, was ${before.get(id)}`);
        return now.size === SUBJECTS ? now : undefined;
      },
      'every subject exposed again by the survivors',
      { ...REPLICA_POLL, timeoutMs: 20_000 },
    );
    assert.deepEqual(flaps, []);
    assert.ok(Date.now() - killedAt < 15_000, `taken over after ${Date.now() - killedAt} ms`);
    assert.deepEqual(final, before);
    assert.ok(samples > 10, `sampled ${samples} times during the handover`);
    t.diagnostic(`${moving.length} subjects moved; survivors' /metrics sampled ${samples} times, no other value seen`);
    // And a little later still (the new owner's ticks after loading do not change them either).
    await new Promise((resolve) => setTimeout(resolve, 2 * RENEW_MS));
    const later = new Map<string, string>();
    for (const replica of survivors) for (const [id, value] of await exposure(replica)) later.set(id, value);
    assert.deepEqual(later, before);
  });
});
