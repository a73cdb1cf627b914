import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interpolate } from '../../src/config/interpolate.js';
import { parse, problemAt, refused, yaml } from './helpers.js';

describe('${ENV} interpolation', () => {
  it('substitutes a set variable', () => {
    assert.deepEqual(interpolate('http://${HOST}:${PORT}/x', { HOST: 'db', PORT: '80' }), { ok: true, value: 'http://db:80/x' });
  });

  it('uses the default when the variable is unset or empty', () => {
    assert.deepEqual(interpolate('${A:-one}/${B:-two}/${C:-}', { B: '' }), { ok: true, value: 'one/two/' });
    assert.deepEqual(interpolate('${A:-one}', { A: 'set' }), { ok: true, value: 'set' });
  });

  it('refuses an unset variable without a default, without quoting any value', () => {
    const result = interpolate('${MISSING}', { OTHER: 'secret-value' });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.message : '', /environment variable MISSING is not set/);
  });

  it('keeps $${ as a literal ${ and a lone $ as is', () => {
    assert.deepEqual(interpolate('$${HOME} costs $5 and $x', { HOME: '/root' }), { ok: true, value: '${HOME} costs $5 and $x' });
  });

  it('refuses malformed references', () => {
    assert.equal(interpolate('${unterminated', {}).ok, false);
    assert.equal(interpolate('${1BAD}', {}).ok, false);
  });

  it('interpolates scalar values in the file, keeping quoted scalars strings', async () => {
    const { raw, config } = await parse(
      yaml(
        'listen: ${LISTEN:-127.0.0.1:9977}',
        'api:',
        '  tokens:',
        '    - { name: ci, token: "${CI_TOKEN}", scopes: [observe] }',
        'defaults:',
        '  events_per_subject: ${EVENTS}',
        'subjects:',
        '  - { id: "$${literal}", kind: host, labels: { port: "${EVENTS}" } }',
      ),
      { CI_TOKEN: 's3cret', EVENTS: '42' },
    );
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: 9977 });
    assert.equal(config.api.tokens[0]!.token, 's3cret');
    assert.equal(raw.defaults.events_per_subject, 42);
    assert.equal(raw.subjects[0]!.id, '${literal}');
    assert.equal(raw.subjects[0]!.labels!['port'], '42');
  });

  it('reports every unset variable at its own position', async () => {
    const error = await refused(yaml('listen: ${LISTEN}', 'state: ${STATE_DIR}/vigil.db'), { LISTEN: undefined });
    const listen = problemAt(error, 'listen');
    assert.deepEqual([listen.line, listen.col], [1, 9]);
    assert.match(listen.message, /LISTEN is not set/);
    const state = problemAt(error, 'state');
    assert.deepEqual([state.line, state.col], [2, 8]);
  });

  it('never prints the value of a variable in an error', async () => {
    const error = await refused(yaml('defaults:', '  rename_lag: "${LAG}"', 'bogus: ${TOKEN}'), { LAG: 'x', TOKEN: 'tok-abc-123' });
    assert.ok(!error.message.includes('tok-abc-123'), error.message);
  });
});
