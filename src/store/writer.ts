// Flush transactions on a thread of their own. A flush is SQLite writing pages to the write-ahead log and waiting
// for fsync: for a push batch of new subjects that is most of its cost, and on the event loop it would stop
// everything else for as long (bench/RESULTS.md, scale). On a second connection in a worker thread the event loop
// keeps parsing and applying the next batches meanwhile; each acknowledgement still waits for its own commit.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { FlushBatch } from './tables.js';

export interface WriterData {
  path: string;
  busyTimeoutMs: number;
  /** Replies the thread has posted, counted, so a blocked main thread can wait for one (close()). */
  posted: Int32Array;
  /** Parts the thread has written, counted, so the main thread can wait before it serialises more. */
  consumed: Int32Array;
}

/** A part of a flush (`last` commits it), or the request to close the thread's connection. */
export type WriterMessage = { part: FlushBatch; last: boolean } | 'close';

export type WriterReply = { rows: number } | { error: string; code?: string };

/** Called once per write: with the error, or with the rows written. */
export type WriteDone = (error: Error | undefined, rows: number) => void;

/** Longest close() blocks for a flush in flight: past SQLite's own busy timeout, the thread is taken as lost. */
const SETTLE_MARGIN_MS = 30_000;

export class ThreadWriter {
  private worker: Worker | undefined;
  private replies: MessagePort | undefined;
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  private readonly consumed = new Int32Array(new SharedArrayBuffer(4));
  private sent = 0;
  private partsPosted = 0;
  private done: WriteDone | undefined;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {}

  get busy(): boolean {
    return this.done !== undefined;
  }

  /**
   * Writes the parts in one transaction on the thread; one write at a time (the store waits for `done`). Parts are
   * taken from `parts` as they are posted, and at most one waits unwritten: a large flush (a tick that changes every
   * subject) is serialised a piece at a time while the thread writes the previous piece, instead of all its rows
   * being held as text at once, twice (here and in the thread). Such a flush holds the event loop as a flush on it
   * would; an API batch is a single part.
   */
  write(parts: Iterable<FlushBatch>, done: WriteDone): void {
    if (this.done) throw new Error('ThreadWriter: a write is already in flight');
    const worker = this.start();
    this.done = done;
    this.replies!.ref(); // an awaited acknowledgement keeps the process alive until it is settled
    let previous: FlushBatch | undefined;
    for (const part of parts) {
      if (previous) this.post(worker, previous, false);
      previous = part;
    }
    this.sent += 1;
    this.post(worker, previous!, true);
  }

  private post(worker: Worker, part: FlushBatch, last: boolean): void {
    const deadline = Date.now() + this.busyTimeoutMs + SETTLE_MARGIN_MS;
    while (Atomics.load(this.consumed, 0) < this.partsPosted - 1 && Date.now() < deadline) {
      Atomics.wait(this.consumed, 0, Atomics.load(this.consumed, 0), 100);
    }
    this.partsPosted += 1;
    const message: WriterMessage = { part, last };
    worker.postMessage(message);
  }

  /** Blocks until the write in flight, if any, has been answered, and settles it (close() is synchronous). */
  settleNow(): void {
    if (!this.done) return;
    const reply = this.awaitReply();
    if (reply) this.settle(reply);
    else this.fail(new Error('the writer thread did not answer'));
  }

  /** Closes the thread's connection (waiting for it) and stops the thread; call after settleNow(). */
  close(): void {
    if (this.worker) {
      this.sent += 1;
      const message: WriterMessage = 'close';
      this.worker.postMessage(message);
      this.awaitReply();
      void this.worker.terminate();
    }
    this.replies?.close();
    this.worker = undefined;
  }

  /** The thread's next reply, waited for with the event loop blocked; undefined if it never comes. */
  private awaitReply(): WriterReply | undefined {
    const deadline = Date.now() + this.busyTimeoutMs + SETTLE_MARGIN_MS;
    while (Atomics.load(this.posted, 0) < this.sent && Date.now() < deadline) {
      Atomics.wait(this.posted, 0, Atomics.load(this.posted, 0), 100);
    }
    const received = this.replies && receiveMessageOnPort(this.replies);
    return received?.message as WriterReply | undefined;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const channel = new MessageChannel();
    const data: WriterData & { replies: MessagePort } = {
      path: this.path,
      busyTimeoutMs: this.busyTimeoutMs,
      posted: this.posted,
      consumed: this.consumed,
      replies: channel.port2,
    };
    // A small young generation: the thread holds one part at a time, and its heap counts in vigil's resident memory.
    const worker = new Worker(new URL('./writer-thread.js', import.meta.url), {
      workerData: data,
      transferList: [channel.port2],
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    worker.unref();
    channel.port1.on('message', (reply: WriterReply) => this.settle(reply));
    channel.port1.unref();
    // A thread that dies (it should not) fails the write in flight; the next write starts a new one.
    worker.on('error', (error) => this.lose(worker, error));
    worker.on('exit', (code) => this.lose(worker, new Error(`the writer thread exited with code ${code}`)));
    this.worker = worker;
    this.replies = channel.port1;
    this.posted[0] = 0;
    this.consumed[0] = 0;
    this.sent = 0;
    this.partsPosted = 0;
    return worker;
  }

  private lose(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.replies?.close();
    this.worker = undefined;
    this.replies = undefined;
    this.fail(error);
  }

  private settle(reply: WriterReply): void {
    if ('error' in reply) {
      const error = new Error(reply.error) as Error & { code?: string };
      if (reply.code !== undefined) error.code = reply.code;
      this.fail(error);
      return;
    }
    const done = this.finish();
    done?.(undefined, reply.rows);
  }

  private fail(error: Error): void {
    this.finish()?.(error, 0);
  }

  private finish(): WriteDone | undefined {
    const done = this.done;
    this.done = undefined;
    this.replies?.unref();
    return done;
  }
}
