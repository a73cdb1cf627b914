// Heartbeats: the receiver in binary and structured mode, its refusals (problem+json, nothing changed), and a
// round trip sender → fake broker (which re-delivers in structured mode, like a knative filter may) → receiver.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import express from 'express';
import { Authorizer } from '../../../src/exporter/auth.js';
import { problemHandler } from '../../../src/exporter/problem.js';
import { binaryHeaders, parseCloudEvent } from '../../../src/sources/kubernetes/heartbeat/cloudevent.js';
import { HeartbeatMonitor, signHeartbeat, type HeartbeatPayload } from '../../../src/sources/kubernetes/heartbeat/monitor.js';
import { heartbeatRoutes } from '../../../src/sources/kubernetes/heartbeat/receiver.js';
import { HeartbeatSender } from '../../../src/sources/kubernetes/heartbeat/sender.js';

const KEY = 'heartbeat-key';
const TYPE = 'io.vigil.heartbeat';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('heartbeats', () => {
  let monitor: HeartbeatMonitor;
  let received: string[];
  let url: string;
  let server: Server;
  const now = Date.UTC(2026, 0, 1);

  before(async () => {
    const app = express();
    app.use(
      '/api/v1',
      heartbeatRoutes({
        monitor: { recordReceived: (...args: Parameters<HeartbeatMonitor['recordReceived']>) => monitor.recordReceived(...args) } as HeartbeatMonitor,
        auth: new Authorizer([
          { name: 'probe', token: 'observer-token', scopes: ['observe'] },
          { name: 'meta', token: 'meta-token', scopes: ['metadata'] },
        ]),
        key: KEY,
        type: TYPE,
        now: () => now,
        onReceived: (application, namespace) => received.push(`${namespace}/${application}`),
      }),
    );
    app.use(problemHandler(() => undefined));
    server = createServer(app);
    url = `${await listen(server)}/api/v1/heartbeats`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    monitor = new HeartbeatMonitor(30_000, 3);
    monitor.setPairs([{ application: 'shop', namespace: 'orders' }], now);
    received = [];
  });

  const payload = (extra: Partial<HeartbeatPayload> = {}): HeartbeatPayload => ({
    id: 'hb-1',
    application: 'shop',
    namespace: 'orders',
    sentAt: now - 250,
    ...extra,
  });
  const binary = (p: HeartbeatPayload, signature = signHeartbeat(KEY, p), type = TYPE) => ({
    method: 'POST',
    headers: binaryHeaders({
      specversion: '1.0',
      id: p.id,
      source: 'shop',
      type,
      time: new Date(p.sentAt).toISOString(),
      extensions: { eventtypeversion: 'v1', vigilsignature: signature },
    }),
    body: JSON.stringify({ application: p.application, sent_at: p.sentAt, ...(p.namespace ? { namespace: p.namespace } : {}) }),
  });
  const structured = (p: HeartbeatPayload) => ({
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' },
    body: JSON.stringify({
      specversion: '1.0',
      id: p.id,
      source: 'shop',
      type: TYPE,
      datacontenttype: 'application/json',
      vigilsignature: signHeartbeat(KEY, p),
      data: { application: p.application, sent_at: p.sentAt, ...(p.namespace ? { namespace: p.namespace } : {}) },
    }),
  });

  it('accepts a signed heartbeat in binary mode, answers 204 without a body, and ignores a redelivery', async () => {
    const first = await fetch(url, binary(payload()));
    assert.equal(first.status, 204);
    assert.equal(await first.text(), '');
    const again = await fetch(url, binary(payload()));
    assert.equal(again.status, 204);
    const entry = monitor.get('shop', 'orders')!;
    assert.equal(entry.received, 1, 'a duplicate id counts once');
    assert.equal(entry.latencyMs, 250);
    assert.equal(entry.receivedAt, now);
    assert.deepEqual(received, ['orders/shop']);
  });

  it('accepts structured mode, and the namespace from ?namespace= when the data has none (HTTPSource mode)', async () => {
    assert.equal((await fetch(url, structured(payload({ id: 'hb-2' })))).status, 204);
    const viaSource = payload({ id: 'hb-3' });
    delete viaSource.namespace;
    assert.equal((await fetch(`${url}?namespace=orders`, binary(viaSource))).status, 204);
    assert.equal(monitor.get('shop', 'orders')!.received, 2);
  });

  it('refuses bad CloudEvents with 400 problem answers and changes nothing', async () => {
    const cases: [string, RequestInit][] = [
      ['no ce-specversion', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
      ['broken JSON', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: '{' }],
      ['batched', { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: '[]' }],
      ['wrong specversion', { ...binary(payload()), headers: { ...binary(payload()).headers, 'ce-specversion': '0.3' } }],
      ['missing id', { ...binary(payload()), headers: { ...binary(payload()).headers, 'ce-id': '' } }],
      ['wrong type', binary(payload(), undefined, 'order.created')],
      ['data not an object', { ...binary(payload()), body: '"hello"' }],
      [
        'no namespace anywhere',
        (() => {
          const p = payload();
          delete p.namespace;
          return binary(p);
        })(),
      ],
      ['namespaces disagree', binary(payload())],
    ];
    for (const [what, init] of cases) {
      const target = what === 'namespaces disagree' ? `${url}?namespace=other` : url;
      const response = await fetch(target, init);
      assert.equal(response.status, 400, what);
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/, what);
      const problem = (await response.json()) as { status: number; detail: string };
      assert.equal(problem.status, 400);
      assert.ok(problem.detail.length > 0);
    }
    assert.equal(monitor.get('shop', 'orders')!.received, 0);
    assert.deepEqual(received, []);
  });

  it('needs a valid signature or a bearer token with the observe scope', async () => {
    const forged = await fetch(url, binary(payload(), signHeartbeat('other-key', payload())));
    assert.equal(forged.status, 401);
    const tampered = binary(payload());
    tampered.body = JSON.stringify({ application: 'shop', namespace: 'orders', sent_at: now });
    assert.equal((await fetch(url, tampered)).status, 401, 'the signature covers sent_at');
    const unsigned = binary(payload(), '');
    assert.equal((await fetch(url, { ...unsigned, headers: { ...unsigned.headers, authorization: 'Bearer meta-token' } })).status, 403);
    assert.equal(monitor.get('shop', 'orders')!.received, 0);
    assert.equal((await fetch(url, { ...unsigned, headers: { ...unsigned.headers, authorization: 'Bearer observer-token' } })).status, 204);
    assert.equal(monitor.get('shop', 'orders')!.received, 1);
  });

  it('answers 404 for a pair it does not expect', async () => {
    const response = await fetch(url, binary(payload({ application: 'crm' })));
    assert.equal(response.status, 404);
    assert.equal(monitor.pairs().length, 1);
  });

  it('round trip: sender → broker → receiver', async () => {
    const delivered: string[] = [];
    const broker = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        delivered.push(req.url ?? '');
        // Re-deliver in structured mode, as a broker filter may, to the Trigger's subscriber.
        const event = parseCloudEvent(req.headers, Buffer.concat(chunks));
        const envelope = { specversion: '1.0', id: event.id, source: event.source, type: event.type, ...event.extensions, data: event.data };
        const answer = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/cloudevents+json' },
          body: JSON.stringify(envelope),
        }).catch(() => undefined);
        res.writeHead(answer?.status === 204 ? 202 : 500).end();
      });
    });
    const brokerUrl = await listen(broker);
    monitor.setPairs(
      [
        { application: 'shop', namespace: 'orders' },
        { application: 'shop', namespace: 'billing' },
      ],
      now,
    );
    const config = {
      interval: 30_000,
      freshness: 3,
      via: 'broker' as const,
      httpsource_url: '',
      broker_url: `${brokerUrl}/{namespace}/`,
      type: TYPE,
      event_type_version: 'v1',
      timeout: 2_000,
    };
    const sender = new HeartbeatSender({ config, integrationNamespace: 'kyma-integration', key: KEY, monitor, now: () => now - 100 });
    await sender.sendRound(monitor.pairs());
    assert.deepEqual(delivered.sort(), ['/billing/', '/orders/']);
    for (const namespace of ['orders', 'billing']) {
      const entry = monitor.get('shop', namespace)!;
      assert.deepEqual([entry.sent, entry.sendErrors, entry.received, entry.latencyMs], [1, 0, 1, 100], namespace);
    }
    broker.closeAllConnections();
    broker.close();
    await sender.sendRound(monitor.pairs());
    assert.equal(monitor.get('shop', 'orders')!.sendErrors, 1);
    assert.match(monitor.check('shop', 'orders', now + 90_001)!.message, /last send failed: connection (refused|lost)/);
    await sender.close();
  });

  it('gives no verdict during the first window, ok while heartbeats arrive, crit once they stop', () => {
    const t0 = now;
    const fresh = new HeartbeatMonitor(10_000, 3);
    fresh.setPairs([{ application: 'shop', namespace: 'orders' }], t0);
    assert.equal(fresh.check('shop', 'orders', t0 + 29_999), undefined);
    assert.equal(fresh.check('shop', 'orders', t0 + 30_001)!.status, 'crit');
    assert.match(fresh.check('shop', 'orders', t0 + 30_001)!.message, /\(none received yet\); none sent yet/);
    fresh.recordReceived({ id: 'a', application: 'shop', sentAt: t0 + 31_000 }, 'orders', t0 + 31_500);
    assert.equal(fresh.check('shop', 'orders', t0 + 61_500)!.status, 'ok');
    assert.equal(fresh.check('shop', 'orders', t0 + 61_501)!.status, 'crit');
  });
});
