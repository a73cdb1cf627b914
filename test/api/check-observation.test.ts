// One parser from a pushed check body to an observation: the push API's body and an agent's `check` message with
// the same fields give the same observation, apart from the source and the agent's own freshness default.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBody, checkObservation } from '../../src/exporter/api/bodies.js';
import { parseAgentMessage } from '../../src/sources/agents/protocol.js';

const FIELDS = {
  status: 'warn',
  message: '91% full',
  period: '30s',
  observed_at: 1_767_225_600,
  max_age: '1h',
  accuracy: '5s',
  metrics: { used_ratio: 0.91 },
};

describe('checkObservation', () => {
  it('maps an API body and an agent message alike', () => {
    const api = checkObservation('m1', 'disk', checkBody.parse(FIELDS), 'api');
    const message = parseAgentMessage(JSON.stringify({ type: 'check', check: 'disk', ...FIELDS }));
    assert.equal(message.type, 'check');
    const agent = checkObservation('m1', 'disk', message as Extract<typeof message, { type: 'check' }>, 'agents', 3);
    assert.deepEqual(api, {
      subject: 'm1',
      check: 'disk',
      status: 'warn',
      period: 30_000,
      source: 'api',
      message: '91% full',
      observedAt: 1_767_225_600_000,
      metrics: { used_ratio: 0.91 },
      maxAge: 3_600_000,
      timing: { accuracy: 5_000 },
    });
    assert.deepEqual(agent, { ...api, source: 'agents', timing: { accuracy: 5_000, freshness: 3 } });
  });

  it('defaults the period to a minute, and turns unreachable into a run that did not reach the subject', () => {
    assert.deepEqual(checkObservation('m1', 'ping', checkBody.parse({ status: 'unreachable' }), 'api'), {
      subject: 'm1',
      check: 'ping',
      status: 'unknown',
      reached: false,
      period: 60_000,
      source: 'api',
    });
  });
});
