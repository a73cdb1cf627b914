// RFC 9457 problem details: every rejection the HTTP API gives is one of these, and a rejected request changes nothing.
import type { NextFunction, Request, Response } from 'express';
import { EngineError } from '../engine/types.js';
import { StoreError } from '../store/errors.js';

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export function sendProblem(res: Response, problem: HttpProblem, instance?: string): void {
  // A caller offering several schemes (the web guard: Basic and Bearer) has set its own challenge.
  if (problem.status === 401 && !res.hasHeader('WWW-Authenticate')) res.setHeader('WWW-Authenticate', 'Bearer realm="vigil"');
  res
    .status(problem.status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: 'about:blank',
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        ...(instance ? { instance } : {}),
        ...problem.extra,
      }),
    );
}

export const badRequest = (detail: string, extra?: Record<string, unknown>): HttpProblem => new HttpProblem(400, 'Bad Request', detail, extra);
export const notFound = (detail: string): HttpProblem => new HttpProblem(404, 'Not Found', detail);
export const conflict = (detail: string): HttpProblem => new HttpProblem(409, 'Conflict', detail);

/**
 * Maps anything thrown in a route to a problem answer. Unexpected errors are logged (without request bodies) as
 * errors; malformed requests (bad escapes, encodings, bodies) go to `logRejected`, which the caller rate-limits.
 */
export function problemHandler(log: (error: unknown) => void, logRejected: (problem: HttpProblem, req: Request) => void = () => undefined) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const instance = req.originalUrl.split('?')[0];
    if (error instanceof HttpProblem) return sendProblem(res, error, instance);
    if (error instanceof EngineError) {
      const status = { not_found: 404, conflict: 409, invalid: 400 }[error.code];
      const title = { not_found: 'Not Found', conflict: 'Conflict', invalid: 'Bad Request' }[error.code];
      return sendProblem(res, new HttpProblem(status, title, error.message), instance);
    }
    if (error instanceof StoreError) {
      // Nothing was applied (see Vigil.applyDurably): the client may retry once the store works again.
      res.setHeader('Retry-After', '5');
      return sendProblem(
        res,
        new HttpProblem(503, 'Service Unavailable', `the write was not stored and changed nothing: ${error.message}`),
        instance,
      );
    }
    const malformed = bodyParserProblem(error) ?? clientErrorProblem(error);
    if (malformed) {
      logRejected(malformed, req);
      return sendProblem(res, malformed, instance);
    }
    log(error);
    sendProblem(res, new HttpProblem(500, 'Internal Server Error', 'vigil could not handle this request; see its log'), instance);
  };
}

/** Other 4xx errors express and body-parser raise (http-errors: a malformed %-escape, a body that fails to inflate). */
function clientErrorProblem(error: unknown): HttpProblem | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  if (error instanceof URIError || /decode/i.test((error as Error).message ?? '')) {
    return badRequest('the request path holds a malformed %-escape');
  }
  const type = (error as { type?: unknown }).type;
  if (
    type === 'stream.encoding.set' ||
    (error as { code?: unknown }).code === 'Z_DATA_ERROR' ||
    /incorrect header|unexpected end|invalid/i.test((error as Error).message ?? '')
  ) {
    return badRequest('the request body does not match its Content-Encoding');
  }
  return new HttpProblem(status, status === 400 ? 'Bad Request' : 'Client Error', `the request was malformed (${status})`);
}

/** express.json() signals its rejections with `type` and `status` fields on the error. */
function bodyParserProblem(error: unknown): HttpProblem | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  const { type, limit } = error as { type: string; limit?: number };
  if (type === 'entity.too.large') {
    return new HttpProblem(413, 'Content Too Large', `request body is larger than the limit of ${limit ?? '?'} bytes (config api.max_body)`);
  }
  if (type === 'entity.parse.failed') return badRequest('request body is not valid JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new HttpProblem(415, 'Unsupported Media Type', 'request body must be UTF-8 JSON');
  }
  return undefined;
}
