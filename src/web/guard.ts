// The web config's request side, as one middleware in front of every route: response headers, the rate limit, and
// read authentication. With basic_auth_users configured, every GET/HEAD (/metrics, the API reads, the status page,
// badges, anything added later) needs valid basic credentials or a bearer token with the `read` scope; only the
// lifecycle probes and, when configured public, the badges stay open. Writes keep their bearer-token scopes.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Authorizer } from '../exporter/auth.js';
import { HttpProblem } from '../exporter/problem.js';
import { BasicAuthUsers, parseBasicHeader } from './basic-auth.js';
import type { WebConfig } from './web-config.js';

/** Always reachable: load balancers and orchestrators probe them without credentials. */
export const OPEN_PATHS: readonly string[] = ['/-/healthy', '/-/ready'];
/** The badges' routes, reachable without credentials when `public_badges: true`. */
export const BADGE_PATH_RE = /^\/badge\//;

export const CHALLENGES = ['Basic realm="vigil", charset="UTF-8"', 'Bearer realm="vigil"'];

/** Whether this response answers a request that needed and had credentials: it must stay out of shared caches. */
export const isAuthenticated = (res: Response): boolean => res.locals['authenticated'] === true;

export interface GuardOptions {
  auth: Authorizer;
  publicBadges: boolean;
}

export class WebGuard {
  private users: BasicAuthUsers;
  private headers: [string, string][];
  private bucket: TokenBucket | undefined;

  constructor(
    config: WebConfig,
    private readonly options: GuardOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new BasicAuthUsers(config.basicAuthUsers);
    this.headers = Object.entries(config.headers);
    this.bucket = config.rateLimit && new TokenBucket(config.rateLimit.intervalMs, config.rateLimit.burst, now());
  }

  /** Takes a re-read web config (SIGHUP); requests after this see the new users, headers and limit. */
  update(config: WebConfig): void {
    this.users = new BasicAuthUsers(config.basicAuthUsers);
    this.headers = Object.entries(config.headers);
    this.bucket = config.rateLimit && new TokenBucket(config.rateLimit.intervalMs, config.rateLimit.burst, this.now());
  }

  /** Whether reads need credentials right now. */
  get protectsReads(): boolean {
    return this.users.enabled;
  }

  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction): void => {
      for (const [name, value] of this.headers) res.setHeader(name, value);
      if (this.bucket && !this.bucket.take(this.now())) {
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(this.bucket.intervalMs / 1000))));
        return next(new HttpProblem(429, 'Too Many Requests', 'the web config rate_limit is exhausted; retry later'));
      }
      if (!this.needsCredentials(req)) return next();
      this.authenticate(req).then(
        () => {
          res.locals['authenticated'] = true;
          next();
        },
        (error: unknown) => {
          if (error instanceof HttpProblem && error.status === 401) res.setHeader('WWW-Authenticate', CHALLENGES);
          next(error);
        },
      );
    };
  }

  private needsCredentials(req: Request): boolean {
    if (OPEN_PATHS.includes(req.path)) return false;
    if (!this.users.enabled) return false;
    if (this.options.publicBadges && BADGE_PATH_RE.test(req.path)) return false;
    // Writes carry a bearer token with a write scope; their routes check it.
    return req.method === 'GET' || req.method === 'HEAD';
  }

  private async authenticate(req: Request): Promise<void> {
    const header = req.get('authorization');
    if (header && /^Bearer\s/i.test(header)) {
      this.options.auth.authorize(header, 'read');
      return;
    }
    const credentials = parseBasicHeader(header);
    if (!credentials)
      throw new HttpProblem(401, 'Unauthorized', 'this server needs basic auth (a user of the web config) or a bearer token with the read scope');
    if (!(await this.users.verify(credentials))) throw new HttpProblem(401, 'Unauthorized', 'wrong user name or password');
  }
}

/** exporter-toolkit's rate_limit: one request per `intervalMs`, with bursts of `burst`. */
class TokenBucket {
  private tokens: number;

  constructor(
    readonly intervalMs: number,
    private readonly burst: number,
    private last: number,
  ) {
    this.tokens = Math.max(1, burst);
  }

  take(now: number): boolean {
    this.tokens = Math.min(Math.max(1, this.burst), this.tokens + (now - this.last) / this.intervalMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
