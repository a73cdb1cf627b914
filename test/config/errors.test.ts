import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, formatProblem } from '../../src/config/errors.js';
import { problemAt, refused, yaml } from './helpers.js';

describe('config errors', () => {
  it('refuses an unknown top-level key at its position', async () => {
    const error = await refused(yaml('listen: 0.0.0.0:9977', 'lisen: 1'));
    const problem = problemAt(error, 'lisen');
    assert.deepEqual([problem.file, problem.line, problem.col], ['test.yml', 2, 1]);
    assert.match(problem.message, /unknown key "lisen"; did you mean "listen"\?/);
    assert.equal(error.message, `test.yml:2:1: lisen: ${problem.message}`);
  });

  it('refuses unknown keys at every nested level', async () => {
    const error = await refused(
      yaml(
        'store:',
        '  flush_intervl: 1s',
        'api:',
        '  tokens:',
        '    - name: a',
        '      token: t',
        '      scope: [admin]',
        '      scopes: [admin]',
        'defaults:',
        '  freshnes: 3',
        'subjects:',
        '  - id: a',
        '    kind: host',
        '    depends_on: [{ id: a2, lagg: 1m }]',
        '  - { id: a2, kind: host, colour: red }',
      ),
    );
    const expected: [string, number, number][] = [
      ['store.flush_intervl', 2, 3],
      ['api.tokens[0].scope', 7, 7],
      ['defaults.freshnes', 10, 3],
      ['subjects[0].depends_on[0].lagg', 14, 28],
      ['subjects[1].colour', 15, 27],
    ];
    for (const [path, line, col] of expected) {
      const problem = problemAt(error, path);
      assert.deepEqual([problem.line, problem.col], [line, col], path);
      assert.match(problem.message, /^unknown key/);
    }
    assert.equal(error.problems.length, expected.length, error.message);
  });

  it('refuses a bad duration with the parser’s message', async () => {
    const error = await refused(yaml('defaults:', '  rename_lag: 3 hours', '  startup_grace: 60'));
    const rename = problemAt(error, 'defaults.rename_lag');
    assert.deepEqual([rename.line, rename.col], [2, 15]);
    assert.match(rename.message, /invalid duration "3 hours"/);
    assert.match(problemAt(error, 'defaults.startup_grace').message, /needs a unit: write "60s"/);
  });

  it('points a missing required key at the mapping that lacks it', async () => {
    const error = await refused(yaml('subjects:', '  - id: a', '  - kind: host', '    labels: {}'));
    const kind = problemAt(error, 'subjects[0].kind');
    assert.deepEqual([kind.line, kind.col, kind.message], [2, 5, 'missing required key "kind"']);
    const id = problemAt(error, 'subjects[1].id');
    assert.deepEqual([id.line, id.col, id.message], [3, 5, 'missing required key "id"']);
  });

  it('names wrong types and enum values', async () => {
    const error = await refused(yaml('log: { level: loud }', 'subjects: { id: a }', 'api: { max_body: lots }'));
    assert.match(problemAt(error, 'log.level').message, /must be one of: trace, debug, info, warn, error, fatal, silent/);
    assert.equal(problemAt(error, 'subjects').message, 'expected a list, got a mapping');
    assert.match(problemAt(error, 'api.max_body').message, /invalid size "lots"/);
  });

  it('refuses duplicate subject ids, unknown and self dependencies, and cycles', async () => {
    const error = await refused(
      yaml(
        'subjects:',
        '  - { id: a, kind: host, depends_on: [b, ghost] }',
        '  - { id: b, kind: switch, depends_on: [c] }',
        '  - { id: c, kind: rack, depends_on: [a, c] }',
        '  - { id: a, kind: host }',
      ),
    );
    const duplicate = problemAt(error, 'subjects[3].id');
    assert.deepEqual([duplicate.line, duplicate.col], [5, 11]);
    assert.match(duplicate.message, /duplicate subject id "a" \(first defined at subjects\[0\]\)/);
    const ghost = problemAt(error, 'subjects[0].depends_on[1]');
    assert.deepEqual([ghost.line, ghost.col], [2, 42]);
    assert.match(ghost.message, /"ghost", which is not a configured subject/);
    assert.match(problemAt(error, 'subjects[2].depends_on[1]').message, /cannot depend on itself/);
    assert.match(problemAt(error, 'subjects[2].depends_on[0]').message, /dependency cycle: a → b → c → a/);
  });

  it('checks the dependency graph even when another entry is malformed', async () => {
    const error = await refused(yaml('subjects:', '  - { id: a, kind: 7, depends_on: [nowhere] }'));
    assert.ok(problemAt(error, 'subjects[0].kind'));
    assert.ok(problemAt(error, 'subjects[0].depends_on[0]'));
  });

  it('refuses reserved, malformed and too many label names', async () => {
    const labels = Array.from({ length: 17 }, (_, i) => `l${i}: x`).join(', ');
    const error = await refused(
      yaml(
        'subjects:',
        '  - id: a',
        '    kind: host',
        '    labels: { status: x, 2fast: y, __meta: z }',
        `  - { id: b, kind: host, labels: { ${labels} } }`,
      ),
    );
    const status = problemAt(error, 'subjects[0].labels.status');
    assert.deepEqual([status.line, status.col], [4, 15]);
    assert.match(status.message, /reserved/);
    assert.match(problemAt(error, 'subjects[0].labels.2fast').message, /must match/);
    assert.match(problemAt(error, 'subjects[0].labels.__meta').message, /reserved/);
    assert.match(problemAt(error, 'subjects[1].labels').message, /at most 16 labels, got 17/);
  });

  it('refuses tokens without exactly one of token/token_file, and duplicate names', async () => {
    const error = await refused(
      yaml(
        'api:',
        '  tokens:',
        '    - { name: a, scopes: [admin] }',
        '    - { name: a, token: x, scopes: [admin] }',
        '    - { name: b, token: "has space", scopes: [] }',
      ),
    );
    assert.equal(problemAt(error, 'api.tokens[0]').message, 'give exactly one of token or token_file');
    assert.match(problemAt(error, 'api.tokens[1].name').message, /duplicate token name "a"/);
    assert.match(problemAt(error, 'api.tokens[2].token').message, /whitespace/);
    assert.match(problemAt(error, 'api.tokens[2].scopes').message, /at least one scope/);
  });

  it('accepts IPv6 listen addresses and refuses bad ones', async () => {
    const error = await refused(yaml('listen: localhost'));
    assert.match(problemAt(error, 'listen').message, /expected host:port/);
  });

  it('reports YAML syntax errors with their position', async () => {
    const error = await refused(yaml('listen: 0.0.0.0:9977', 'subjects: [', '  { id: a, kind: host }', 'state: x'));
    assert.ok(error.problems.length >= 1);
    const [first] = error.problems;
    assert.equal(first!.file, 'test.yml');
    assert.ok(first!.line >= 2, error.message);
    assert.match(first!.message, /^YAML: /);
    assert.match(error.message, /^test\.yml:\d+:\d+: YAML: /);
  });

  it('reports a duplicate key as a YAML error at the second occurrence', async () => {
    const error = await refused(yaml('state: a', 'state: b'));
    assert.deepEqual([error.problems[0]!.line, error.problems[0]!.col], [2, 1]);
  });

  it('collects every problem, sorted by position, one line each', async () => {
    const error = await refused(yaml('bogus: 1', 'defaults: { rename_lag: x }', 'subjects: [{ id: a }]'));
    assert.equal(error.problems.length, 3);
    assert.deepEqual(
      error.problems.map((p) => p.line),
      [1, 2, 3],
    );
    assert.equal(error.message.split('\n').length, 3);
    assert.ok(error instanceof ConfigError);
  });

  it('formats problems without a position or a path', () => {
    assert.equal(formatProblem({ file: 'f.yml', line: 0, col: 0, path: '', message: 'cannot read' }), 'f.yml: cannot read');
    assert.equal(formatProblem({ file: 'f.yml', line: 3, col: 7, path: '', message: 'YAML: bad' }), 'f.yml:3:7: YAML: bad');
  });
});
