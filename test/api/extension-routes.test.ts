// The server learns each extension's paths from the extension (src/extensions.ts), not from a table of its own:
// a mounted extension router answers, a wrong method gets 405 with Allow, and a path of an extension that is off
// gets 404 "not enabled".
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Router } from 'express';
import { Authorizer } from '../../src/exporter/auth.js';
import { createApp } from '../../src/exporter/server.js';
import { EXTENSIONS } from '../../src/extensions.js';
import { Vigil } from '../../src/runtime/vigil.js';
import type { ExtensionDefinition } from '../../src/sources/extension.js';
import { Store } from '../../src/store/store.js';
import { problemOf, startHarness, type Harness } from '../helpers/api-harness.js';
import { TEST_SETTINGS } from '../helpers/settings.js';

/** An extension the core knows nothing about: one GET route of its own. */
const exampleExtension = {
  name: 'example',
  routes: [{ path: /^\/api\/v1\/example\/[^/]+$/, methods: 'GET' }],
  create: () => {
    const routes = Router();
    routes.get('/example/:id', (req, res) => res.json({ id: req.params['id'] }));
    return { routes };
  },
} satisfies ExtensionDefinition;

describe('extension routes', () => {
  let dir: string;
  let vigil: Vigil;
  let server: Server;
  let base: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-routes-'));
    vigil = new Vigil(Store.open(join(dir, 'vigil.db'), { flushIntervalMs: 5, eventsPerSubject: 100 }), TEST_SETTINGS);
    const web = createApp(vigil, {
      auth: new Authorizer([]),
      routes: [exampleExtension.create().routes],
      knownRoutes: exampleExtension.routes,
      maxBodyBytes: 1024,
      version: 'test',
      logError: () => undefined,
    });
    web.setReady(true);
    server = await new Promise<Server>((resolve) => {
      const s = web.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('no address');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    vigil.stop();
    vigil.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mounts the routes an extension returns, and answers a wrong method on its paths with 405 and its Allow', async () => {
    const ok = await fetch(`${base}/api/v1/example/e1`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { id: 'e1' });
    const wrong = await fetch(`${base}/api/v1/example/e1`, { method: 'DELETE' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET');
    assert.match((await problemOf(wrong)).detail, /DELETE is not allowed on \/api\/v1\/example\/e1; use GET/);
    const unknown = await fetch(`${base}/api/v1/example`);
    assert.equal(unknown.status, 404);
  });
});

describe('the built-in extensions declare their paths', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(); // no source configured
  });
  after(() => h.close());

  it('each path of a source that is off is "not enabled"; a wrong method there is 405 with its Allow', async () => {
    const declared = EXTENSIONS.flatMap((extension) => extension.routes.map((route) => ({ name: extension.name, ...route })));
    assert.deepEqual([...new Set(declared.map((route) => route.name))].sort(), ['agents', 'kubernetes', 'practable']);
    const samples: Record<string, string> = {
      agents: '/api/v1/agents/connect',
      kubernetes: '/api/v1/heartbeats',
      practable: '/api/v1/practable/experiments',
    };
    for (const route of declared) {
      const path = samples[route.name]!;
      assert.match(path, route.path);
      const method = route.methods.split(', ')[0]!;
      const off = await h.request(method, path, method === 'GET' ? {} : { body: {} });
      assert.equal(off.status, 404, `${method} ${path}`);
      assert.match((await problemOf(off)).detail, /is not enabled: its section is absent from the config/);
      const wrong = await h.request('PATCH', path, { body: {} });
      assert.equal(wrong.status, 405, `PATCH ${path}`);
      assert.equal(wrong.headers.get('allow'), route.methods);
    }
  });
});
