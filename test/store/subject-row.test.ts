// The compact subject row: lossless for every field, valid JSON whatever the strings hold, and small.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as engine from '../../src/engine/index.js';
import type { SubjectState } from '../../src/engine/types.js';
import { CHECK_FIELDS, SUBJECT_FIELDS, decodeSubject, encodeSubject, isCompactSubject } from '../../src/store/subject-row.js';
import { SETTINGS, makeSubject } from './fixtures/factory.js';
import { TEST_SETTINGS } from '../helpers/settings.js';

const T = 1_800_000_000_000;

function roundTrip(subject: SubjectState): SubjectState {
  const parsed: unknown = JSON.parse(encodeSubject(subject));
  assert.ok(isCompactSubject(parsed));
  return decodeSubject(parsed);
}

/** Every optional field of the subject and of a check set, and a check without any. */
function everyField(): SubjectState {
  const subject = makeSubject('db "primary"\n', 4);
  subject.spec = { ...subject.spec, startupGrace: 5_000, appearanceTimeout: 60_000, timing: { freshness: 3, pushPeriod: 30_000 } };
  Object.assign(subject, {
    renamedAt: T - 10,
    renamedFrom: 'db-old',
    runs: {
      ping: { total: 9, last: { ok: 7, unreachable: 9 } },
      never: { total: 2, last: { unreachable: 2 } },
      crit: { total: 3, last: { warn: 1, crit: 3 } },
    },
    healthReason: 'check ping crit ("quoted") \u2028 and a line separator',
    connectivityReason: 'no reply',
    pendingUnavailable: { at: T + 30_000, reason: 'agent gone' },
    nextDeadline: T + 60_000,
  });
  subject.checks['disk/root'] = {
    name: 'disk/root',
    source: 'agent',
    reported: 'crit',
    message: 'ünïcode ✓ and "quotes" and \\ backslash',
    period: 60_000,
    maxAge: 120_000,
    timing: { freshness: 2, overhead: 1_000, accuracy: 500, pushPeriod: 15_000 },
    observedAt: T - 5,
    receivedAt: T,
    statusChangedAt: T - 600_000,
    consecutiveFailures: 12,
    consecutiveSuccesses: 0,
    metrics: { used_bytes: 1.5e12, ratio: 0.973, negative: -3 },
    expiresAt: T + 120_000,
    effectiveAt: T + 1_500,
    status: 'unknown',
    counted: false,
    notCountedReason: 'dependency',
    notCounted: {
      reason: 'dependency',
      rule: 'x >= y',
      times: { effective_at: T + 1_500 },
      dependency: 'sw3',
      dependencyHealth: 'unhealthy',
      lag: 5_000,
      countsFrom: T + 9_000,
    },
    dropped: true,
  };
  return subject;
}

describe('compact subject rows', () => {
  it('give back a state deep-equal to the one written, for every field', () => {
    // Every stored field is set here, so a field the encoder or decoder forgets fails the comparison below.
    const full = everyField();
    for (const field of SUBJECT_FIELDS) assert.notEqual(full[field], undefined, `everyField() sets ${field}`);
    for (const field of CHECK_FIELDS) assert.notEqual(full.checks['disk/root']![field], undefined, `everyField() sets checks.*.${field}`);
    assert.deepStrictEqual(roundTrip(makeSubject('host-1', 3)), makeSubject('host-1', 3));
    assert.deepStrictEqual(roundTrip(everyField()), everyField());
    const bare = makeSubject('bare');
    bare.checks = {};
    bare.manipulations = {};
    bare.metadata = {};
    delete bare.connectivity;
    delete bare.connectivityChangedAt;
    delete bare.lastSeenAt;
    assert.deepStrictEqual(roundTrip(bare), bare);
  });

  it('give back what the engine made of a fleet of results, dependencies and renames', () => {
    const state = engine.createState(TEST_SETTINGS);
    engine.upsertSubject(state, { id: 'sw3', kind: 'switch', labels: { rack: 'r7' }, dependsOn: [], source: 'config' }, T);
    engine.upsertSubject(state, { id: 'db1', kind: 'host', labels: {}, dependsOn: [{ id: 'sw3', lag: 5_000 }], source: 'config' }, T);
    engine.applyObservations(
      state,
      [
        { subject: 'sw3', check: 'ping', status: 'crit', period: 10_000, metrics: { rtt: 0.25 } },
        { subject: 'db1', check: 'ssh', status: 'ok', period: 60_000, message: 'fine', observedAt: T - 2 },
        { subject: 'db1', check: 'disk', status: 'ok', period: 60_000, reached: false },
        { subject: 'push-1', check: 'backup', status: 'warn', period: 3_600_000, maxAge: 7_200_000 },
      ],
      T + 1_000,
    );
    engine.renameSubject(state, 'push-1', 'push-2', T + 2_000);
    engine.tick(state, T + 3_600_000);
    assert.ok(state.subjects.size >= 3);
    for (const subject of state.subjects.values()) assert.deepStrictEqual(roundTrip(subject), subject);
  });

  it('stay valid JSON with numbers JSON cannot hold, as JSON.stringify would write them (null)', () => {
    const subject = makeSubject('host-1');
    subject.warnings = Number.NaN;
    subject.checks.ping!.period = Number.POSITIVE_INFINITY;
    const parsed = JSON.parse(encodeSubject(subject)) as unknown[];
    assert.ok(isCompactSubject(parsed));
    const decoded = decodeSubject(parsed);
    const viaJson = JSON.parse(JSON.stringify(subject)) as SubjectState;
    assert.equal(decoded.warnings, viaJson.warnings);
    assert.equal(decoded.checks.ping!.period, viaJson.checks.ping!.period);
  });

  it('are small: a pushed host with five checks fits below 1 KB, under half its named-field JSON', () => {
    const state = engine.createState({ ...SETTINGS });
    engine.applyObservations(
      state,
      Array.from({ length: 5 }, (_, i) => ({ subject: 'host-12345', check: `check-${i}`, status: 'ok' as const, period: 3_600_000 })),
      T,
    );
    const subject = state.subjects.get('host-12345')!;
    const compact = encodeSubject(subject).length;
    assert.ok(compact < 1_000, `compact row is ${compact} bytes`);
    assert.ok(compact < JSON.stringify(subject).length / 2, `compact ${compact} vs ${JSON.stringify(subject).length} bytes`);
  });

  it('take own keys only, as JSON.stringify and JSON.parse do (a key "__proto__" stays an own property)', () => {
    const parsed = JSON.parse(
      JSON.stringify(makeSubject('host-1')).replace('"checks":{"ping":{"name":"ping"', '"checks":{"__proto__":{"name":"__proto__"'),
    ) as SubjectState;
    assert.ok(Object.hasOwn(parsed.checks, '__proto__'));
    assert.deepStrictEqual(roundTrip(parsed), parsed);
    const inherited = makeSubject('host-2');
    inherited.checks = Object.create(inherited.checks) as SubjectState['checks'];
    assert.deepStrictEqual(roundTrip(inherited).checks, {});
  });

  it('refuse a row of an unknown format or with a malformed check', () => {
    assert.throws(() => decodeSubject([2]), /unknown subject row format 2/);
    const row = JSON.parse(encodeSubject(makeSubject('host-1'))) as unknown[];
    row[7] = { ping: 'not an array' };
    assert.throws(() => decodeSubject(row), /check "ping" is not a compact check/);
  });
});
