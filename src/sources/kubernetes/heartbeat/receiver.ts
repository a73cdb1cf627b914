// POST /api/v1/heartbeats: where the mesh delivers heartbeats back (a Trigger's subscriber), binary or structured.
//
// Authentication: a knative broker forwards CloudEvent attributes, not an Authorization header, so a delivery from
// the mesh proves itself with the `vigilsignature` extension (HMAC-SHA256 with the heartbeat key over id,
// application, namespace and send time). A request with a bearer token of scope `observe` is accepted without a
// signature (manual tests, other senders). Everything else is 401. Bad CloudEvents are 400, heartbeats for a pair
// vigil does not expect are 404; none of them changes anything. Accepted and duplicate deliveries answer 204 with
// no body, because a 2xx answer carrying an event would be sent back into the broker as a reply.
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Authorizer } from '../../../exporter/auth.js';
import { HttpProblem, badRequest } from '../../../exporter/problem.js';
import { CloudEventError, parseCloudEvent, type CloudEvent } from './cloudevent.js';
import { verifyHeartbeat, type HeartbeatMonitor, type HeartbeatPayload } from './monitor.js';

/** The HTTP binding says intermediaries forward events up to 64 KiB; a heartbeat is a few hundred bytes. */
const MAX_BODY = '64kb';

export interface HeartbeatReceiverOptions {
  monitor: HeartbeatMonitor;
  auth: Authorizer;
  key: string;
  type: string;
  now?: () => number;
  onReceived?: (application: string, namespace: string) => void;
  /** With replicas: hands the request to the replica running the mesh source, whose sender knows what it sent. */
  servedByPoller?: RequestHandler;
}

export function heartbeatRoutes(options: HeartbeatReceiverOptions): Router {
  const router = express.Router();
  const now = options.now ?? Date.now;
  const bearer = options.auth.require('observe');
  // A bearer token is checked before the body is read; a signed heartbeat needs its (small, bounded) body to be checked.
  const bearerFirst = (req: Request, res: Response, next: NextFunction) => (req.get('authorization') === undefined ? next() : bearer(req, res, next));
  const atPoller = options.servedByPoller ? [options.servedByPoller] : [];
  router.post(
    '/heartbeats',
    bearerFirst,
    express.raw({ type: () => true, limit: MAX_BODY }),
    ...atPoller,
    (req: Request, res: Response, next: NextFunction) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let event: CloudEvent;
      let payload: HeartbeatPayload;
      let namespace: string;
      try {
        event = parseCloudEvent(req.headers, body);
        if (event.type !== options.type)
          throw badRequest(`event type ${JSON.stringify(event.type)} is not the heartbeat type ${JSON.stringify(options.type)}`);
        payload = heartbeatPayload(event);
        namespace = namespaceOf(payload, req.query['namespace']);
      } catch (error) {
        return next(error instanceof CloudEventError ? badRequest(`invalid CloudEvent: ${error.message}`) : error);
      }
      const accept = () => {
        const result = options.monitor.recordReceived(payload, namespace, now());
        if (result === 'unknown') {
          return next(new HttpProblem(404, 'Not Found', `no heartbeat is expected for application ${payload.application} in namespace ${namespace}`));
        }
        if (result === 'accepted') options.onReceived?.(payload.application, namespace);
        res.status(204).end();
      };
      if (req.get('authorization') !== undefined) return accept(); // authorised by bearerFirst
      if (!verifyHeartbeat(options.key, payload, event.extensions['vigilsignature'])) {
        return next(
          new HttpProblem(401, 'Unauthorized', 'heartbeat has no valid vigilsignature extension (and no bearer token with the observe scope)'),
        );
      }
      accept();
    },
  );
  return router;
}

function heartbeatPayload(event: CloudEvent): HeartbeatPayload {
  const data = event.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw badRequest('heartbeat data must be a JSON object {application, sent_at, namespace?}');
  const fields = data as Record<string, unknown>;
  const application = fields['application'];
  const sentAt = fields['sent_at'];
  const namespace = fields['namespace'];
  if (typeof application !== 'string' || application === '') throw badRequest('heartbeat data.application must be a non-empty string');
  if (typeof sentAt !== 'number' || !Number.isFinite(sentAt) || sentAt < 0) throw badRequest('heartbeat data.sent_at must be epoch milliseconds');
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace === ''))
    throw badRequest('heartbeat data.namespace must be a non-empty string');
  const payload: HeartbeatPayload = { id: event.id, application, sentAt };
  if (namespace !== undefined) payload.namespace = namespace;
  return payload;
}

/** The namespace a heartbeat arrived through: its data (broker mode) or the Trigger's `?namespace=` (HTTPSource mode). */
function namespaceOf(payload: HeartbeatPayload, query: unknown): string {
  const fromQuery = typeof query === 'string' && query !== '' ? query : undefined;
  if (query !== undefined && fromQuery === undefined) throw badRequest('query parameter namespace must be given once and not be empty');
  if (payload.namespace !== undefined && fromQuery !== undefined && payload.namespace !== fromQuery) {
    throw badRequest(`heartbeat for namespace ${payload.namespace} arrived with ?namespace=${fromQuery}`);
  }
  const namespace = payload.namespace ?? fromQuery;
  if (namespace === undefined) throw badRequest('heartbeat names no namespace: add ?namespace=<ns> to the Trigger subscriber URI');
  return namespace;
}
