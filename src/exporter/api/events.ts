// Event delivery: long-poll (`after` + `wait`) and an SSE stream. Only committed events are served, in seq order,
// so a consumer resuming with `after=SEQ` (or Last-Event-ID) sees no gap and no duplicate.
//
// Both are bounded (see runtime/limits.ts): at most `maxStreams` open together (503 past it), and a stream writes
// its backlog one page at a time, waiting for the client to read each; a client whose unsent data passes
// `streamBufferBytes` is cut off and resumes with Last-Event-ID, so a client that does not read costs a bounded buffer.
import { Router } from 'express';
import { z } from 'zod';
import type { EngineEvent } from '../../engine/types.js';
import type { Limits } from '../../runtime/limits.js';
import type { Vigil } from '../../runtime/vigil.js';
import { parseDuration } from '../../util/duration.js';
import { HttpProblem } from '../problem.js';
import { idSchema } from './bodies.js';
import { parseParam } from './parse.js';
import { eventView } from './views.js';

const MAX_WAIT_MS = 60_000;
export const MAX_LIMIT = 1_000;
/** Backlog events read from the store per page of a stream. */
const STREAM_PAGE = 200;
const SSE_HEARTBEAT_MS = 15_000;
/** Backlog pages written per turn of the event loop, over all streams together. */
const PAGES_PER_TURN = 4;

/** Runs queued steps in order, at most `perTurn` per turn of the event loop. */
class Pump {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly perTurn: number) {}

  enqueue(step: () => void): void {
    this.queue.push(step);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
  }

  private run(): void {
    this.scheduled = false;
    for (let done = 0; done < this.perTurn && this.queue.length > 0; done++) this.queue.shift()!();
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
  }
}

const seqParam = z.coerce.number().int().min(0);
export const limitParam = z.coerce.number().int().min(1).max(MAX_LIMIT);
export const waitParam = z.string().transform((value, ctx) => {
  try {
    return Math.min(parseDuration(/^\d+(\.\d+)?$/.test(value) ? Number(value) : value), MAX_WAIT_MS);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export interface EventStreams {
  /** Open streams and waiting long-polls. */
  readonly open: number;
  /** Streams cut off because their client stopped reading, since start. */
  readonly dropped: number;
  /** Ends every open long-poll and stream (graceful shutdown). */
  closeAll(): void;
}

export function eventRoutes(
  vigil: Vigil,
  limits: Pick<Limits, 'maxStreams' | 'streamBufferBytes' | 'streamStallMs'>,
): { router: Router; streams: EventStreams } {
  const router = Router();
  const open = new Set<() => void>();
  const backlog = new Pump(PAGES_PER_TURN);
  let dropped = 0;
  const subjectFilter = (value: unknown) => (value === undefined ? undefined : parseParam(idSchema, value, 'subject'));
  // The PostgreSQL store answers asynchronously, the SQLite one at once; both are awaited alike.
  const committedAfter = async (after: number, limit: number, subject?: string): Promise<EngineEvent[]> =>
    (await vigil.store.eventsAfter(after, limit, subject)).filter((e) => e.seq <= vigil.committedSeq);
  const admit = () => {
    if (open.size >= limits.maxStreams) {
      throw new HttpProblem(
        503,
        'Service Unavailable',
        `vigil holds its limit of ${limits.maxStreams} open event streams and long-polls (api.max_streams); retry later`,
      );
    }
  };

  router.get('/events', async (req, res) => {
    const after = req.query['after'] === undefined ? 0 : parseParam(seqParam, req.query['after'], 'after');
    const limit = req.query['limit'] === undefined ? MAX_LIMIT : parseParam(limitParam, req.query['limit'], 'limit');
    const wait = req.query['wait'] === undefined ? 0 : parseParam(waitParam, req.query['wait'], 'wait');
    const subject = subjectFilter(req.query['subject']);
    const answer = (events: EngineEvent[]) =>
      res.json({ events: events.map(eventView), last_seq: events.length ? events[events.length - 1]!.seq : after });

    const ready = await committedAfter(after, limit, subject);
    if (ready.length > 0 || wait === 0) return answer(ready);
    admit();

    let finish: (events?: EngineEvent[]) => void = () => undefined;
    const timer = setTimeout(() => finish(), wait);
    const unsubscribe = vigil.onCommittedEvents(() => {
      void committedAfter(after, limit, subject).then(
        (fresh) => {
          if (fresh.length > 0) finish(fresh);
        },
        () => finish(),
      );
    });
    finish = (events: EngineEvent[] = []) => {
      clearTimeout(timer);
      unsubscribe();
      open.delete(finish);
      if (!res.writableEnded && !res.destroyed) answer(events);
    };
    open.add(finish);
    res.on('close', () => finish());
  });

  router.get('/events/stream', async (req, res) => {
    const fromHeader = req.get('last-event-id');
    const after = parseParam(seqParam, req.query['after'] ?? fromHeader ?? vigil.committedSeq, 'after');
    const subject = subjectFilter(req.query['subject']);
    admit();
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    // Browsers: reconnect after 1 s (not their default 3 s), and resume after `after` even if no event came before
    // the drop (an `id:` without data sets EventSource's Last-Event-ID and dispatches nothing).
    res.write(`retry: 1000\nid: ${after}\n\n`);

    let sent = after;
    let live = false;
    let closed = false;
    let stalled: NodeJS.Timeout | undefined;
    /** Writes; cuts the client off once its unsent data passes the bound (it resumes from the last id it got). */
    const write = (text: string): boolean => {
      if (closed) return false;
      const flowing = res.write(text);
      if (res.writableLength > limits.streamBufferBytes) {
        drop();
        return false;
      }
      return flowing;
    };
    /** Writes events after `sent` until the client stops keeping up; returns whether it kept up with all of them. */
    const send = (events: EngineEvent[]): boolean => {
      for (const event of events) {
        if (event.seq <= sent || (subject !== undefined && event.subject !== subject)) continue;
        const flowing = write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(eventView(event))}\n\n`);
        if (closed) return false;
        sent = event.seq;
        if (!flowing) return false;
      }
      return true;
    };
    // Live events go straight out while the client keeps up. Once it lags, the rest are not buffered here: the stream
    // falls back to paging from the store (they are committed there) as the client reads.
    const unsubscribe = vigil.onCommittedEvents((events) => {
      if (live && !send(events)) awaitDrain();
    });
    const heartbeat = setInterval(() => write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    const drop = () => {
      if (closed) return;
      dropped++;
      close();
      res.destroy();
    };
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      clearTimeout(stalled);
      unsubscribe();
      open.delete(close);
      if (!res.writableEnded) res.end();
    };
    open.add(close);
    res.on('close', close);

    // One page per step, the next only once the client has read the last: memory stays at about a page per stream.
    // Steps of all streams share one pump, a few pages per turn of the event loop, so fifty clients replaying long
    // histories at once cost the same per turn as one and scrapes and writes get their turn between pages.
    const step = (): void => {
      if (closed) return;
      const seen = vigil.committedSeq;
      committedAfter(sent, STREAM_PAGE, subject).then(
        (page) => {
          if (closed) return;
          if (page.length === 0) {
            // Live only if nothing was committed while the store answered (always so with SQLite, which answers at
            // once); otherwise those events went by while not live: page them too.
            if (vigil.committedSeq === seen) live = true;
            else backlog.enqueue(step);
            return;
          }
          if (send(page)) return backlog.enqueue(step);
          awaitDrain();
        },
        () => drop(), // the store is unreachable: the client reconnects with Last-Event-ID
      );
    };
    /** Back to paging once the client has read what it holds; a client that reads nothing for a stall period is cut off. */
    const awaitDrain = (): void => {
      live = false;
      stalled = setTimeout(() => drop(), limits.streamStallMs);
      res.once('drain', () => {
        clearTimeout(stalled);
        backlog.enqueue(step);
      });
    };
    backlog.enqueue(step);
  });

  return {
    router,
    streams: {
      get open() {
        return open.size;
      },
      get dropped() {
        return dropped;
      },
      closeAll: () => {
        for (const close of [...open]) close();
      },
    },
  };
}
