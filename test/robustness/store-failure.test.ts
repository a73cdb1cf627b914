// A failing state store. Before this was handled: on a full disk writes answered 500 were visible at once and
// persisted once space came back (a retried crit counted twice); /-/ready stayed 200 while every flush failed. Here
// a failing store must answer 503, change nothing in memory or on disk, turn /-/ready 503 and the self `store` check
// crit at once. Two ways to fail the disk: a trigger that fails every write (always possible), and a real full tmpfs
// (root only).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { problemOf } from '../helpers/api-harness.js';
import { until } from '../helpers/until.js';
import { send, serveWith, type Served } from './helpers.js';

interface CheckView {
  reported_status: string;
  consecutive_failures: number;
}
const checkOf = async (served: Served, subject: string, check: string): Promise<CheckView | undefined> => {
  const response = await fetch(`${served.base}/api/v1/subjects/${subject}/health`);
  if (response.status === 404) return undefined;
  return ((await response.json()) as { checks: Record<string, CheckView> }).checks[check];
};
const ready = async (served: Served) => (await fetch(`${served.base}/-/ready`)).status;

/** Fails every write to `subjects` from a second connection, as a full disk fails a flush (a trigger is schema). */
function breakWrites(path: string): () => void {
  const saboteur = new Database(path);
  saboteur.exec(`
    CREATE TRIGGER disk_full_insert BEFORE INSERT ON subjects BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
    CREATE TRIGGER disk_full_update BEFORE UPDATE ON subjects BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
  `);
  return () => {
    saboteur.exec('DROP TRIGGER disk_full_insert; DROP TRIGGER disk_full_update');
    saboteur.close();
  };
}

describe('a failing store (problem 4)', () => {
  it('answers 503, changes nothing, is not ready and reports store crit at once; after repair a retried crit counts once', async () => {
    let served = await serveWith('store: { flush_interval: 50ms }');
    try {
      assert.equal((await send(served.base, 'PUT', '/api/v1/subjects/host/checks/c1', { status: 'ok' })).status, 200);
      const repair = breakWrites(join(served.dir, 'vigil.db'));

      const failed = await send(served.base, 'PUT', '/api/v1/subjects/host/checks/c1', { status: 'crit' });
      assert.equal(failed.status, 503);
      assert.match((await problemOf(failed)).detail, /changed nothing/);
      const unchanged = await checkOf(served, 'host', 'c1');
      assert.equal(unchanged?.reported_status, 'ok', 'the failed crit is not visible');
      assert.equal(unchanged?.consecutive_failures, 0);
      assert.equal(await checkOf(served, 'new-subject', 'c'), undefined);
      assert.equal(await ready(served), 503, '/-/ready is 503 as soon as a flush failed');
      await until(async () => (await checkOf(served, 'vigil', 'store'))?.reported_status === 'crit', 'the self store check to turn crit', {
        timeoutMs: 2_000,
        intervalMs: 20,
      });

      // While failing, a write is refused before it is applied.
      const refused = await send(served.base, 'POST', '/api/v1/observations', [{ subject: 'new-subject', check: 'c', status: 'crit' }]);
      assert.equal(refused.status, 503);
      assert.equal(await checkOf(served, 'new-subject', 'c'), undefined);

      repair();
      await until(async () => (await ready(served)) === 200, '/-/ready to recover', { timeoutMs: 5_000, intervalMs: 20 });
      assert.equal((await checkOf(served, 'host', 'c1'))?.consecutive_failures, 0, 'nothing of the failed writes came back');
      const retried = await send(served.base, 'PUT', '/api/v1/subjects/host/checks/c1', { status: 'crit' });
      assert.equal(retried.status, 200);
      assert.equal((await checkOf(served, 'host', 'c1'))?.consecutive_failures, 1, 'the retried crit counts once');

      // And on disk: a restart sees exactly that.
      const dir = served.dir;
      served.child.kill('SIGTERM');
      await served.exited;
      served = await serveWith('store: { flush_interval: 50ms }', { dir });
      assert.equal((await checkOf(served, 'host', 'c1'))?.consecutive_failures, 1);
      assert.equal(await checkOf(served, 'new-subject', 'c'), undefined);
    } finally {
      await served.stop();
      rmSync(served.dir, { recursive: true, force: true });
    }
  });

  it('on a real full disk (a 1 MiB tmpfs): a write that cannot be stored answers 503 and changes nothing', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('mounting a tmpfs needs root; the trigger test above covers the same path');
    const mountPoint = mkdtempSync(join(tmpdir(), 'vigil-fulldisk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
    let served: Served | undefined;
    try {
      served = await serveWith('store: { flush_interval: 50ms }', { dir: mountPoint });
      // Fill the disk, then push batches of new subjects until one cannot be stored (bounded).
      try {
        writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(1024 * 1024));
      } catch {
        // ENOSPC: full, as wanted
      }
      let refusedBatch: string | undefined;
      for (let round = 0; round < 50 && !refusedBatch; round++) {
        const batch = Array.from({ length: 100 }, (_, i) => ({ subject: `r${round}-s${i}`, check: 'c', status: 'crit', message: 'x'.repeat(1000) }));
        const response = await send(served.base, 'POST', '/api/v1/observations', batch);
        if (response.status === 503) refusedBatch = `r${round}-s0`;
        else assert.equal(response.status, 200);
      }
      assert.ok(refusedBatch, 'the disk never filled up');
      assert.equal(await checkOf(served, refusedBatch, 'c'), undefined, 'the refused batch changed nothing in memory');
      assert.equal(await ready(served), 503);
      rmSync(join(mountPoint, 'filler'), { force: true });
      await until(async () => (await ready(served!)) === 200, '/-/ready to recover once space is back', { timeoutMs: 5_000, intervalMs: 20 });
      assert.equal(await checkOf(served, refusedBatch, 'c'), undefined, 'nor on disk once space came back');
    } finally {
      await served?.stop();
      execFileSync('umount', [mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    }
  });
});
