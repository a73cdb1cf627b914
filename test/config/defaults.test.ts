import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { EMBEDDED_CONFIG } from '../../src/config/embedded.js';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_HTTP_LIMITS } from '../../src/exporter/connections.js';
import { DEFAULT_LIMITS } from '../../src/runtime/limits.js';
import { parse, tempDir } from './helpers.js';

describe('config defaults', () => {
  it('fills every default into the validated file', async () => {
    const { raw } = await parse('');
    assert.equal(raw.listen, '0.0.0.0:9977');
    assert.equal(raw.state, './data/vigil.db');
    assert.deepEqual(raw.store, { flush_interval: '200ms' });
    assert.deepEqual(raw.log, { level: 'info' });
    assert.deepEqual(raw.api, {
      tokens: [],
      max_body: '1mb',
      max_subjects: 10_000,
      max_checks_per_subject: 200,
      max_metadata_per_subject: 100,
      max_streams: 256,
      stream_buffer: '1mb',
      stream_stall_timeout: '30s',
    });
    assert.deepEqual(raw.http, { max_connections: 4096, header_timeout: '10s', request_timeout: '30s', idle_timeout: '5s', shutdown_timeout: '5s' });
    assert.deepEqual(raw.defaults, {
      freshness: 2,
      startup_grace: '1m',
      appearance_timeout: '30m',
      source_drop_after: '15m',
      rename_lag: '3h',
      disconnect_grace: '30s',
      events_per_subject: 100,
      dependency_lag: '5m',
      overhead: '0s',
      accuracy: '0s',
      push_period: '0s',
    });
    assert.deepEqual(raw.subjects, []);
    assert.deepEqual(raw.targets, []);
    assert.equal(raw.alerting, undefined);
  });

  it('normalizes the defaults to camelCase and milliseconds', async () => {
    const dir = tempDir();
    const { config } = await parse('', {}, dir);
    assert.deepEqual(config.listen, { host: '0.0.0.0', port: 9977 });
    assert.equal(config.statePath, resolve(dir, 'data/vigil.db'));
    assert.equal(config.flushInterval, 200);
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.api, { tokens: [], maxBodyBytes: 1024 * 1024, limits: DEFAULT_LIMITS });
    assert.deepEqual(config.http, DEFAULT_HTTP_LIMITS);
    assert.deepEqual(config.settings, {
      freshness: 2,
      startupGrace: 60_000,
      appearanceTimeout: 1_800_000,
      sourceDropAfter: 900_000,
      renameLag: 10_800_000,
      disconnectGrace: 30_000,
      eventsPerSubject: 100,
      dependencyLag: 300_000,
      overhead: 0,
      accuracy: 0,
      pushPeriod: 0,
    });
    assert.deepEqual(config.renames, []);
    assert.deepEqual(config.subjects, []);
    assert.deepEqual(config.targets, []);
  });

  it('normalizes configured values and subjects', async () => {
    const { config } = await parse(
      [
        'listen: "[::1]:9100"',
        'state: /var/lib/vigil/state.db',
        'store: { flush_interval: 1s }',
        'log: { level: debug }',
        'api: { tokens: [{ name: ci, token: abc, scopes: [observe, metadata] }], max_body: 512kb }',
        'defaults: { freshness: 3, dependency_lag: 2m, overhead: 1s, accuracy: 500ms, push_period: 10s }',
        'subjects:',
        '  - { id: r7, kind: rack }',
        '  - { id: sw3, kind: switch, depends_on: [r7] }',
        '  - id: host-17',
        '    kind: host',
        '    labels: { rack: r7, slot: 7, spare: false }',
        '    depends_on: [sw3, { id: r7, lag: 10m }]',
        '    startup_grace: 5m',
        '    appearance_timeout: 1h',
        '    freshness: 4',
      ].join('\n'),
    );
    assert.deepEqual(config.listen, { host: '::1', port: 9100 });
    assert.equal(config.statePath, '/var/lib/vigil/state.db');
    assert.equal(config.flushInterval, 1000);
    assert.equal(config.logLevel, 'debug');
    assert.deepEqual(config.api, {
      tokens: [{ name: 'ci', token: 'abc', scopes: ['observe', 'metadata'] }],
      maxBodyBytes: 512 * 1024,
      limits: DEFAULT_LIMITS,
    });
    assert.equal(config.settings.freshness, 3);
    assert.equal(config.settings.dependencyLag, 120_000);
    assert.deepEqual(
      [config.settings.overhead, config.settings.accuracy, config.settings.pushPeriod],
      [1000, 500, 10_000],
      'defaults.overhead, accuracy and push_period reach the engine settings',
    );
    assert.deepEqual(config.subjects[1], { id: 'sw3', kind: 'switch', labels: {}, dependsOn: [{ id: 'r7', lag: 120_000 }], source: 'config' });
    assert.deepEqual(config.subjects[2], {
      id: 'host-17',
      kind: 'host',
      labels: { rack: 'r7', slot: '7', spare: 'false' },
      dependsOn: [
        { id: 'sw3', lag: 120_000 },
        { id: 'r7', lag: 600_000 },
      ],
      source: 'config',
      startupGrace: 300_000,
      appearanceTimeout: 3_600_000,
      timing: { freshness: 4 },
    });
  });

  it('normalises the agents section (no section is reserved any more)', async () => {
    const { config } = await parse('agents: {}');
    assert.deepEqual(config.agents, {
      enabled: true,
      kind: 'machine',
      labels: {},
      autoRegister: true,
      disconnectGrace: 30_000,
      pingInterval: 30_000,
      stormWindow: 500,
      maxConnections: 50_000,
      maxMessageBytes: 64 * 1024,
      maxMessagesPerSecond: 20,
      messageBurst: 200,
      sendBufferBytes: 256 * 1024,
    });
  });

  it('ignores top-level x-* keys, which hold YAML anchors', async () => {
    const { config } = await parse(
      ['x-host: &host { kind: host, depends_on: [sw3] }', 'subjects:', '  - { id: sw3, kind: switch }', '  - { <<: *host, id: h1 }'].join('\n'),
    );
    assert.deepEqual(config.subjects[1], { id: 'h1', kind: 'host', labels: {}, dependsOn: [{ id: 'sw3', lag: 300_000 }], source: 'config' });
  });

  it('validates the embedded default: vigil watching itself', async () => {
    const loaded = await parseConfig(EMBEDDED_CONFIG, { file: '<embedded>', baseDir: tempDir(), env: {} });
    assert.equal(loaded.file, '<embedded>');
    assert.deepEqual(
      loaded.config.subjects.map((s) => [s.id, s.kind, s.source]),
      [['vigil', 'exporter', 'config']],
    );
  });
});
