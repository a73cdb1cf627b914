// Wire-level pieces: Go durations and times, relay/jump frame decoding, HS256 tokens, backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, formatGoTime, goTimeFromRfc3339, GO_ZERO_TIME, parseGoDuration } from '../../../src/sources/practable/go-format.js';
import { decodeJumpFrame, decodeRelayFrame, experimentOfStream, isExperimentStream } from '../../../src/sources/practable/reports.js';
import { bookAdminToken, jumpStatsToken, relayStatsToken } from '../../../src/sources/practable/tokens.js';
import { signJwt, verifyJwt } from '../../../src/util/jwt.js';
import { Backoff } from '../../../src/util/backoff.js';
import { jumpHost, relayHousekeeping, relayStream, relayStreamV08 } from './fakes.js';

test('Go durations parse as relay writes them and format as status prints them', () => {
  assert.equal(parseGoDuration('41.2ms'), 41.2);
  assert.equal(parseGoDuration('1h2m3.5s'), 3_723_500);
  assert.equal(parseGoDuration('1.5µs'), 0.0015);
  assert.equal(parseGoDuration('100ns'), 0.0001);
  assert.equal(parseGoDuration('0'), 0);
  assert.ok(Math.abs(parseGoDuration('2562047h47m16.854775807s')! - 9_223_372_036_854.775) < 1);
  for (const bad of ['', '5', '1d', 'ms', 'Never', '1 s']) assert.equal(parseGoDuration(bad), undefined, bad);
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(41.2), '41.2ms');
  assert.equal(formatGoDuration(3_723_500), '1h2m3.5s');
  assert.equal(formatGoDuration(999 * 3_600_000), '999h0m0s');
  assert.equal(formatGoDuration(0.0015), '1.5µs');
  assert.equal(formatGoDuration(0.0001), '100ns');
  assert.equal(formatGoDuration(90_000), '1m30s');
  assert.equal(formatGoDuration(1_000), '1s');
});

test('Go Time.String in UTC, from epoch ms and from RFC 3339 keeping nanoseconds', () => {
  assert.equal(formatGoTime(Date.UTC(2024, 4, 2, 10, 0, 0, 100)), '2024-05-02 10:00:00.1 +0000 UTC');
  assert.equal(formatGoTime(Date.UTC(2024, 4, 2, 10, 0, 0)), '2024-05-02 10:00:00 +0000 UTC');
  assert.equal(formatGoTime(undefined), GO_ZERO_TIME);
  assert.equal(goTimeFromRfc3339('2024-05-02T09:00:00.123456789Z'), '2024-05-02 09:00:00.123456789 +0000 UTC');
  assert.equal(goTimeFromRfc3339('0001-01-01T00:00:00Z'), GO_ZERO_TIME);
  assert.equal(goTimeFromRfc3339('2024-05-02T11:00:00+02:00'), '2024-05-02 09:00:00 +0000 UTC');
  assert.equal(goTimeFromRfc3339('garbage'), GO_ZERO_TIME);
});

test('relay v0.7.0 frames: Go durations, "Never", numeric nanoseconds', () => {
  const frame = [
    ...relayHousekeeping,
    relayStream('pend00-st-data', '41.2ms'),
    relayStream('pend00-st-video', 'Never'),
    relayStream('pend01-st-data', 2_000_000_000),
  ];
  const decoded = decodeRelayFrame(JSON.stringify(frame));
  assert.ok(decoded.ok);
  const [generator, data, video, numeric] = decoded.reports;
  assert.equal(isExperimentStream(generator!), false, 'the generator has no expt scope');
  assert.deepEqual(data!.stats!.tx, { never: false, lastMs: 41.2, size: 1024, fps: 24.98 });
  assert.equal(video!.stats!.tx!.never, true);
  assert.equal(numeric!.stats!.tx!.lastMs, 2_000);
  assert.equal(data!.connected, '2024-05-02T09:00:00.123456789Z');
});

test('relay v0.8.0+ frames have no stats: decoded without them', () => {
  const decoded = decodeRelayFrame(JSON.stringify([relayStreamV08('pend00-st-data')]));
  assert.ok(decoded.ok);
  assert.equal(decoded.reports[0]!.stats, undefined);
  assert.equal(isExperimentStream(decoded.reports[0]!), true);
});

test('malformed frames are refused whole, with a reason', () => {
  assert.deepEqual(decodeRelayFrame('{"cmd":"update"}'), { ok: false, reason: 'not_array' });
  assert.deepEqual(decodeRelayFrame('[{"topic":'), { ok: false, reason: 'not_json' });
  assert.deepEqual(decodeRelayFrame(JSON.stringify([relayStream('a-st-b', '1s'), { topic: 5 }])), { ok: false, reason: 'bad_report' });
  assert.deepEqual(decodeRelayFrame(JSON.stringify([relayStream('a-st-b', 'soon')])), { ok: false, reason: 'bad_report' });
  assert.deepEqual(decodeRelayFrame(JSON.stringify([{ ...relayStream('a-st-b', '1s'), scopes: 'expt' }])), { ok: false, reason: 'bad_report' });
  assert.deepEqual(decodeJumpFrame('null'), { ok: false, reason: 'not_array' });
});

test('topic → experiment follows status regex; jump snake_case keys are read', () => {
  assert.equal(experimentOfStream('pend00-st-data'), 'pend00');
  assert.equal(experimentOfStream('a-st-b-st-c'), 'a-st-b');
  assert.equal(experimentOfStream('pend00-data'), undefined);
  assert.equal(experimentOfStream('stats'), undefined);
  const jump = decodeJumpFrame(JSON.stringify([jumpHost('pend00'), { topic: 'stats', scopes: ['stats', 'read', 'write'], user_agent: 'internal' }]));
  assert.ok(jump.ok);
  assert.deepEqual(jump.reports[0], {
    topic: 'pend00',
    scopes: ['host', 'read', 'write'],
    connected: '2024-05-02T09:00:00Z',
    expiresAt: '2029-05-01T09:00:00Z',
    userAgent: 'Go-http-client/1.1',
  });
});

test('tokens carry exactly the claims upstream status sends', () => {
  const now = Date.UTC(2026, 0, 1);
  const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  const header = JSON.parse(Buffer.from(relayStatsToken('https://a/ed0/access', 's', now, 60_000).split('.')[0]!, 'base64url').toString('utf8'));
  assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
  const times = { iat: now / 1000 - 2, nbf: now / 1000 - 2, exp: now / 1000 + 60 };
  assert.deepEqual(decode(relayStatsToken('https://a/ed0/access', 's', now, 60_000)), {
    topic: 'stats',
    prefix: 'session',
    scopes: ['read'],
    booking_id: 'status-server',
    aud: ['https://a/ed0/access'],
    ...times,
  });
  assert.deepEqual(decode(jumpStatsToken('https://a/ed0/jump', 's', now, 60_000)), {
    topic: 'stats',
    prefix: 'connect',
    scopes: ['stats'],
    booking_id: 'status-server',
    aud: ['https://a/ed0/jump'],
    ...times,
  });
  assert.deepEqual(decode(bookAdminToken('https://a/ed0/book', 's', now, 60_000)), {
    scopes: ['booking:admin'],
    sub: 'status-server',
    aud: ['https://a/ed0/book'],
    ...times,
  });
});

test('HS256 verification: signature, exp, nbf, iat, audience; never throws', () => {
  const now = Date.UTC(2026, 0, 1);
  const s = now / 1000;
  const token = signJwt({ aud: ['x'], iat: s, nbf: s, exp: s + 10 }, 'secret');
  assert.equal(verifyJwt(token, 'secret', { audience: 'x', now }).ok, true);
  assert.deepEqual(verifyJwt(token, 'other', { now }), { ok: false, reason: 'signature is invalid' });
  assert.deepEqual(verifyJwt(token, 'secret', { audience: 'y', now }), { ok: false, reason: 'token has invalid audience' });
  assert.deepEqual(verifyJwt(token, 'secret', { now: now + 10_000 }), { ok: false, reason: 'token is expired' });
  assert.deepEqual(verifyJwt(token, 'secret', { now: now - 1_000 }), { ok: false, reason: 'token is not valid yet' });
  assert.deepEqual(verifyJwt(`Bearer ${token}`, 'secret', { now }).ok, false);
  assert.deepEqual(verifyJwt('a.b', 'secret').ok, false);
  assert.equal(verifyJwt(signJwt({ aud: 'x' }, 'secret'), 'secret', { audience: 'x', requireExp: true }).ok, false);
  assert.equal(verifyJwt(signJwt({ aud: 'x', exp: s + 5 }, 'secret'), 'secret', { audience: 'x', now }).ok, true, 'aud as a string');
});

test('backoff grows by the factor up to max, jitters within bounds, resets on success', () => {
  const fixed = (r: number) => new Backoff({ min: 1_000, max: 10_000, factor: 2, jitter: 0.5, random: () => r });
  const top = fixed(0);
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => top.next()),
    [1_000, 2_000, 4_000, 8_000, 10_000, 10_000],
  );
  top.reset();
  assert.equal(top.next(), 1_000);
  const bottom = fixed(0.999999);
  assert.deepEqual(
    [1, 2, 3].map(() => bottom.next()),
    [500, 1_000, 2_000],
  );
  const random = new Backoff({ min: 100, max: 1_000 });
  for (let i = 0; i < 50; i++) {
    const delay = random.next();
    assert.ok(delay >= 50 && delay <= 1_000, `${delay}`);
  }
  assert.throws(() => new Backoff({ min: 0, max: 1 }));
});
