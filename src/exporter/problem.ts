// RFC 9457 problem details: every rejection the HTTP API gives is one of these, and a rejected request changes nothing.
import type { NextFunction, Request, Response } from 'express';
import { EngineError } from '../engine/types.js';

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

export const badRequest = (detail: string, extra?: Record<string, unknown>): HttpProblem =>
  new HttpProblem(400, 'Bad Request', detail, extra);
export const notFound = (detail: string): HttpProblem => new HttpProblem(404, 'Not Found', detail);
export const conflict = (detail: string): HttpProblem => new HttpProblem(409, 'Conflict', detail);

/** Maps anything thrown in a route to a problem answer; unexpected errors are logged without request bodies. */
export function problemHandler(log: (error: unknown) => void) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const instance = req.originalUrl.split('?')[0];
    if (error instanceof HttpProblem) return sendProblem(res, error, instance);
    if (error instanceof EngineError) {
      const status = { not_found: 404, conflict: 409, invalid: 400 }[error.code];
      const title = { not_found: 'Not Found', conflict: 'Conflict', invalid: 'Bad Request' }[error.code];
      return sendProblem(res, new HttpProblem(status, title, error.message), instance);
    }
    const bodyError = bodyParserProblem(error);
    if (bodyError) return sendProblem(res, bodyError, instance);
    log(error);
    sendProblem(res, new HttpProblem(500, 'Internal Server Error', 'vigil could not handle this request; see its log'), instance);
  };
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
