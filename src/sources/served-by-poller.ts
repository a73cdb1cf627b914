// With replicas, a polling source runs on one of them, and only there does its own state live (the experiments
// practable's streams describe, the heartbeats the mesh source sent). A route that answers from that state is served
// by the replica running the source: on the others this middleware sends the request on and relays the answer.
import type { RequestHandler } from 'express';
import type { ReplicasView } from './extension.js';

/**
 * Passes the request on to the next handler where `source` runs (or without replicas); elsewhere answers it from the
 * replica running the source. A body already read raw (`express.raw`) travels as it came.
 */
export function servedByPoller(cluster: ReplicasView | undefined, source: string): RequestHandler {
  return (req, res, next) => {
    if (!cluster) return next();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    cluster.forwardToPoller(source, req, res, body).then((answered) => {
      if (!answered) next();
    }, next);
  };
}
