// The generated dashboards checked against Grafana's own TypeScript schema (@grafana/schema, dev dependency):
// this file only compiles if every dashboard the generator builds is a valid `Dashboard` of that schema.
// Grafana's schema types string enums (MappingType, ThresholdsMode, …); JSON carries their values, so the check
// compares against the schema with each string enum replaced by the union of its values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dashboard as GrafanaDashboard } from '@grafana/schema';
import { dashboards } from '../../src/generate/grafana/index.js';

/** T with every string enum replaced by its values (`MappingType` → 'value' | 'range' | …), recursively. */
type JsonOf<T> = T extends string
  ? `${T}`
  : T extends readonly (infer Item)[]
    ? JsonOf<Item>[]
    : T extends object
      ? { [Key in keyof T]: JsonOf<T[Key]> }
      : T;

describe('Grafana dashboards against @grafana/schema', () => {
  it('every generated dashboard is a Dashboard of the Grafana schema (checked by the compiler)', () => {
    const typed: JsonOf<GrafanaDashboard>[] = dashboards('header');
    assert.equal(typed.length, 5);
    for (const dashboard of typed) assert.ok(dashboard.uid && dashboard.title && dashboard.schemaVersion);
  });
});
