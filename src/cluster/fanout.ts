// Cluster-wide list reads: GET /api/v1/subjects and /api/v1/health on any replica ask every live replica for its
// own subjects (marked, so the asked replica answers from its memory and does not ask on), and merge the answers
// sorted by subject id, with one ETag over the merged list. Asking the owners rather than the database gives the
// same live view a single node gives (the database lags memory by a flush, and volatile health is computed in
// memory). Bounded: at most the live replicas of the lease table, each with a timeout and a body limit; a replica
// that does not answer makes the read fail (503, retry) rather than silently show part of the fleet.
import { createHash } from 'node:crypto';
import { Router, type Request } from 'express';
import type { SubjectState } from '../engine/types.js';
import { subjectConfigView, subjectHealthView } from '../exporter/api/views.js';
import { HttpProblem, sendProblem } from '../exporter/problem.js';
import { askEveryReplica, boundedJson, INTERNAL_TIMEOUT_MS } from './internal.js';

/** Set on a replica's request to another: answer from your own subjects, do not fan out again. */
export const FANOUT_HEADER = 'x-vigil-fanout-by';

export interface FanoutOptions {
  self: string;
  /** Live replicas' advertised addresses, this one included, asked afresh. */
  liveReplicas(): Promise<string[]>;
  /** This replica's subjects. */
  subjects(): Iterable<SubjectState>;
  /** Largest answer taken from one replica. */
  maxAnswerBytes: number;
}

type View = { id: string };
const VIEWS: Record<string, (subject: SubjectState) => View> = { '/subjects': subjectConfigView, '/health': subjectHealthView };

export function fanoutRoutes(options: FanoutOptions): Router {
  const router = Router();
  router.get(Object.keys(VIEWS), async (req, res) => {
    const view = VIEWS[req.path]!;
    const own = () => [...options.subjects()].map(view);
    if (req.get(FANOUT_HEADER)) return res.json({ subjects: own() });
    let parts: View[][];
    try {
      parts = (await askEveryReplica(options.self, await options.liveReplicas(), own, (replica) => ask(req, replica, options))).answers;
    } catch (error) {
      res.setHeader('Retry-After', '1');
      return sendProblem(
        res,
        new HttpProblem(
          503,
          'Service Unavailable',
          `a replica did not answer the cluster-wide list (${error instanceof Error ? error.message : String(error)}); retry`,
        ),
        req.originalUrl,
      );
    }
    const byId = new Map<string, View>();
    for (const part of parts) for (const subject of part) if (!byId.has(subject.id)) byId.set(subject.id, subject);
    const subjects = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const body = JSON.stringify({ subjects });
    const etag = `W/"${createHash('sha1').update(body).digest('base64url').slice(0, 27)}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    const presented = req.get('if-none-match');
    if (presented?.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) return res.status(304).end();
    res.type('application/json').send(body);
  });
  return router;
}

/** One replica's own subjects for this read, within the time and size bounds. */
async function ask(req: Request, replica: string, options: FanoutOptions): Promise<View[]> {
  const headers: Record<string, string> = { [FANOUT_HEADER]: options.self };
  const authorization = req.get('authorization');
  if (authorization !== undefined) headers['authorization'] = authorization;
  const answer = await fetch(new URL(`/api/v1${req.path}`, replica), { headers, signal: AbortSignal.timeout(INTERNAL_TIMEOUT_MS) });
  const parsed = (await boundedJson(answer, replica, options.maxAnswerBytes)) as { subjects?: unknown };
  if (!Array.isArray(parsed?.subjects)) throw new Error(`${replica} answered no subject list`);
  return parsed.subjects as View[];
}
