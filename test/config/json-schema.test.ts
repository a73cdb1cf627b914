import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configJsonSchema } from '../../src/config/json-schema.js';

type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  default?: unknown;
  description?: string;
  required?: string[];
  additionalProperties?: unknown;
};

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as SchemaNode & { $schema: string; title: string };

  it('is a draft-07 schema with a title, closed at the top', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.title, 'vigil configuration');
    assert.equal(schema.additionalProperties, false);
    assert.equal(schema.required, undefined, 'every top-level key is optional');
  });

  it('documents defaults and descriptions', () => {
    const defaults = schema.properties!['defaults']!.properties!;
    assert.equal(defaults['freshness']!.default, 2);
    assert.equal(defaults['rename_lag']!.default, '3h');
    assert.ok(defaults['appearance_timeout']!.description);
    const subject = schema.properties!['subjects']!.items!;
    assert.deepEqual(subject.required, ['id', 'kind']);
    assert.equal(subject.additionalProperties, false);
  });
});
