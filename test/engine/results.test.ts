// The one merge of engine results carries every field of EngineResult: the field list below is typed against the
// interface, so a new field fails to compile here until it is listed, and then fails this test until merged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as engine from '../../src/engine/index.js';
import type { EngineResult } from '../../src/engine/types.js';
import { T0, settings, spec } from './helpers.js';

/** Every field of EngineResult; `satisfies` makes a missing or unknown key a compile error. */
const FIELDS = { events: true, changed: true, changedSources: true, renamed: true } as const satisfies Record<keyof EngineResult, true>;

const entries = (value: EngineResult[keyof EngineResult]): unknown[] => [...value];

test('mergeResult carries every field of both results, in order', () => {
  const state = engine.createState(settings());
  // Real engine results, each field non-empty in one of them.
  const first = engine.upsertSubject(state, spec('a'), T0);
  engine.mergeResult(first, engine.applySourceStatus(state, 'poller', { up: false, reason: 'timeout' }, T0));
  const second = engine.renameSubject(state, 'a', 'b', T0 + 1);
  engine.mergeResult(second, engine.applySourceStatus(state, 'other', { up: false, reason: 'refused' }, T0 + 1));
  for (const field of Object.keys(FIELDS) as (keyof EngineResult)[]) {
    assert.ok(entries(first[field]).length + entries(second[field]).length > 0, `the fixture exercises ${field}`);
  }

  const merged = engine.emptyResult();
  engine.mergeResult(merged, first);
  engine.mergeResult(merged, second);
  for (const field of Object.keys(FIELDS) as (keyof EngineResult)[]) {
    assert.deepEqual(entries(merged[field]), [...new Set([...entries(first[field]), ...entries(second[field])])], field);
  }
  assert.deepEqual(
    merged.events.map((event) => event.seq),
    [...first.events, ...second.events].map((event) => event.seq),
    'events keep their order',
  );
});

test('emptyResult has every field, empty', () => {
  const empty = engine.emptyResult();
  for (const field of Object.keys(FIELDS) as (keyof EngineResult)[]) assert.deepEqual(entries(empty[field]), [], field);
});
