// The SQLite store's writer thread: its own connection to the state file, one flush transaction per message.
// See writer.ts for why it exists and how the main thread waits for it.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { errorMessage, sqliteCode } from './errors.js';
import { Tables, type FlushBatch } from './tables.js';
import type { WriterData, WriterReply } from './writer.js';

const { path, busyTimeoutMs, replies, posted } = workerData as WriterData & { replies: MessagePort };
const db = new Database(path);
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
// Per connection, as on the main one (store.ts): an acknowledged write must survive a power cut.
db.pragma('synchronous = FULL');
const tables = new Tables(db, path);

parentPort!.on('message', (batch: FlushBatch | 'close') => {
  let reply: WriterReply;
  try {
    // Closed before the main connection: the last connection to close checkpoints the log into the file.
    if (batch === 'close') db.close();
    reply = { rows: batch === 'close' ? 0 : tables.flush(batch) };
  } catch (error) {
    const code = sqliteCode(error);
    reply = { error: errorMessage(error), ...(code !== undefined && { code }) };
  }
  replies.postMessage(reply);
  // After the message is queued: a main thread blocked in settleNow() wakes to find it.
  Atomics.add(posted, 0, 1);
  Atomics.notify(posted, 0);
});
