// A real vigil (engine, SQLite store, express app, agents extension) on 127.0.0.1 with an injected clock, built from
// YAML through the real config pipeline. Time-driven changes are applied by `tick()`, never by waiting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { parseConfig } from '../../../src/config/load.js';
import * as engine from '../../../src/engine/index.js';
import type { EngineEvent } from '../../../src/engine/types.js';
import { Authorizer } from '../../../src/exporter/auth.js';
import { createApp } from '../../../src/exporter/server.js';
import { writtenText } from '../../../src/exporter/metrics/whole-families.js';
import { EXTENSION_ROUTES } from '../../../src/extensions.js';
import { Vigil } from '../../../src/runtime/vigil.js';
import { agentsExtension } from '../../../src/sources/agents/index.js';
import { Store } from '../../../src/store/store.js';

export const AGENT_TOKEN = 'agent-secret-token';
export const READER_TOKEN = 'reader-secret-token';

export interface AgentHarness {
  base: string;
  wsBase: string;
  vigil: Vigil;
  /** The agents extension as the tests use it: its families as text, and its stop (the hub, then the rest). */
  extension: { metrics(): string; stop(): Promise<void> };
  dir: string;
  /** The injected clock's time; advance it with `advance`. */
  now(): number;
  advance(ms: number): void;
  /** Applies time-driven changes (grace expiry) at the injected time. */
  tick(): void;
  /** Events emitted by the engine so far (not only committed ones), in order. */
  events: EngineEvent[];
  connect(id: string, options?: { token?: string }): Promise<AgentClient>;
  close(): Promise<void>;
}

export interface AgentClient {
  socket: WebSocket;
  /** Messages vigil sent, parsed. */
  received: Record<string, unknown>[];
  /** Resolves with the next message vigil sends. */
  next(): Promise<Record<string, unknown>>;
  send(message: unknown): void;
  close(): Promise<void>;
}

export async function startAgentHarness(agentsYaml: string, options: { subjects?: string; flushMs?: number } = {}): Promise<AgentHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-agents-'));
  writeFileSync(join(dir, 'hook-secret'), 'Bearer hook-secret\n');
  const yaml = [
    'log: { level: silent }',
    `store: { flush_interval: ${options.flushMs ?? 5}ms }`,
    'api:',
    '  tokens:',
    `    - { name: agents, token: ${AGENT_TOKEN}, scopes: [agent] }`,
    `    - { name: reader, token: ${READER_TOKEN}, scopes: [observe] }`,
    'defaults: { startup_grace: 0s, disconnect_grace: 30s }',
    options.subjects ?? 'subjects: []',
    agentsYaml,
  ].join('\n');
  const { config } = await parseConfig(yaml, { file: join(dir, 'vigil.yml'), baseDir: dir });
  let time = Date.UTC(2026, 0, 1);
  const store = Store.open(join(dir, 'vigil.db'), { flushIntervalMs: config.flushInterval, eventsPerSubject: 100 });
  const vigil = new Vigil(store, config.settings, () => time);
  vigil.syncConfiguredSubjects(config.subjects);
  const events: EngineEvent[] = [];
  const apply = vigil.apply.bind(vigil);
  vigil.apply = (change) => {
    const result = apply(change);
    events.push(...result.events);
    return result;
  };
  const auth = new Authorizer(config.api.tokens);
  const sink = vigil.sink();
  const runtime = { clock: vigil.clock, onCommittedEvents: vigil.onCommittedEvents.bind(vigil) };
  const agents = agentsExtension.create({ config, section: config.agents, sink, runtime, auth, log: pino({ level: 'silent' }) });
  if (!agents) throw new Error('agents extension not enabled by the config');
  const extension = {
    metrics: () => writtenText((w) => agents.metrics(w, () => true)),
    async stop() {
      await Promise.all(agents.sources.map((source) => source.stop()));
      await agents.stop();
    },
  };
  const web = createApp(vigil, {
    auth,
    routes: [agents.routes],
    knownRoutes: EXTENSION_ROUTES,
    families: [agents.metrics],
    maxBodyBytes: 64 * 1024,
    version: 'test',
    logError: () => undefined,
  });
  web.setReady(true);
  const server = await new Promise<Server>((resolve) => {
    const s = web.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  agents.attach(server);
  for (const source of agents.sources) source.start(sink);
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  const base = `http://127.0.0.1:${address.port}`;
  const clients = new Set<AgentClient>();

  return {
    base,
    wsBase: `ws://127.0.0.1:${address.port}`,
    vigil,
    extension,
    dir,
    events,
    now: () => time,
    advance: (ms) => (time += ms),
    tick: () => void vigil.apply((state, now) => engine.tick(state, now)),
    async connect(id, { token = AGENT_TOKEN } = {}) {
      const socket = new WebSocket(`ws://127.0.0.1:${address.port}/api/v1/agents/connect?id=${encodeURIComponent(id)}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const client = messageClient(socket);
      clients.add(client);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      return client;
    },
    async close() {
      for (const client of clients) client.socket.terminate();
      await extension.stop();
      web.streams.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      vigil.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function messageClient(socket: WebSocket): AgentClient {
  const received: Record<string, unknown>[] = [];
  const waiting: ((message: Record<string, unknown>) => void)[] = [];
  const queued: Record<string, unknown>[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    received.push(message);
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queued.push(message);
  });
  return {
    socket,
    received,
    next: () => {
      const ready = queued.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
    send: (message) => socket.send(JSON.stringify(message)),
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === socket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}

/** Waits (bounded) until `condition` holds, yielding to the event loop between looks; no wall-clock sleeps. */
export async function until(condition: () => boolean, what: string, maxTurns = 2_000): Promise<void> {
  for (let turn = 0; turn < maxTurns; turn++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}
