// The timing keys of the config reach the engine: defaults, per subject, per target; and `renamed_from`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, problemAt, refused, yaml } from './helpers.js';

describe('config timing and renames', () => {
  it('takes overhead, accuracy and push_period per subject, and accuracy per target', async () => {
    const { config } = await parse(
      yaml(
        'defaults: { overhead: 2s, accuracy: 1s, push_period: 30s }',
        'subjects:',
        '  - { id: host-5, kind: host, accuracy: 60s, overhead: 0s, push_period: 1m, freshness: 3 }',
        '  - { id: host-6, kind: host }',
        'targets:',
        '  - { name: web, type: hostport, host: 127.0.0.1, port: 80, accuracy: 500ms }',
      ),
    );
    assert.deepEqual([config.settings.overhead, config.settings.accuracy, config.settings.pushPeriod], [2000, 1000, 30_000]);
    assert.deepEqual(config.subjects[0]!.timing, { freshness: 3, overhead: 0, accuracy: 60_000, pushPeriod: 60_000 });
    assert.equal(config.subjects[1]!.timing, undefined, 'no override: the defaults apply');
    assert.equal(config.targets[0]!.accuracy, 500);
  });

  it('does not take overhead or push_period on a target: probes stamp observed_at, so only accuracy applies', async () => {
    const error = await refused(yaml('targets:', '  - { name: web, type: hostport, host: 127.0.0.1, port: 80, overhead: 1s }'));
    assert.match(problemAt(error, 'targets[0].overhead').message, /unknown key "overhead"/);
  });

  it('reads renamed_from as a rename to apply at start', async () => {
    const { config } = await parse(yaml('subjects:', '  - { id: db1.new, kind: host, renamed_from: db1.old }', '  - { id: sw, kind: switch }'));
    assert.deepEqual(config.renames, [{ from: 'db1.old', to: 'db1.new' }]);
    assert.deepEqual(Object.keys(config.subjects[0]!).sort(), ['dependsOn', 'id', 'kind', 'labels', 'source'], 'not part of the spec');
  });

  it('refuses a renamed_from that names a configured subject, the subject itself, or one claimed twice', async () => {
    const error = await refused(
      yaml(
        'subjects:',
        '  - { id: a, kind: host, renamed_from: b }',
        '  - { id: b, kind: host }',
        '  - { id: c, kind: host, renamed_from: c }',
        '  - { id: d, kind: host, renamed_from: old }',
        '  - { id: e, kind: host, renamed_from: old }',
      ),
    );
    assert.match(problemAt(error, 'subjects[0].renamed_from').message, /"b" is still a configured subject \(subjects\[1\]\)/);
    assert.match(problemAt(error, 'subjects[2].renamed_from').message, /cannot be renamed from its own id/);
    assert.match(problemAt(error, 'subjects[4].renamed_from').message, /subjects\[3\] is already renamed from "old"/);
    assert.equal(problemAt(error, 'subjects[4].renamed_from').line, 6);
  });
});
