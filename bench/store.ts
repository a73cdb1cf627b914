// Store benchmark: what a storm of updates costs in transactions and flush time.
// Run: npm run build && node dist/bench/store.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Store } from '../src/store/store.js';
import { makeEvent, makeState, makeSubject, upsert } from '../test/store/fixtures/factory.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-store-bench-'));

async function storm(subjects: number, rounds: number): Promise<void> {
  const store = Store.open(join(dir, `storm-${subjects}.db`), { flushIntervalMs: 200, eventsPerSubject: 100 });
  const state = makeState();
  store.attach(state);
  const flushes: number[] = [];
  const started = performance.now();
  for (let round = 1; round <= rounds; round++) {
    for (let i = 0; i < subjects; i++) store.record(upsert(state, [makeSubject(`host-${i}`, round)], [makeEvent(state, `host-${i}`)]));
    const waiting = performance.now();
    await store.commit();
    flushes.push(store.stats().lastFlushDurationMs);
    if (round === 1) console.log(`  first commit waited ${(performance.now() - waiting).toFixed(0)} ms (interval 200 ms)`);
  }
  const elapsed = performance.now() - started;
  const stats = store.stats();
  store.close();
  flushes.sort((a, b) => a - b);
  console.log(
    `| ${subjects} subjects + ${subjects} events dirty per interval, ${rounds} intervals | ${stats.transactions} | ${stats.rowsWritten} | ` +
      `${flushes[Math.floor(flushes.length / 2)]!.toFixed(1)} | ${flushes[flushes.length - 1]!.toFixed(1)} | ` +
      `${(stats.sizeBytes / 1e6).toFixed(1)} | ${(elapsed / 1000).toFixed(1)} |`,
  );
}

console.log('| scenario | transactions | rows written | median flush ms | max flush ms | db+wal MB | wall s |');
console.log('|---|---|---|---|---|---|---|');
await storm(1_000, 10);
await storm(10_000, 5);
rmSync(dir, { recursive: true, force: true });
