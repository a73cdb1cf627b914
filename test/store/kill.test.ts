import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '../../src/store/store.js';
import { SUBJECTS } from './fixtures/kill-child.js';
import { tempDir } from './fixtures/factory.js';

const temp = tempDir();
after(temp.cleanup);
const CHILD = fileURLToPath(new URL('./fixtures/kill-child.js', import.meta.url));
const MAX_UPDATES = 5_000;
const OUTPUT_TIMEOUT_MS = 20_000;

/** Runs the child until it has acknowledged `killAfter` updates, SIGKILLs it, and returns every ack it printed. */
function runAndKill(path: string, killAfter: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, path, String(MAX_UPDATES)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffered = '';
    let stderr = '';
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ack ${killAfter} within ${OUTPUT_TIMEOUT_MS} ms (got ${acked.length}); stderr: ${stderr}`));
    }, OUTPUT_TIMEOUT_MS);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const match = /^ack (\d+)$/.exec(line);
        if (match) acked.push(Number(match[1]));
      }
      // Killed at once, wherever the child is: usually between record() and its next flush, sometimes inside one.
      if (acked.length >= killAfter && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timeout);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited by itself (code ${code}) after ${acked.length} acks; stderr: ${stderr}`));
    });
  });
}

it('keeps every acknowledged update across kill -9, run after run', async () => {
  const path = join(temp.dir, 'killed.db');
  let lastAcked = 0;
  for (let run = 0; run < 3; run++) {
    const acked = await runAndKill(path, randomInt(20, 120));
    assert.ok(acked.length > 0);
    assert.deepEqual(
      acked,
      [...acked].sort((a, b) => a - b),
    );
    lastAcked = acked[acked.length - 1]!;

    const store = Store.open(path, { flushIntervalMs: 5, eventsPerSubject: 1_000_000 });
    const loaded = store.load();
    store.close();
    assert.ok(loaded.seq >= lastAcked, `seq ${loaded.seq} lost acked update ${lastAcked}`);
    const eventSeqs = new Set(loaded.history.map((event) => event.seq));
    for (let seq = 1; seq <= lastAcked; seq++) assert.ok(eventSeqs.has(seq), `event ${seq} was acked but is missing`);
    const versions = new Map(loaded.subjects.map((subject) => [subject.spec.id, subject.stateVersion]));
    // The newest acked update of each subject: update n wrote host-(n % SUBJECTS) at stateVersion n.
    for (let seq = Math.max(1, lastAcked - SUBJECTS + 1); seq <= lastAcked; seq++) {
      const version = versions.get(`host-${seq % SUBJECTS}`) ?? 0;
      assert.ok(version >= seq, `host-${seq % SUBJECTS} is at ${version}, but update ${seq} was acked`);
    }
  }
});
