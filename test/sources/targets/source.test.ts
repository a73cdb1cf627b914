import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { targetsSchema } from '../../../src/config/targets.js';
import * as engine from '../../../src/engine/index.js';
import type { ConnectivitySignal, EngineResult, EngineState, MetadataLevel, Observation, SubjectSpec } from '../../../src/engine/types.js';
import { Vigil } from '../../../src/runtime/vigil.js';
import { nodeFilewriteFs, type FilewriteFs } from '../../../src/sources/targets/filewrite.js';
import { createTargetsSource, subjectSpecs } from '../../../src/sources/targets/source.js';
import type { SourceSink } from '../../../src/sources/types.js';
import { Store } from '../../../src/store/store.js';
import { TEST_SETTINGS } from '../../helpers/api-harness.js';
import { FakeTimers } from './fake-timers.js';

type MetadataCall = { subject: string; key: string; entry: { level: MetadataLevel; message: string; value?: number } | null };

class RecordingSink implements SourceSink {
  subjects: SubjectSpec[] = [];
  observations: Observation[] = [];
  connectivities: ConnectivitySignal[] = [];
  metadataCalls: MetadataCall[] = [];
  sourceStatuses: { source: string; up: boolean; reason?: string }[] = [];
  defineSubject(spec: SubjectSpec): void {
    this.subjects.push(spec);
  }
  observe(observation: Observation): void {
    this.observations.push(observation);
  }
  connectivity(signal: ConnectivitySignal): void {
    this.connectivities.push(signal);
  }
  metadata(subject: string, key: string, entry: MetadataCall['entry']): void {
    this.metadataCalls.push({ subject, key, entry });
  }
  sourceStatus(source: string, up: boolean, reason?: string): void {
    this.sourceStatuses.push(reason === undefined ? { source, up } : { source, up, reason });
  }
  // The rest of the sink: targets neither remove subjects nor record source events, and own every subject here.
  removeSubject(): void {}
  recordSourceEvent(): void {}
  subject(): undefined {
    return undefined;
  }
  subjectsOf(): string[] {
    return [];
  }
  owns(): boolean {
    return true;
  }
  refuseBeyondLimits(): void {}
  batch(fill: (sink: SourceSink) => void): void {
    fill(this);
  }
}

let listener: net.Server;
let openPort = 0;
let closedPort = 0;
const directory = mkdtempSync(path.join(tmpdir(), 'vigil-source-'));

before(async () => {
  listener = net.createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  openPort = (listener.address() as net.AddressInfo).port;
  const spare = net.createServer();
  await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
  closedPort = (spare.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => spare.close(() => resolve()));
});
after(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  rmSync(directory, { recursive: true, force: true });
});

/** Waits (bounded) until `done()` holds, for real loopback I/O to finish after the fake clock started a probe. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5s');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const T0 = 1_700_000_000_000;
/** A name that never resolves (RFC 6761 reserves `.invalid`): a deterministic, fast "not reached". */
const UNRESOLVABLE = 'no-such-host.invalid';

test('defines one subject per target subject, kind target, with merged labels; leaves external subjects alone', () => {
  const targets = targetsSchema.parse([
    { name: 'web', type: 'hostport', host: '127.0.0.1', port: 1, labels: { team: 'a' } },
    { name: 'host-ssh', subject: 'host-17', type: 'hostport', host: '127.0.0.1', port: 2, labels: { rack: 'r7' } },
    { name: 'host-disk', subject: 'host-17', type: 'filewrite', directory, labels: { zone: 'z' } },
    { name: 'db', subject: 'db-1', type: 'hostport', host: '127.0.0.1', port: 3 },
  ]);
  assert.deepEqual(subjectSpecs(targets), [
    { id: 'web', kind: 'target', labels: { team: 'a' }, dependsOn: [], source: 'targets' },
    { id: 'host-17', kind: 'target', labels: { rack: 'r7', zone: 'z' }, dependsOn: [], source: 'targets' },
    { id: 'db-1', kind: 'target', labels: {}, dependsOn: [], source: 'targets' },
  ]);
  const sink = new RecordingSink();
  const source = createTargetsSource(targets, { timers: new FakeTimers(T0), externalSubjects: new Set(['db-1']) });
  source.start(sink);
  assert.deepEqual(
    sink.subjects.map((spec) => spec.id),
    ['web', 'host-17'],
  );
  assert.deepEqual(sink.sourceStatuses, [{ source: 'targets', up: true }]);
  return source.stop();
});

test('a reached target becomes one observation (contact: the engine marks it available), no separate connectivity signal', async () => {
  const timers = new FakeTimers(T0);
  const sink = new RecordingSink();
  const targets = targetsSchema.parse([
    { name: 'api', type: 'hostport', host: '127.0.0.1', port: openPort, interval: '10s', labels: { tier: 'web' } },
  ]);
  const source = createTargetsSource(targets, { timers, random: () => 0.5 });
  source.start(sink);
  await timers.advance(4_999);
  assert.equal(sink.observations.length, 0);
  await timers.advance(1);
  await until(() => sink.observations.length === 1);
  const [observation] = sink.observations;
  assert.equal(observation?.subject, 'api');
  assert.equal(observation?.check, 'hostport');
  assert.equal(observation?.status, 'ok');
  assert.equal(observation?.period, 10_000);
  assert.equal(observation?.observedAt, T0 + 5_000);
  assert.equal(observation?.source, 'targets');
  assert.ok(typeof observation?.metrics?.duration_seconds === 'number');
  assert.deepEqual(sink.connectivities, []);
  await timers.advance(10_000);
  await until(() => sink.observations.length === 2);
  assert.equal(sink.observations[1]?.observedAt, T0 + 15_000);
  await source.stop();
});

test('not reached leaves health alone: connectivity unavailable with the reason, the attempt kept as metadata until reached again', async () => {
  const timers = new FakeTimers(T0);
  const sink = new RecordingSink();
  // A DNS failure is a cause that says nothing about the service: vigil could not get there.
  const targets = targetsSchema.parse([{ name: 'db', type: 'hostport', host: UNRESOLVABLE, port: 5432, interval: '10s', check: 'postgres' }]);
  const source = createTargetsSource(targets, { timers, random: () => 0 });
  source.start(sink);
  await timers.advance(0);
  await until(() => sink.connectivities.length === 1);
  // Not a result: only the run is reported (reached: false), for policies with on: [unreachable].
  assert.equal(sink.observations.length, 1);
  assert.equal(sink.observations[0]?.reached, false);
  assert.equal(sink.observations[0]?.check, 'postgres');
  assert.deepEqual(sink.connectivities[0], { subject: 'db', state: 'unavailable', reason: 'dns', source: 'targets' });
  const [failure] = sink.metadataCalls;
  assert.equal(failure?.key, 'probe:postgres');
  assert.equal(failure?.entry?.level, 'info');
  assert.match(failure?.entry?.message ?? '', /^not reached \(dns\)/);
  assert.ok(typeof failure?.entry?.value === 'number');
  // The name resolves again and the port is open: the next run observes and clears the metadata.
  Object.assign(targets[0] as { host: string; port: number }, { host: '127.0.0.1', port: openPort }); // probes read their target on every run
  await timers.advance(10_000);
  await until(() => sink.observations.length === 2);
  assert.notEqual(sink.observations[1]?.reached, false);
  assert.deepEqual(sink.metadataCalls.at(-1), { subject: 'db', key: 'probe:postgres', entry: null });
  assert.equal(sink.connectivities.length, 1, 'the reached observation is the contact: no second signal');
  await source.stop();
});

test('a refused connection is a failed result: crit observation "refused" (contact, so available), no attempt metadata', async () => {
  const timers = new FakeTimers(T0);
  const sink = new RecordingSink();
  const targets = targetsSchema.parse([{ name: 'db', type: 'hostport', host: '127.0.0.1', port: closedPort, interval: '10s', check: 'postgres' }]);
  const source = createTargetsSource(targets, { timers, random: () => 0 });
  source.start(sink);
  await timers.advance(0);
  await until(() => sink.observations.length === 1);
  const [observation] = sink.observations;
  assert.deepEqual([observation?.subject, observation?.check, observation?.status], ['db', 'postgres', 'crit']);
  assert.match(observation?.message ?? '', /connection refused/);
  assert.deepEqual(sink.connectivities, []);
  assert.notEqual(observation?.contact, false);
  assert.deepEqual(sink.metadataCalls, []);
  await timers.advance(10_000);
  await until(() => sink.observations.length === 2);
  assert.equal(sink.observations[1]?.status, 'crit', 'every refused run counts as one more failure');
  await source.stop();
});

test('a subject stays available while another of its targets still reaches it', async () => {
  const timers = new FakeTimers(T0);
  const sink = new RecordingSink();
  const targets = targetsSchema.parse([
    { name: 'h-up', subject: 'h', type: 'hostport', host: '127.0.0.1', port: openPort, interval: '10s', check: 'ssh' },
    { name: 'h-down', subject: 'h', type: 'hostport', host: UNRESOLVABLE, port: 8080, interval: '10s', check: 'app' },
  ]);
  let jitter = 0;
  const source = createTargetsSource(targets, { timers, random: () => (jitter++ === 0 ? 0 : 0.5) });
  source.start(sink);
  await timers.advance(0);
  await until(() => sink.observations.length === 1);
  await timers.advance(5_000);
  await until(() => sink.metadataCalls.length === 1);
  assert.deepEqual(sink.connectivities, [], 'no unavailable while h-up reached h on its latest run');
  await source.stop();
});

test('a reached peer with a wrong answer is a crit observation (filewrite on a full disk)', async () => {
  const timers = new FakeTimers(T0);
  const sink = new RecordingSink();
  const full: FilewriteFs = { ...nodeFilewriteFs, writeSynced: () => Promise.reject(Object.assign(new Error('full'), { code: 'ENOSPC' })) };
  const targets = targetsSchema.parse([{ name: 'disk', type: 'filewrite', directory, interval: '1m' }]);
  const source = createTargetsSource(targets, { timers, random: () => 0, filewriteFs: full });
  source.start(sink);
  await timers.advance(0);
  await until(() => sink.observations.length === 1);
  assert.equal(sink.observations[0]?.status, 'crit');
  assert.match(sink.observations[0]?.message ?? '', /no space left/);
  assert.notEqual(sink.observations[0]?.reached, false, 'reached: the observation itself is the contact');
  assert.deepEqual(sink.connectivities, []);
  await source.stop();
});

test('vigil failing to run a probe marks the source down, not the subject, and up again when it recovers', async () => {
  const timers = new FakeTimers(T0);
  const sink = new RecordingSink();
  let failing = true;
  const flaky: FilewriteFs = {
    ...nodeFilewriteFs,
    writeSynced: (file, data) =>
      failing ? Promise.reject(Object.assign(new Error('fds'), { code: 'EMFILE' })) : nodeFilewriteFs.writeSynced(file, data),
  };
  const targets = targetsSchema.parse([{ name: 'disk', type: 'filewrite', directory, interval: '1m' }]);
  const source = createTargetsSource(targets, { timers, random: () => 0, filewriteFs: flaky });
  source.start(sink);
  await timers.advance(0);
  await until(() => sink.sourceStatuses.length === 2);
  assert.deepEqual(sink.sourceStatuses[1], { source: 'targets', up: false, reason: 'internal' });
  assert.equal(sink.observations.length + sink.connectivities.length, 0);
  failing = false;
  await timers.advance(60_000);
  await until(() => sink.observations.length === 1);
  assert.deepEqual(sink.sourceStatuses[2], { source: 'targets', up: true });
  await source.stop();
});

test('a ping target without a usable ping binary fails at source creation', () => {
  const targets = targetsSchema.parse([{ name: 'gw', type: 'ping', host: '127.0.0.1' }]);
  assert.throws(() => createTargetsSource(targets, { pingCommand: '/nonexistent/ping' }), /not found: install iputils-ping/);
});

test('after stop nothing more is reported', async () => {
  const timers = new FakeTimers(T0);
  const sink = new RecordingSink();
  const targets = targetsSchema.parse([{ name: 'api', type: 'hostport', host: '127.0.0.1', port: openPort, interval: '10s' }]);
  const source = createTargetsSource(targets, { timers, random: () => 0 });
  source.start(sink);
  await source.stop();
  await timers.advance(60_000);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(sink.observations.length, 0);
});

test("a target's accuracy goes with its observations (effective from the run start minus it); without it the subject's applies", async () => {
  const timers = new FakeTimers(T0);
  const sink = new RecordingSink();
  const targets = targetsSchema.parse([
    { name: 'unreach', type: 'hostport', host: '127.0.0.1', port: openPort, interval: '10s', accuracy: '60s' },
    { name: 'plain', type: 'hostport', host: '127.0.0.1', port: openPort, interval: '10s' },
  ]);
  const source = createTargetsSource(targets, { timers, random: () => 0.5 });
  source.start(sink);
  await timers.advance(5_000);
  await until(() => sink.observations.length === 2);
  const bySubject = new Map(sink.observations.map((o) => [o.subject, o]));
  assert.deepEqual(bySubject.get('unreach')?.timing, { accuracy: 60_000 });
  assert.equal(bySubject.get('plain')?.timing, undefined);
  await source.stop();
});

// The probe path costs one engine call per reached result: the observation is first-hand contact, so the engine
// marks the subject available and seen in that same call. A separate `connectivity(available)` after it changed
// nothing (proved here on the pure engine) and cost a second re-evaluation and store record.
test('connectivity available after a reached observation changes nothing: no event, no changed subject, same state', () => {
  const build = (): EngineState => {
    const state = engine.createState(TEST_SETTINGS);
    engine.upsertSubject(state, { id: 'api', kind: 'target', labels: {}, dependsOn: [], source: 'targets' }, T0);
    engine.applyConnectivity(state, { subject: 'api', state: 'unavailable', reason: 'dns', source: 'targets' }, T0 + 1);
    return state;
  };
  const observation: Observation = {
    subject: 'api',
    check: 'hostport',
    status: 'ok',
    observedAt: T0 + 5,
    period: 10_000,
    metrics: { duration_seconds: 0.001 },
    source: 'targets',
  };
  const oneCall = build();
  const twoCalls = build();
  const first = engine.applyObservation(oneCall, observation, T0 + 10);
  assert.deepEqual(engine.applyObservation(twoCalls, observation, T0 + 10), first);
  const redundant = engine.applyConnectivity(twoCalls, { subject: 'api', state: 'available', source: 'targets' }, T0 + 10);
  assert.deepEqual(redundant.events, []);
  assert.equal(redundant.changed.size, 0);
  assert.deepEqual(twoCalls.subjects, oneCall.subjects);
  assert.equal(oneCall.subjects.get('api')?.connectivity, 'available', 'the observation alone made it available');
  assert.equal(oneCall.subjects.get('api')?.lastSeenAt, T0 + 10);
});

test('the probe path makes one engine call per result: reached (ok or refused), not reached, and reached again', async () => {
  const timers = new FakeTimers(T0);
  const store = Store.open(path.join(directory, 'engine-calls.db'), { flushIntervalMs: 5, eventsPerSubject: 100 });
  const vigil = new Vigil(store, TEST_SETTINGS, () => timers.now());
  const calls: EngineResult[] = [];
  const apply = vigil.apply.bind(vigil);
  vigil.apply = (change) => {
    const result = apply(change);
    calls.push(result);
    return result;
  };
  const targets = targetsSchema.parse([
    { name: 'api', type: 'hostport', host: '127.0.0.1', port: openPort, interval: '10s' },
    { name: 'db', type: 'hostport', host: '127.0.0.1', port: closedPort, interval: '10s' },
    // Not reached (metadata, the unreached run and connectivity unavailable), then reached (the observation and the
    // metadata removed): several sink calls each time, one engine call all the same.
    { name: 'far', type: 'hostport', host: UNRESOLVABLE, port: 5432, interval: '10s' },
  ]);
  const results: string[] = [];
  const onResult = (target: { name: string }, result: { status: string }): number => results.push(`${target.name}:${result.status}`);
  const source = createTargetsSource(targets, { timers, random: () => 0, onResult });
  try {
    source.start(vigil.sink());
    const setUp = calls.length; // three subjects defined, the source up
    assert.equal(setUp, 4);
    for (let run = 1; run <= 3; run++) {
      if (run === 3) Object.assign(targets[2] as { host: string; port: number }, { host: '127.0.0.1', port: openPort });
      if (run > 1) await timers.advance(10_000);
      else await timers.advance(0);
      await until(() => results.length === 3 * run);
      assert.equal(calls.length - setUp, 3 * run, `run ${run}: one engine call per result (${results.join(', ')})`);
    }
    assert.deepEqual(results.slice(0, 3).sort(), ['api:ok', 'db:crit', 'far:crit']);
    const far = vigil.state.subjects.get('far')!;
    assert.equal(far.metadata['probe:hostport'], undefined, 'the reached run removed the attempt metadata');
    assert.equal(far.checks['hostport']?.reported, 'ok');
    for (const id of ['api', 'db']) {
      const subject = vigil.state.subjects.get(id)!;
      assert.equal(subject.connectivity, 'available', `${id}: a reached result (refused included) is contact`);
      assert.equal(subject.lastSeenAt, T0 + 20_000);
    }
    assert.equal(vigil.state.subjects.get('api')!.checks['hostport']?.reported, 'ok');
    assert.equal(vigil.state.subjects.get('db')!.checks['hostport']?.reported, 'crit');
  } finally {
    await source.stop();
    vigil.stop();
    store.close();
  }
});
