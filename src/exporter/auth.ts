// Bearer-token authorisation for API writes (and reads, scope `read`, when the web config protects them).
// 401: no or unknown token; 403: a known token without the needed scope.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpProblem } from './problem.js';

export type Scope = 'observe' | 'connectivity' | 'metadata' | 'manipulate' | 'admin' | 'agent' | 'read';

export interface ApiToken {
  name: string;
  token: string;
  scopes: Scope[];
}

interface KnownToken {
  name: string;
  digest: Buffer;
  scopes: Set<Scope>;
}

/** Compares SHA-256 digests in constant time, so neither token length nor content leaks through timing. */
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export class Authorizer {
  private readonly tokens: KnownToken[];

  constructor(tokens: ApiToken[]) {
    this.tokens = tokens.map((t) => ({ name: t.name, digest: digest(t.token), scopes: new Set(t.scopes) }));
  }

  /** Express middleware demanding `scope`; `admin` holds every scope. Sets `res.locals.tokenName`. */
  require(scope: Scope) {
    return (req: Request, res: Response, next: NextFunction): void => {
      try {
        res.locals['tokenName'] = this.authorize(req.get('authorization'), scope);
      } catch (error) {
        return next(error);
      }
      next();
    };
  }

  /** Checks an Authorization header value outside express (websocket upgrades); returns the token name or throws HttpProblem. */
  authorize(header: string | undefined, scope: Scope): string {
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new HttpProblem(401, 'Unauthorized', 'this request needs an Authorization: Bearer <token> header');
    const presented = digest(match[1]!);
    const known = this.tokens.find((t) => timingSafeEqual(t.digest, presented));
    if (!known) throw new HttpProblem(401, 'Unauthorized', 'the bearer token is not one of the configured api.tokens');
    if (!known.scopes.has(scope) && !known.scopes.has('admin')) {
      throw new HttpProblem(403, 'Forbidden', `token "${known.name}" lacks the "${scope}" scope this request needs`);
    }
    return known.name;
  }
}
