// The web guard's parts without a server: basic auth verification and its cache, and the rate limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NextFunction, Request, Response } from 'express';
import bcrypt from 'bcryptjs';
import { Authorizer } from '../../src/exporter/auth.js';
import { HttpProblem } from '../../src/exporter/problem.js';
import { BasicAuthUsers, parseBasicHeader } from '../../src/web/basic-auth.js';
import { PLAIN_WEB_CONFIG } from '../../src/web/web-config.js';
import { WebGuard } from '../../src/web/guard.js';

const HASH = bcrypt.hashSync('s3cret', 4);

test('parseBasicHeader reads user and password (the password may hold colons) and nothing else', () => {
  const encode = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
  assert.deepEqual(parseBasicHeader(encode('alice:pa:ss')), { user: 'alice', password: 'pa:ss' });
  assert.deepEqual(parseBasicHeader(encode('alice:')), { user: 'alice', password: '' });
  assert.equal(parseBasicHeader(encode('no-colon')), undefined);
  assert.equal(parseBasicHeader('Bearer abc'), undefined);
  assert.equal(parseBasicHeader(undefined), undefined);
});

test('one bcrypt comparison per (user, password): repeated and concurrent checks hit the cache', async () => {
  let comparisons = 0;
  const users = new BasicAuthUsers(new Map([['prometheus', HASH]]), (password, hash) => {
    comparisons++;
    return bcrypt.compare(password, hash);
  });
  const checks = await Promise.all(Array.from({ length: 20 }, () => users.verify({ user: 'prometheus', password: 's3cret' })));
  assert.ok(checks.every(Boolean));
  assert.equal(comparisons, 1, 'concurrent checks share one comparison');
  assert.equal(await users.verify({ user: 'prometheus', password: 's3cret' }), true);
  assert.equal(comparisons, 1);
  assert.equal(await users.verify({ user: 'prometheus', password: 'wrong' }), false);
  assert.equal(comparisons, 2);
  // An unknown user still pays for a comparison (against the dummy hash), and is refused even if it matched.
  assert.equal(await users.verify({ user: 'mallory', password: 's3cret' }), false);
  assert.equal(comparisons, 3);
});

test('the rate limit answers 429 once the burst is spent and refills with the clock', () => {
  let now = 0;
  const guard = new WebGuard(
    { ...PLAIN_WEB_CONFIG, rateLimit: { intervalMs: 1000, burst: 2 } },
    { auth: new Authorizer([]), publicBadges: false },
    () => now,
  );
  const middleware = guard.middleware();
  const run = (): unknown => {
    let outcome: unknown = 'passed';
    const res = { setHeader: () => res } as unknown as Response;
    const next: NextFunction = (error?: unknown) => {
      if (error) outcome = error;
    };
    middleware({ path: '/metrics', method: 'GET', get: () => undefined } as unknown as Request, res, next);
    return outcome;
  };
  assert.equal(run(), 'passed');
  assert.equal(run(), 'passed');
  const refused = run();
  assert.ok(refused instanceof HttpProblem && refused.status === 429);
  now += 1000;
  assert.equal(run(), 'passed');
  assert.ok(run() instanceof HttpProblem);
});
