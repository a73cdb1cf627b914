// Starts a real vigil app (engine + SQLite store + express) on 127.0.0.1 with a temporary state file.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineSettings, SubjectSpec } from '../../src/engine/types.js';
import { Authorizer, type ApiToken } from '../../src/exporter/auth.js';
import { createApp, type ServerOptions, type VigilApp } from '../../src/exporter/server.js';
import type { MetricsSelection } from '../../src/exporter/metrics/selection.js';
import { EXTENSION_ROUTES } from '../../src/extensions.js';
import type { Limits } from '../../src/runtime/limits.js';
import { Vigil, type Clock } from '../../src/runtime/vigil.js';
import { Store } from '../../src/store/store.js';
import { TEST_SETTINGS } from './settings.js';

export const TOKENS: ApiToken[] = [
  { name: 'admin', token: 'admin-secret-token', scopes: ['admin'] },
  { name: 'pusher', token: 'pusher-secret-token', scopes: ['observe'] },
  { name: 'ops', token: 'ops-secret-token', scopes: ['connectivity', 'metadata', 'manipulate'] },
];

export interface Harness {
  base: string;
  vigil: Vigil;
  web: VigilApp;
  server: Server;
  dir: string;
  request(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** `metrics:` of the config: which families /metrics exposes (the lean default without it). */
  selection?: MetricsSelection;
  subjects?: SubjectSpec[];
  /** Config `renamed_from` entries applied at start. */
  renames?: { from: string; to: string }[];
  maxBodyBytes?: number;
  settings?: Partial<EngineSettings>;
  /** An injected clock for the engine (the store and the HTTP server keep real time). */
  clock?: Clock;
  /** Reuse this directory's state file (a restart); it is then left in place on close. */
  dir?: string;
  limits?: Partial<Limits>;
  logRejected?: ServerOptions['logRejected'];
  logError?: ServerOptions['logError'];
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'vigil-api-'));
  const store = Store.open(join(dir, 'vigil.db'), { flushIntervalMs: 5, eventsPerSubject: 100 });
  const vigil = new Vigil(store, { ...TEST_SETTINGS, ...options.settings }, options.clock);
  vigil.syncConfiguredSubjects(options.subjects ?? [], options.renames);
  const web = createApp(vigil, {
    auth: new Authorizer(TOKENS),
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    // As `vigil serve` does: the extensions' paths are known even when none is configured.
    knownRoutes: EXTENSION_ROUTES,
    version: 'test',
    logError: options.logError ?? (() => undefined),
    ...(options.limits && { limits: options.limits }),
    ...(options.logRejected && { logRejected: options.logRejected }),
    ...(options.selection ? { selection: options.selection } : {}),
  });
  web.setReady(true);
  const server = await new Promise<Server>((resolve) => {
    const s = web.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  const base = `http://127.0.0.1:${address.port}`;
  vigil.start();
  return {
    base,
    vigil,
    web,
    server,
    dir,
    request(method, path, { token, body, raw, headers = {} } = {}) {
      const allHeaders: Record<string, string> = { ...headers };
      if (token) allHeaders['authorization'] = `Bearer ${token}`;
      if (body !== undefined || raw !== undefined) allHeaders['content-type'] ??= 'application/json';
      return fetch(base + path, { method, headers: allHeaders, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    },
    async close() {
      web.streams.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      vigil.stop();
      store.close();
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function problemOf(
  response: Response,
): Promise<{ status: number; title: string; detail: string; errors?: { path: string; message: string }[] }> {
  if (!response.headers.get('content-type')?.startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${response.headers.get('content-type')} (${response.status})`);
  }
  return (await response.json()) as { status: number; title: string; detail: string };
}
