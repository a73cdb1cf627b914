// The Octopus source against a fake Octopus API on loopback: HealthStatus → health and warnings, Unavailable →
// connectivity with health kept, HasLatestCalamari → metadata, IsDisabled → label, paging, failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/config/errors.js';
import * as engine from '../../../src/engine/index.js';
import type { EngineEvent } from '../../../src/engine/types.js';
import { Vigil } from '../../../src/runtime/vigil.js';
import { HEALTH_CHECK } from '../../../src/sources/octopus/map.js';
import { OctopusSource } from '../../../src/sources/octopus/source.js';
import { Store } from '../../../src/store/store.js';
import { renderSubjectFamilies } from '../../../src/exporter/metrics/render.js';
import { untilTurns } from '../../helpers/until.js';
import { API_KEY, startFakeOctopus, type FakeOctopus } from './fake-octopus.js';

const MINUTE = 60_000;

interface Setup {
  octopus: FakeOctopus;
  vigil: Vigil;
  source: OctopusSource;
  events: EngineEvent[];
  poll(): Promise<void>;
  advance(ms: number): void;
  close(): Promise<void>;
}

async function setup(options: { key?: string; extra?: string; subjects?: string; space?: string | null } = {}): Promise<Setup> {
  const octopus = await startFakeOctopus(options.space);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-octopus-'));
  writeFileSync(join(dir, 'octopus-key'), `${options.key ?? API_KEY}\n`);
  const { config } = await parseConfig(
    [
      'log: { level: silent }',
      'defaults: { startup_grace: 0s }',
      options.subjects ?? 'subjects: []',
      `octopus: { url: "${octopus.url}/", api_key_file: octopus-key, interval: 1m, labels: { team: ops }${options.extra ?? ''} }`,
    ].join('\n'),
    { file: join(dir, 'vigil.yml'), baseDir: dir },
  );
  let time = Date.UTC(2026, 0, 1);
  const store = Store.open(join(dir, 'vigil.db'), { flushIntervalMs: 5, eventsPerSubject: 100 });
  const vigil = new Vigil(store, config.settings, () => time);
  vigil.syncConfiguredSubjects(config.subjects);
  const events: EngineEvent[] = [];
  vigil.onCommittedEvents((batch) => events.push(...batch));
  const source = new OctopusSource(config.octopus!);
  const sink = vigil.sink();
  return {
    octopus,
    vigil,
    source,
    events,
    async poll() {
      await source.poll(sink);
      vigil.apply((state, now) => engine.tick(state, now));
      await store.commit();
      await new Promise((resolve) => setImmediate(resolve)); // committed events are published after the commit resolves
    },
    advance: (ms) => (time += ms),
    async close() {
      await source.stop();
      vigil.stop();
      store.close();
      await octopus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('HealthStatus maps to health plus a warning; Unavailable is connectivity, with the health kept fresh', async (t) => {
  const s = await setup();
  t.after(() => s.close());
  s.octopus.machines.push({
    Id: 'Machines-1',
    Name: 'web-01',
    HealthStatus: 'Healthy',
    StatusSummary: 'Octopus was able to successfully establish a connection with this machine on Mon, 01 Jan 2026',
  });
  await s.poll();
  const web = s.vigil.state.subjects.get('web-01')!;
  assert.deepEqual(web.spec, {
    id: 'web-01',
    kind: 'machine',
    labels: { team: 'ops', disabled: 'false', machine_type: 'deployment-target' },
    dependsOn: [],
    source: 'octopus',
  });
  assert.equal(web.health, 'healthy');
  assert.equal(web.connectivity, 'available');
  assert.equal(web.checks[HEALTH_CHECK]!.reported, 'ok');
  assert.match(web.checks[HEALTH_CHECK]!.message!, /successfully establish a connection/);
  assert.equal(s.vigil.state.sources.get('octopus')?.up, true);
  const healthEvents = () => s.events.filter((e) => e.type === 'health' && e.subject === 'web-01').length;
  const healthAtStart = healthEvents();

  // HasWarnings: a warning on a healthy machine; no health event either way.
  s.octopus.machines[0]!.HealthStatus = 'HasWarnings';
  s.advance(MINUTE);
  await s.poll();
  assert.equal(web.health, 'healthy');
  assert.equal(web.warnings, 1);
  s.octopus.machines[0]!.HealthStatus = 'Healthy';
  s.advance(MINUTE);
  await s.poll();
  assert.equal(web.warnings, 0);
  assert.equal(healthEvents(), healthAtStart, 'Healthy ↔ HasWarnings never changes health');
  assert.deepEqual(
    s.events.filter((e) => e.type === 'warnings').map((e) => [e.from, e.to]),
    [
      ['0', '1'],
      ['1', '0'],
    ],
  );

  // Unavailable for much longer than the check's freshness: connectivity unavailable, health as it was.
  s.octopus.machines[0]!.HealthStatus = 'Unavailable';
  for (let poll = 0; poll < 10; poll++) {
    s.advance(MINUTE);
    await s.poll();
  }
  assert.equal(web.connectivity, 'unavailable');
  assert.equal(web.health, 'healthy');
  assert.equal(web.checks[HEALTH_CHECK]!.status, 'ok', 'the last known result is kept fresh, not stale');
  assert.equal(healthEvents(), healthAtStart);
  assert.deepEqual(
    s.events.filter((e) => e.type === 'connectivity').map((e) => [e.from, e.to]),
    [
      [null, 'available'],
      ['available', 'unavailable'],
    ],
  );

  // Back, and unhealthy this time: connectivity available again and a health change.
  s.octopus.machines[0]!.HealthStatus = 'Unhealthy';
  s.advance(MINUTE);
  await s.poll();
  assert.equal(web.connectivity, 'available');
  assert.equal(web.health, 'unhealthy');
  assert.equal(healthEvents(), healthAtStart + 1);
});

test('HasLatestCalamari is metadata (never a warning) and IsDisabled a label', async (t) => {
  const s = await setup();
  t.after(() => s.close());
  s.octopus.machines.push({ Id: 'Machines-2', Name: 'db-01', HealthStatus: 'Healthy', HasLatestCalamari: false, IsDisabled: true });
  await s.poll();
  const db = s.vigil.state.subjects.get('db-01')!;
  assert.equal(db.metadata['HasLatestCalamari']?.level, 'info');
  assert.equal(db.metadata['HasLatestCalamari']?.value, 0);
  assert.equal(db.warnings, 0, 'an outdated Calamari is not a warning (Octopus issue #4374)');
  assert.equal(db.spec.labels['disabled'], 'true');
  assert.equal(db.spec.labels['machine_type'], 'deployment-target');
  s.octopus.machines[0]!.IsDisabled = false;
  s.octopus.machines[0]!.HasLatestCalamari = true;
  s.advance(MINUTE);
  await s.poll();
  assert.equal(db.spec.labels['disabled'], 'false');
  assert.equal(db.metadata['HasLatestCalamari']?.value, 1);
});

test('pages are followed with skip/take; workers are read when asked; Unknown is an unknown result without connectivity', async (t) => {
  const s = await setup({ extra: ', workers: true' });
  t.after(() => s.close());
  for (let i = 0; i < 450; i++) s.octopus.machines.push({ Id: `Machines-${i}`, Name: `m-${i}`, HealthStatus: 'Healthy' });
  s.octopus.workers.push({ Id: 'Workers-1', Name: 'worker-1', HealthStatus: 'Unknown' });
  await s.poll();
  assert.equal(s.vigil.state.subjects.size, 451);
  assert.deepEqual(s.octopus.requests, [
    '/api/Spaces-1/machines?skip=0&take=200',
    '/api/Spaces-1/machines?skip=200&take=200',
    '/api/Spaces-1/machines?skip=400&take=200',
    '/api/Spaces-1/workers?skip=0&take=200',
  ]);
  const worker = s.vigil.state.subjects.get('worker:worker-1')!;
  assert.equal(worker.checks[HEALTH_CHECK]!.reported, 'unknown');
  assert.equal(worker.connectivity, undefined);
});

test('a name that is not a usable subject id falls back to the machine Id; a configured subject keeps its spec', async (t) => {
  const s = await setup({ subjects: 'subjects: [ { id: build-01, kind: host, labels: { rack: r1 } } ]' });
  t.after(() => s.close());
  s.octopus.machines.push({ Id: 'Machines-7', Name: 'Build Server 7', HealthStatus: 'Healthy' });
  s.octopus.machines.push({ Id: 'Machines-8', Name: 'build-01', HealthStatus: 'Unhealthy' });
  await s.poll();
  assert.ok(s.vigil.state.subjects.has('Machines-7'));
  const build = s.vigil.state.subjects.get('build-01')!;
  assert.deepEqual(build.spec.labels, { rack: 'r1' });
  assert.equal(build.spec.source, 'config');
  assert.equal(build.health, 'unhealthy');
});

test('a refused API key or an unreachable server marks the source down with a short reason and changes no subject', async (t) => {
  const s = await setup({ key: 'API-WRONG' });
  t.after(() => s.close());
  s.octopus.machines.push({ Id: 'Machines-1', Name: 'web-01', HealthStatus: 'Healthy' });
  await s.poll();
  assert.equal(s.vigil.state.subjects.size, 0);
  const status = s.vigil.state.sources.get('octopus')!;
  assert.equal(status.up, false);
  assert.deepEqual(status.errors, { http_401: 1 });
  await s.octopus.close();
  // The first poll may find the pooled connection closed under it (network); the next one is refused outright.
  await s.poll();
  await s.poll();
  const errors = s.vigil.state.sources.get('octopus')!.errors;
  assert.equal(errors['http_401'], 1);
  assert.ok((errors['refused'] ?? 0) >= 1, JSON.stringify(errors));
  assert.equal(s.vigil.state.subjects.size, 0);
});

test('config: api_key_file is required and credentials in the URL are refused, with file:line:col', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-octopus-config-'));
  try {
    await assert.rejects(
      parseConfig('octopus:\n  url: https://user:pw@octopus.example.org\n', { file: 'vigil.yml', baseDir: dir }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /vigil\.yml:2:\d+: octopus\.api_key_file: missing required key/);
        assert.match(error.message, /vigil\.yml:2:\d+: octopus\.url: put the API key in api_key_file/);
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The cases below come from Octopus's own resource shapes (OctopusClients `Model/MachineBasedResource.cs`,
// `Model/Endpoints/TentacleDetailsResource.cs`) and its API layout before Spaces (2019.1: `/api/machines`).

const metricLine = (s: Setup, pattern: RegExp): boolean => pattern.test(renderSubjectFamilies(s.vigil.state));

test('a disabled machine is reported as disabled, not failing: no crit, no alert, and it resumes when re-enabled', async (t) => {
  const s = await setup();
  t.after(() => s.close());
  s.octopus.machines.push({
    Id: 'Machines-3',
    Name: 'web-03',
    HealthStatus: 'Unhealthy',
    StatusSummary: 'The machine is offline for maintenance',
    IsDisabled: true,
  });
  await s.poll();
  const web = s.vigil.state.subjects.get('web-03')!;
  assert.equal(web.checks[HEALTH_CHECK]!.reported, 'unknown');
  assert.match(web.checks[HEALTH_CHECK]!.message!, /^disabled in Octopus/);
  assert.equal(web.health, 'unknown');
  assert.equal(web.connectivity, undefined, 'no connectivity claim about a disabled machine');
  assert.equal(web.metadata['IsDisabled']?.message, 'disabled in Octopus: not judged');
  // Long after the appearance timeout it is still not "missing" (VigilSubjectMissing would alert).
  s.advance(24 * 60 * MINUTE);
  await s.poll();
  assert.equal(web.health, 'unknown');
  assert.ok(metricLine(s, /^vigil_subject_health\{subject="web-03",kind="machine",state="unhealthy"\} 0$/m));
  assert.deepEqual(
    s.events.filter((e) => e.subject === 'web-03' && e.type === 'health').map((e) => e.to),
    ['unknown'],
  );

  s.octopus.machines[0]!.IsDisabled = false;
  s.advance(MINUTE);
  await s.poll();
  assert.equal(web.health, 'unhealthy', 're-enabled: judged again');
  assert.equal(web.metadata['IsDisabled'], undefined);
  assert.equal(web.spec.labels['disabled'], 'false');
  s.octopus.machines[0]!.HealthStatus = 'Healthy';
  s.advance(MINUTE);
  await s.poll();
  assert.equal(web.health, 'healthy');
});

test('a deployment target and a worker with the same name are two subjects', async (t) => {
  const s = await setup({ extra: ', workers: true' });
  t.after(() => s.close());
  s.octopus.machines.push({ Id: 'Machines-9', Name: 'build-agent', HealthStatus: 'Healthy' });
  s.octopus.workers.push({ Id: 'Workers-9', Name: 'build-agent', HealthStatus: 'Unhealthy', StatusSummary: 'Disk full' });
  await s.poll();
  const target = s.vigil.state.subjects.get('build-agent')!;
  const worker = s.vigil.state.subjects.get('worker:build-agent')!;
  assert.equal(target.health, 'healthy');
  assert.equal(worker.health, 'unhealthy');
  assert.equal(target.spec.labels['machine_type'], 'deployment-target');
  assert.equal(worker.spec.labels['machine_type'], 'worker');
  assert.ok(metricLine(s, /^vigil_subject_health\{subject="worker:build-agent",kind="machine",state="unhealthy"\} 1$/m));
});

test('a server without Spaces: found by a 404 on the default space, or configured with space: none', async (t) => {
  const detected = await setup({ space: null });
  t.after(() => detected.close());
  detected.octopus.machines.push({ Id: 'Machines-1', Name: 'legacy-01', HealthStatus: 'Healthy' });
  await detected.poll();
  assert.equal(detected.vigil.state.subjects.get('legacy-01')?.health, 'healthy');
  assert.equal(detected.vigil.state.sources.get('octopus')?.up, true);
  detected.advance(MINUTE);
  await detected.poll();
  assert.deepEqual(detected.octopus.requests, [
    '/api/Spaces-1/machines?skip=0&take=200',
    '/api/machines?skip=0&take=200',
    '/api/machines?skip=0&take=200',
  ]);

  const configured = await setup({ space: null, extra: ', space: none' });
  t.after(() => configured.close());
  configured.octopus.machines.push({ Id: 'Machines-1', Name: 'legacy-02', HealthStatus: 'Healthy' });
  await configured.poll();
  assert.deepEqual(configured.octopus.requests, ['/api/machines?skip=0&take=200']);
  assert.equal(configured.vigil.state.subjects.get('legacy-02')?.health, 'healthy');

  // A configured space that does not exist stays an error: no silent fallback.
  const wrong = await setup({ extra: ', space: Spaces-7' });
  t.after(() => wrong.close());
  await wrong.poll();
  assert.equal(wrong.vigil.state.sources.get('octopus')?.errors['http_404'], 1);
});

test('machine details are metadata: Tentacle version and upgrade, OS, shell, endpoint type', async (t) => {
  const s = await setup();
  t.after(() => s.close());
  s.octopus.machines.push({ Id: 'Machines-4', Name: 'app-04', HealthStatus: 'Healthy', TentacleVersion: '6.3.417', UpgradeRequired: true });
  await s.poll();
  const app = s.vigil.state.subjects.get('app-04')!;
  const meta = Object.fromEntries(Object.entries(app.metadata).map(([key, entry]) => [key, [entry.level, entry.message, entry.value]]));
  assert.deepEqual(meta, {
    HasLatestCalamari: ['info', 'Calamari is the latest version', 1],
    TentacleVersion: ['info', '6.3.417', undefined],
    TentacleUpgradeRequired: ['warning', 'Tentacle upgrade required', 1],
    OperatingSystem: ['info', 'Linux Debian GNU/Linux 12 (bookworm)', undefined],
    Shell: ['info', 'Bash 5.2', undefined],
    EndpointType: ['info', 'TentacleActive (polling Tentacle)', undefined],
  });
  assert.equal(app.warnings, 1, 'a required Tentacle upgrade is a warning');
  assert.equal(app.health, 'healthy');
  assert.ok(metricLine(s, /^vigil_subject_metadata_value\{subject="app-04",kind="machine",key="TentacleUpgradeRequired"\} 1$/m));
});

test('start after stop polls again (a replica taking the polling back); stop ends the polling', async (t) => {
  const s = await setup();
  t.after(() => s.close());
  s.octopus.machines = [{ Id: 'Machines-1', Name: 'web-1', HealthStatus: 'Healthy' }];
  const sink = s.vigil.sink();
  const waitForPolls = (count: number) =>
    untilTurns(
      () => s.source.polls >= count,
      () => `${count} polls (${s.source.polls} so far)`,
      2_000,
    );
  s.source.start(sink);
  await waitForPolls(1);
  await s.source.stop();
  const stoppedAt = s.octopus.requests.length;
  s.source.start(sink);
  await waitForPolls(2);
  assert.ok(s.octopus.requests.length > stoppedAt, 'polled again after the restart');
  assert.equal(s.vigil.state.subjects.get('web-1')?.checks['octopus_health']?.reported, 'ok');
  await s.source.stop();
  const after = s.octopus.requests.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(s.octopus.requests.length, after, 'no poll after stop');
});
