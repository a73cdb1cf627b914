import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { acceptsGzip, createMetricsEndpoint, type StoreStatsLike } from '../../../src/exporter/metrics/self.js';
import { parseExposition, seriesKey, seriesMap } from './exposition-parser.js';
import { makeSubject, makeState, realisticState } from './factory.js';

const STORE: StoreStatsLike = { transactions: 12, rowsWritten: 340, lastFlushDurationMs: 2.5, pendingSubjects: 3, sizeBytes: 65_536 };
const key = (name: string, labels: Record<string, string> = {}): string => seriesKey({ name, labels });

describe('createMetricsEndpoint', () => {
  it('joins self-metrics and subject families into one exposition', async () => {
    const state = realisticState();
    state.subjects.set('h2', makeSubject('h2'));
    const endpoint = createMetricsEndpoint({ state: () => state, storeStats: () => STORE, version: '1.2.3' });
    const { body, contentType } = await endpoint.render();
    assert.equal(contentType, 'text/plain; version=0.0.4; charset=utf-8');
    const parsed = parseExposition(body);
    const series = seriesMap(parsed); // throws on a duplicate series
    assert.equal(series.get(key('vigil_build_info', { version: '1.2.3' })), 1);
    assert.equal(series.get(key('vigil_store_transactions_total')), 12);
    assert.equal(series.get(key('vigil_store_rows_written_total')), 340);
    assert.equal(series.get(key('vigil_store_last_flush_duration_seconds')), 0.0025);
    assert.equal(series.get(key('vigil_store_pending_subjects')), 3);
    assert.equal(series.get(key('vigil_store_size_bytes')), 65_536);
    assert.equal(series.get(key('vigil_subjects', { kind: 'target' })), 1);
    assert.equal(series.get(key('vigil_subjects', { kind: 'experiment' })), 1);
    assert.equal(series.get(key('vigil_subjects', { kind: 'host' })), 1);
    assert.equal(series.get(key('vigil_events_seq')), 42);
    assert.equal(series.get(key('vigil_subject_health', { subject: 'h2', kind: 'host', state: 'healthy' })), 1);
    assert.ok(
      [...series.keys()].some((k) => k.startsWith('process_cpu_user_seconds_total')),
      'default process metrics',
    );
    assert.ok(
      [...series.keys()].some((k) => k.startsWith('nodejs_heap_size_used_bytes')),
      'default nodejs metrics',
    );
    for (const [name, info] of parsed.families) assert.equal(info.typeLines, 1, name);
  });

  it('reports the previous scrape duration and series count, and follows the store', async () => {
    let now = 1_000;
    let store = STORE;
    const state = makeState([makeSubject('a')]);
    const endpoint = createMetricsEndpoint({
      state: () => state,
      storeStats: () => store,
      version: 'test',
      clock: () => (now += 250), // every reading is 250 ms after the last one
    });
    const first = seriesMap(parseExposition((await endpoint.render()).body));
    assert.equal(first.get(key('vigil_scrape_duration_seconds')), 0);
    assert.equal(first.get(key('vigil_scrape_series')), 0);
    store = { ...STORE, transactions: 13 };
    const secondText = (await endpoint.render()).body;
    const second = seriesMap(parseExposition(secondText));
    assert.equal(second.get(key('vigil_scrape_duration_seconds')), 0.25);
    assert.equal(second.get(key('vigil_scrape_series')), first.size);
    assert.equal(second.get(key('vigil_store_transactions_total')), 13);
  });

  it('serves the same exposition as bytes, in a buffer of its own', async () => {
    const state = realisticState();
    const endpoint = createMetricsEndpoint({ state: () => state, storeStats: () => STORE, version: 'test' });
    const text = (await endpoint.render()).body;
    const first = await endpoint.renderBytes();
    const large = (body: string): string => body.slice(body.indexOf('# HELP vigil_subject_info'));
    assert.equal(first.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    const firstText = first.body.toString('utf8');
    assert.equal(large(firstText), large(text));
    assert.ok(firstText.startsWith('# HELP'), 'prom-client families first');
    seriesMap(parseExposition(firstText));
    state.subjects.clear();
    await endpoint.renderBytes(); // a later scrape must not overwrite the earlier body
    assert.equal(first.body.toString('utf8'), firstText);
  });

  it('appends extension families to both forms and counts their series', async () => {
    const extra = '# HELP vigil_agents_connected Agents connected now.\n# TYPE vigil_agents_connected gauge\nvigil_agents_connected 4\n';
    const state = makeState([makeSubject('a')]);
    const endpoint = createMetricsEndpoint({ state: () => state, storeStats: () => STORE, version: 'test', extra: [() => extra] });
    const text = (await endpoint.render()).body;
    const bytes = (await endpoint.renderBytes()).body.toString('utf8');
    for (const body of [text, bytes]) {
      assert.ok(body.endsWith(extra));
      assert.equal(seriesMap(parseExposition(body)).get(key('vigil_agents_connected')), 4);
    }
    const third = seriesMap(parseExposition((await endpoint.render()).body));
    assert.equal(third.get(key('vigil_scrape_series')), seriesMap(parseExposition(bytes)).size);
  });

  it('drops kinds that no longer have subjects', async () => {
    const state = makeState([makeSubject('a'), makeSubject('b', { spec: { id: 'b', kind: 'switch', labels: {}, dependsOn: [], source: 'config' } })]);
    const endpoint = createMetricsEndpoint({ state: () => state, storeStats: () => STORE, version: 'test' });
    assert.equal(seriesMap(parseExposition((await endpoint.render()).body)).get(key('vigil_subjects', { kind: 'switch' })), 1);
    state.subjects.delete('b');
    assert.equal(seriesMap(parseExposition((await endpoint.render()).body)).has(key('vigil_subjects', { kind: 'switch' })), false);
  });
});

describe('acceptsGzip', () => {
  it('negotiates gzip from Accept-Encoding', () => {
    assert.equal(acceptsGzip(undefined), false);
    assert.equal(acceptsGzip(''), false);
    assert.equal(acceptsGzip('gzip'), true);
    assert.equal(acceptsGzip('deflate, GZIP;q=0.5'), true);
    assert.equal(acceptsGzip('gzip;q=0'), false);
    assert.equal(acceptsGzip('gzip;q=0, *'), false);
    assert.equal(acceptsGzip('identity, *;q=0.1'), true);
    assert.equal(acceptsGzip('br'), false);
  });

  it('serves gzip members that decode to the plain body, and plain bytes when gzip is not accepted', async () => {
    const endpoint = createMetricsEndpoint({ state: () => realisticState(), storeStats: () => STORE, version: '1.2.3', clock: () => 0 });
    const gzip = await endpoint.renderEncoded('gzip');
    assert.equal(gzip.encoding, 'gzip');
    const body = Buffer.concat(gzip.parts);
    assert.equal(body.length, gzip.length);
    const plain = await endpoint.renderEncoded('identity');
    assert.equal(plain.encoding, undefined);
    // Process and scrape self-metrics move between two scrapes; the subject families do not.
    const large = (text: string) => text.split('\n').filter((line) => /^vigil_(subject|check|probe|source)_/.test(line));
    assert.deepEqual(large(gunzipSync(body).toString('utf8')), large(Buffer.concat(plain.parts).toString('utf8')));
    assert.ok(large(Buffer.concat(plain.parts).toString('utf8')).length > 20);
  });
});
