// The SQLite store's writer thread: its own connection to the state file, one flush transaction per message.
// See writer.ts for why it exists and how the main thread waits for it.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { errorMessage, sqliteCode } from './errors.js';
import { Tables } from './tables.js';
import type { WriterData, WriterMessage, WriterReply } from './writer.js';

const { path, busyTimeoutMs, replies, posted, consumed } = workerData as WriterData & { replies: MessagePort };
const db = new Database(path);
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
// Per connection, as on the main one (store.ts): an acknowledged write must survive a power cut.
db.pragma('synchronous = FULL');
const tables = new Tables(db, path);

/** Rows written so far by the transaction that is open, or the error that ended it (the rest of its parts are skipped). */
let written: number | Error | undefined;

parentPort!.on('message', (message: WriterMessage) => {
  if (message === 'close') {
    // Closed before the main connection: the last connection to close checkpoints the log into the file.
    db.close();
    reply({ rows: 0 });
    return;
  }
  try {
    if (written === undefined) {
      tables.beginFlush();
      written = 0;
    }
    if (typeof written === 'number') written += tables.writePart(message.part);
    if (message.last && typeof written === 'number') tables.commitFlush();
  } catch (error) {
    tables.rollbackFlush();
    written = error instanceof Error ? error : new Error(String(error));
  }
  Atomics.add(consumed, 0, 1);
  Atomics.notify(consumed, 0);
  if (!message.last) return;
  const outcome = written;
  written = undefined;
  if (typeof outcome === 'number') {
    reply({ rows: outcome });
  } else {
    const code = sqliteCode(outcome);
    reply({ error: errorMessage(outcome), ...(code !== undefined && { code }) });
  }
});

function reply(message: WriterReply): void {
  replies.postMessage(message);
  // After the message is queued: a main thread blocked in settleNow() wakes to find it.
  Atomics.add(posted, 0, 1);
  Atomics.notify(posted, 0);
}
