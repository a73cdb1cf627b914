// The kubernetes: config section: defaults, milliseconds, secret_file, and refusals with file:line:col.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { yaml as lines, parse, problemAt, refused, tempDir } from '../../config/helpers.js';

describe('kubernetes config', () => {
  it('fills defaults and parses durations to milliseconds', async () => {
    const { config } = await parse(
      lines('kubernetes:', '  event_mesh:', '    heartbeat: {}', '  objects:', '    - { group: cert-manager.io, version: v1, plural: certificates }'),
    );
    const k = config.kubernetes!;
    assert.equal(k.resync, 30_000);
    assert.deepEqual(k.watch, {
      timeout: 300_000,
      stall_after: 900_000,
      backoff_min: 1_000,
      backoff_max: 60_000,
      page_size: 500,
      request_timeout: 30_000,
    });
    assert.equal(k.event_mesh!.integration_namespace, 'kyma-integration');
    assert.equal(k.event_mesh!.knative_version, 'v1alpha1');
    const beat = k.event_mesh!.heartbeat!;
    assert.deepEqual([beat.interval, beat.freshness, beat.via, beat.type, beat.secret], [30_000, 3, 'broker', 'io.vigil.heartbeat', undefined]);
    assert.equal(k.objects[0]!.condition, 'Ready');
  });

  it('reads the heartbeat key from secret_file and resolves the kubeconfig path', async () => {
    const dir = tempDir({ 'hb.key': 'k3y\n' });
    const { config } = await parse(
      lines('kubernetes:', '  kubeconfig: kube/config', '  event_mesh: { heartbeat: { secret_file: hb.key } }'),
      {},
      dir,
    );
    assert.equal(config.kubernetes!.event_mesh!.heartbeat!.secret, 'k3y');
    assert.equal(config.kubernetes!.kubeconfig, `${dir}/kube/config`);
  });

  it('refuses mistakes with their position', async () => {
    const error = await refused(
      lines(
        'kubernetes:',
        '  watch: { timeout: 5, stall_after: 0s }',
        '  objects:',
        '    - { group: Bad_Group, version: v1, plural: x }',
        '  event_mesh: { knative_version: v2, heartbeat: { via: carrier-pigeon } }',
        '  colour: blue',
      ),
    );
    assert.match(problemAt(error, 'kubernetes.watch.timeout').message, /unit/);
    assert.match(problemAt(error, 'kubernetes.watch.stall_after').message, /greater than 0/);
    assert.match(problemAt(error, 'kubernetes.objects[0].group').message, /DNS subdomain/);
    assert.ok(problemAt(error, 'kubernetes.event_mesh.knative_version'));
    assert.ok(problemAt(error, 'kubernetes.event_mesh.heartbeat.via'));
    assert.match(error.message, /test\.yml:2:\d+: kubernetes\.watch\.timeout/);
    assert.match(error.message, /colour/);
  });
});
