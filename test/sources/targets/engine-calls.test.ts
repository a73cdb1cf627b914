// The probe path costs one engine call per reached result: the observation is first-hand contact, so the engine
// marks the subject available and seen in that same call. A separate `connectivity(available)` after it changed
// nothing (proved here on the pure engine) and cost a second re-evaluation and store record.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { targetsSchema } from '../../../src/config/targets.js';
import * as engine from '../../../src/engine/index.js';
import type { EngineResult, EngineState, Observation } from '../../../src/engine/types.js';
import { Vigil } from '../../../src/runtime/vigil.js';
import { createTargetsSource } from '../../../src/sources/targets/source.js';
import { Store } from '../../../src/store/store.js';
import { TEST_SETTINGS } from '../../helpers/api-harness.js';
import { FakeTimers } from './fake-timers.js';

const T0 = 1_700_000_000_000;
let listener: net.Server;
let openPort = 0;
let closedPort = 0;
const directory = mkdtempSync(join(tmpdir(), 'vigil-engine-calls-'));

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

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5s');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

test('connectivity available after a reached observation changes nothing: no event, no changed subject, same state', () => {
  const build = (): EngineState => {
    const state = engine.createState(TEST_SETTINGS);
    engine.upsertSubject(state, { id: 'api', kind: 'target', labels: {}, dependsOn: [], source: 'targets' }, T0);
    engine.applyConnectivity(state, { subject: 'api', state: 'unavailable', reason: 'dns', source: 'targets' }, T0 + 1);
    return state;
  };
  const observation: Observation = { subject: 'api', check: 'hostport', status: 'ok', observedAt: T0 + 5, period: 10_000, metrics: { duration_seconds: 0.001 }, source: 'targets' };
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

test('the probe path makes one engine call per reached result (ok or refused), and the subject is available and seen', async () => {
  const timers = new FakeTimers(T0);
  const store = Store.open(join(directory, 'vigil.db'), { flushIntervalMs: 5, eventsPerSubject: 100 });
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
  ]);
  const results: string[] = [];
  const source = createTargetsSource(targets, { timers, random: () => 0, onResult: (target, result) => results.push(`${target.name}:${result.status}`) });
  try {
    source.start(vigil.sink());
    const setUp = calls.length; // two subjects defined, the source up
    assert.equal(setUp, 3);
    for (let run = 1; run <= 3; run++) {
      if (run > 1) await timers.advance(10_000);
      else await timers.advance(0);
      await until(() => results.length === 2 * run);
      assert.equal(calls.length - setUp, 2 * run, `run ${run}: one engine call per result (${results.join(', ')})`);
    }
    assert.deepEqual(results.slice(0, 2).sort(), ['api:ok', 'db:crit']);
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
