// Event delivery: long-poll (`after` + `wait`) and an SSE stream. Only committed events are served, in seq order,
// so a consumer resuming with `after=SEQ` (or Last-Event-ID) sees no gap and no duplicate.
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { EngineEvent } from '../../engine/types.js';
import type { Vigil } from '../../runtime/vigil.js';
import { parseDuration } from '../../util/duration.js';
import { idSchema } from './bodies.js';
import { parseParam } from './parse.js';
import { eventView } from './views.js';

const MAX_WAIT_MS = 60_000;
const MAX_LIMIT = 1_000;
const SSE_HEARTBEAT_MS = 15_000;

const seqParam = z.coerce.number().int().min(0);
const limitParam = z.coerce.number().int().min(1).max(MAX_LIMIT);
const waitParam = z.string().transform((value, ctx) => {
  try {
    return Math.min(parseDuration(/^\d+(\.\d+)?$/.test(value) ? Number(value) : value), MAX_WAIT_MS);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export interface EventStreams {
  /** Ends every open long-poll and stream (graceful shutdown). */
  closeAll(): void;
}

export function eventRoutes(vigil: Vigil): { router: Router; streams: EventStreams } {
  const router = Router();
  const open = new Set<() => void>();
  const subjectFilter = (value: unknown) => (value === undefined ? undefined : parseParam(idSchema, value, 'subject'));
  // The PostgreSQL store answers asynchronously, the SQLite one at once; both are awaited alike.
  const committedAfter = async (after: number, limit: number, subject?: string): Promise<EngineEvent[]> =>
    (await vigil.store.eventsAfter(after, limit, subject)).filter((e) => e.seq <= vigil.committedSeq);

  router.get('/events', async (req, res) => {
    const after = req.query['after'] === undefined ? 0 : parseParam(seqParam, req.query['after'], 'after');
    const limit = req.query['limit'] === undefined ? MAX_LIMIT : parseParam(limitParam, req.query['limit'], 'limit');
    const wait = req.query['wait'] === undefined ? 0 : parseParam(waitParam, req.query['wait'], 'wait');
    const subject = subjectFilter(req.query['subject']);
    const answer = (events: EngineEvent[]) =>
      res.json({ events: events.map(eventView), last_seq: events.length ? events[events.length - 1]!.seq : after });

    const ready = await committedAfter(after, limit, subject);
    if (ready.length > 0 || wait === 0) return answer(ready);

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
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    // Browsers: reconnect after 1 s (not their default 3 s), and resume after `after` even if no event came before
    // the drop (an `id:` without data sets EventSource's Last-Event-ID and dispatches nothing).
    res.write(`retry: 1000\nid: ${after}\n\n`);

    let sent = after;
    const send = (events: EngineEvent[]) => {
      for (const event of events) {
        if (event.seq <= sent || (subject !== undefined && event.subject !== subject)) continue;
        writeEvent(res, event);
        sent = event.seq;
      }
    };
    // Subscribe before reading the backlog, but hold live events until the backlog is out: sent in seq order, `sent`
    // drops anything delivered twice across the seam.
    let held: EngineEvent[] | undefined = [];
    const unsubscribe = vigil.onCommittedEvents((events) => (held ? held.push(...events) : send(events)));
    try {
      for (let batch = await committedAfter(sent, MAX_LIMIT, subject); batch.length > 0; batch = await committedAfter(sent, MAX_LIMIT, subject)) {
        send(batch);
      }
    } catch {
      unsubscribe(); // the store is unreachable: end the stream, the client reconnects with Last-Event-ID
      res.end();
      return;
    }
    send(held);
    held = undefined;
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(close);
      if (!res.writableEnded) res.end();
    };
    open.add(close);
    res.on('close', close);
  });

  return { router, streams: { closeAll: () => [...open].forEach((close) => close()) } };
}

function writeEvent(res: Response, event: EngineEvent): void {
  res.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(eventView(event))}\n\n`);
}
