// List + watch against the fake API server: pagination, events, bookmarks, 410 in both forms, server-side close,
// stall detection, back-off after failures, and an absent CRD.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Backoff } from '../../../src/util/backoff.js';
import { KubeClient, type KubeObject } from '../../../src/sources/kubernetes/client/api.js';
import { Informer, type InformerOptions } from '../../../src/sources/kubernetes/client/informer.js';
import { FakeApiServer } from './fake-apiserver.js';
import { untilTurns } from '../../helpers/until.js';

const G = 'example.io';
const V = 'v1';
const P = 'widgets';
const widget = (name: string, namespace = 'ns1', extra: Record<string, unknown> = {}) => ({
  metadata: { name, namespace },
  spec: { size: 1, ...extra },
});

function makeInformer(server: FakeApiServer, overrides: Partial<InformerOptions> = {}) {
  const client = new KubeClient({ server: server.url, insecureSkipTlsVerify: false, authorization: () => undefined, origin: 'test' });
  const changes: { type: string; key: string; size?: unknown }[] = [];
  const informer = new Informer(client, {
    ref: { group: G, version: V, plural: P },
    pageSize: 2,
    watchTimeoutMs: 300_000,
    stallAfterMs: 60_000,
    requestTimeoutMs: 5_000,
    backoff: new Backoff({ min: 10, max: 50, random: () => 0 }),
    random: () => 0.5,
    onChange: (type, object: KubeObject) =>
      changes.push({ type, key: `${object.metadata.namespace}/${object.metadata.name}`, size: object.spec?.['size'] }),
    ...overrides,
  });
  return { informer, client, changes, stop: async () => (await informer.stop(), await client.close()) };
}

describe('informer', () => {
  let server: FakeApiServer;
  before(async () => {
    server = await new FakeApiServer().start();
  });
  after(() => server.stop());

  it('lists page by page, then watches from the list resourceVersion with bookmarks and a random timeout', async () => {
    server.serve(G, V, P);
    for (const name of ['a', 'b', 'c', 'd', 'e']) server.put(G, V, P, widget(name));
    const { informer, changes, stop } = makeInformer(server);
    informer.start();
    await untilTurns(() => server.openWatches === 1, 'the watch');
    assert.equal(informer.objects.size, 5);
    assert.equal(changes.length, 5);
    const lists = server.listRequests(P);
    assert.equal(lists.length, 3, 'five objects at limit=2 take three pages');
    assert.equal(lists[1]!.query['limit'], '2');
    assert.ok(lists[1]!.query['continue']);
    const watch = server.watchRequests(P)[0]!;
    assert.equal(watch.query['allowWatchBookmarks'], 'true');
    assert.equal(watch.query['resourceVersion'], '105');
    assert.equal(watch.query['timeoutSeconds'], '450', '300s × (1 + 0.5)');
    server.put(G, V, P, widget('f'));
    server.put(G, V, P, widget('a', 'ns1', { size: 2 }));
    server.remove(G, V, P, 'b', 'ns1');
    await untilTurns(() => changes.length === 8, 'three watch events');
    assert.deepEqual(changes.slice(5), [
      { type: 'upsert', key: 'ns1/f', size: 1 },
      { type: 'upsert', key: 'ns1/a', size: 2 },
      { type: 'delete', key: 'ns1/b', size: 1 },
    ]);
    assert.deepEqual([...informer.objects.keys()].sort(), ['ns1/a', 'ns1/c', 'ns1/d', 'ns1/e', 'ns1/f']);
    await stop();
    server.closeWatches();
  });

  it('starts again after stop (a replica taking the watch back): lists afresh and reports what changed meanwhile', async () => {
    server.serve(G, V, 'restarted');
    const ref = { group: G, version: V, plural: 'restarted' };
    server.put(G, V, 'restarted', widget('kept'));
    server.put(G, V, 'restarted', widget('gone'));
    const { informer, changes, stop } = makeInformer(server, { ref });
    informer.start();
    await untilTurns(() => server.openWatches === 1, 'the first watch');
    await informer.stop();
    server.closeWatches();
    server.remove(G, V, 'restarted', 'gone', 'ns1');
    server.put(G, V, 'restarted', widget('new'));
    const lists = server.listRequests('restarted').length;
    informer.start();
    await untilTurns(() => server.openWatches === 1 && informer.objects.has('ns1/new'), 'the second watch');
    assert.ok(server.listRequests('restarted').length > lists, 'listed again');
    assert.deepEqual([...informer.objects.keys()].sort(), ['ns1/kept', 'ns1/new']);
    assert.ok(
      changes.some((change) => change.type === 'delete' && change.key === 'ns1/gone'),
      'the object deleted while stopped is reported gone',
    );
    await stop();
    server.closeWatches();
  });

  it('re-watches from the last bookmark when the server ends the stream, without re-listing', async () => {
    server.serve(G, V, 'bookmarked');
    server.put(G, V, 'bookmarked', widget('x'));
    const { informer, stop } = makeInformer(server, { ref: { group: G, version: V, plural: 'bookmarked' } });
    informer.start();
    await untilTurns(() => server.openWatches === 1, 'the first watch');
    server.put(G, V, P, widget('unrelated')); // moves the global resourceVersion on
    const bookmark = server.bookmark();
    await untilTurns(() => (informer as unknown as { resourceVersion: string }).resourceVersion === bookmark, 'bookmark processed');
    server.closeWatches();
    await untilTurns(() => server.watchRequests('bookmarked').length === 2 && server.openWatches === 1, 'the second watch');
    assert.equal(server.watchRequests('bookmarked')[1]!.query['resourceVersion'], bookmark);
    assert.equal(server.listRequests('bookmarked').length, 1, 'a closed stream is re-watched, not re-listed');
    assert.equal(informer.stats.relistsAfterGone, 0);
    await stop();
    server.closeWatches();
  });

  for (const mode of ['http', 'stream'] as const) {
    it(`re-lists after 410 Gone (${mode} form) without losing or duplicating state`, async () => {
      const plural = `gone${mode}`;
      server.serve(G, V, plural);
      server.goneMode = mode;
      for (const name of ['a', 'b', 'c']) server.put(G, V, plural, widget(name));
      const { informer, changes, stop } = makeInformer(server, { ref: { group: G, version: V, plural } });
      informer.start();
      await untilTurns(() => server.openWatches === 1, 'the watch');
      // While the watch is down, the world moves on and the history is compacted.
      server.closeWatches();
      server.remove(G, V, plural, 'b', 'ns1');
      server.put(G, V, plural, widget('a', 'ns1', { size: 7 }));
      server.put(G, V, plural, widget('d'));
      server.compact();
      await untilTurns(() => informer.stats.relistsAfterGone >= 1 && server.openWatches === 1 && server.listRequests(plural).length >= 3, 're-list');
      assert.deepEqual([...informer.objects.keys()].sort(), ['ns1/a', 'ns1/c', 'ns1/d']);
      assert.equal(informer.objects.get('ns1/a')!.spec!['size'], 7);
      const afterGone = changes.slice(3);
      assert.deepEqual(
        afterGone.map((c) => `${c.type} ${c.key}`).sort(),
        ['delete ns1/b', 'upsert ns1/a', 'upsert ns1/d'],
        'the re-list reports exactly the differences: c unchanged is not reported again',
      );
      await stop();
      server.closeWatches();
    });
  }

  it('restarts a watch that stays silent past stall_after', async () => {
    server.serve(G, V, 'stalling');
    server.put(G, V, 'stalling', widget('s'));
    const statuses: string[] = [];
    const { informer, stop } = makeInformer(server, {
      ref: { group: G, version: V, plural: 'stalling' },
      stallAfterMs: 150,
      onStatus: (s) => statuses.push(s.state === 'failed' ? `failed:${s.reason}` : s.state),
    });
    server.silent = true;
    informer.start();
    await untilTurns(() => informer.stats.stalls >= 1 && server.watchRequests('stalling').length >= 2, 'a stall and a new watch');
    server.silent = false;
    assert.ok(statuses.includes('failed:stall'));
    assert.equal(server.listRequests('stalling').length, 1, 'a stall re-watches from the known resourceVersion');
    await stop();
    server.closeWatches();
  });

  it('backs off and retries after a server error, and reports an absent resource', async () => {
    server.serve(G, V, 'flaky');
    const statuses: string[] = [];
    const { informer, stop } = makeInformer(server, {
      ref: { group: G, version: V, plural: 'flaky' },
      onStatus: (s) => statuses.push(s.state === 'failed' ? `failed:${s.reason}` : s.state),
    });
    server.failWith = 500;
    informer.start();
    await untilTurns(() => informer.stats.failures >= 2, 'two failures');
    server.failWith = undefined;
    await untilTurns(() => informer.synced, 'recovery');
    assert.ok(statuses.includes('failed:http_5xx'));
    assert.equal(statuses.at(-1), 'synced');
    await stop();
    server.closeWatches();

    const seen: string[] = [];
    const absent = makeInformer(server, { ref: { group: 'missing.io', version: V, plural: 'nothing' }, onStatus: (s) => seen.push(s.state) });
    absent.informer.start();
    await untilTurns(() => seen.includes('absent'), 'absent');
    assert.match((absent.informer.status as { message: string }).message, /not served/);
    await absent.stop();
  });
});
