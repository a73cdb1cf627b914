// Status page benchmark: server time of GET / (first page, filters, a late page) and of one subject page at
// 10,000 subjects × 5 checks (the scrape benchmark's state), with two maintenance windows configured.
// "render" is the route's work (model, HTML, document) timed in-process; "http" is the loopback round trip of a
// real vigil app (express, headers, socket), which bounds the server time from above.
// Run: npm run build && node dist/bench/status-page.js [--subjects 10000] [--runs 30]
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Authorizer } from '../src/exporter/auth.js';
import { createApp } from '../src/exporter/server.js';
import { Vigil } from '../src/runtime/vigil.js';
import { Store } from '../src/store/store.js';
import { page } from '../src/web/layout.js';
import { buildStatus, parseStatusQuery } from '../src/web/status-model.js';
import { statusBody } from '../src/web/status-page.js';
import { buildLargeState } from './scrape-fixtures.js';

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const SUBJECTS = arg('subjects', 10_000);
const RUNS = arg('runs', 30);
const QUERIES = ['', '?state=broken', '?q=host-12', '?kind=target&group=none', '?group=rack', '?page=50'];

const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, p95: sorted[Math.floor(sorted.length * 0.95)]!, max: sorted[sorted.length - 1]! };
};
const fmt = (ms: number) => ms.toFixed(1);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-page-'));
  const store = Store.open(join(dir, 'vigil.db'), { flushIntervalMs: 200, eventsPerSubject: 100 });
  const built = buildLargeState(SUBJECTS, 5);
  const vigil = new Vigil(store, built.settings);
  for (const [id, subject] of built.subjects) vigil.state.subjects.set(id, subject);
  for (const [name, source] of built.sources) vigil.state.sources.set(name, source);
  const now = Date.now();
  vigil.maintenance.configure([
    { id: 'racks', match: { kind: ['host'] }, reason: 'rack move', source: 'config', startsAt: now - 60_000, endsAt: now + 3_600_000 },
    {
      id: 'weekly',
      match: { kind: ['target'] },
      reason: 'backup',
      source: 'config',
      weekly: { days: ['sun'], startMinute: 120, durationMs: 3_600_000 },
    },
  ]);
  const app = createApp(vigil, { auth: new Authorizer([]), maxBodyBytes: 1024, version: 'bench', logError: () => undefined });
  const server = await new Promise<Server>((resolve) => {
    const s = app.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  console.log(
    `status page, ${SUBJECTS} subjects × 5 checks, ${RUNS} runs each, Node ${process.version}, ` +
      `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log('| query | render median / p95 / max ms | http median / p95 / max ms | bytes |');
  console.log('|---|---|---|---|');
  for (const query of QUERIES) {
    const render: number[] = [];
    const http: number[] = [];
    let bytes = 0;
    for (let run = 0; run < RUNS + 3; run++) {
      const started = performance.now();
      const parsed = parseStatusQuery(Object.fromEntries(new URLSearchParams(query)));
      const model = buildStatus(vigil.state, vigil.maintenance, parsed, Date.now());
      page('Status', statusBody(vigil.state, vigil.maintenance, model, parsed, Date.now()));
      const rendered = performance.now() - started;
      const sent = performance.now();
      const response = await fetch(`${base}/${query}`);
      bytes = (await response.arrayBuffer()).byteLength;
      const answered = performance.now() - sent;
      if (run >= 3) {
        render.push(rendered); // the first runs warm the JIT
        http.push(answered);
      }
    }
    const r = stats(render);
    const h = stats(http);
    console.log(
      `| \`/${query}\` | ${fmt(r.median)} / ${fmt(r.p95)} / ${fmt(r.max)} | ` +
        `${fmt(h.median)} / ${fmt(h.p95)} / ${fmt(h.max)} | ${(bytes / 1024).toFixed(0)} KiB |`,
    );
  }
  const subjectTimes: number[] = [];
  const id = [...vigil.state.subjects.keys()][4_321]!;
  for (let run = 0; run < RUNS; run++) {
    const sent = performance.now();
    await (await fetch(`${base}/subjects/${encodeURIComponent(id)}`)).arrayBuffer();
    subjectTimes.push(performance.now() - sent);
  }
  const s = stats(subjectTimes);
  console.log(`| \`/subjects/{id}\` | – | ${fmt(s.median)} / ${fmt(s.p95)} / ${fmt(s.max)} | |`);
  server.closeAllConnections();
  server.close();
  vigil.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
