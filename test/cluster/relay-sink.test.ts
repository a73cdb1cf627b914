// The relay sink a polling source reports through on one of several replicas carries every sink method: calls about
// another replica's subjects (removing one, recording a source event included) reach that owner over its real
// internal route (sinkRoute, mounted as the cluster mounts it), reads cover what the owner answered, and a batch
// applies the local calls as one change.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { pino } from 'pino';
import { RelaySink, sinkRoute } from '../../src/cluster/relay-sink.js';
import { observation, spec } from '../engine/helpers.js';
import { stateSink } from '../helpers/state-sink.js';
import { until } from '../helpers/until.js';

const KEY = 'relay-test-cluster-key';
const log = pino({ level: 'silent' });
const ownsA = (id: string) => id.startsWith('a-');
const ownsB = (id: string) => id.startsWith('b-');

describe('the relay sink', () => {
  const a = stateSink(ownsA);
  const b = stateSink(ownsB);
  let server: Server;
  let relay: RelaySink;
  before(async () => {
    const app = express();
    app.use('/api/v1', sinkRoute({ key: KEY, owns: ownsB, sink: b.sink, state: () => b.state, commit: async () => undefined, log }));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('no address');
    const ownerB = `http://127.0.0.1:${address.port}`;
    relay = new RelaySink({
      local: a.sink,
      self: 'http://replica-a.invalid',
      key: KEY,
      owns: ownsA,
      ownerOf: async (id) => (ownsB(id) ? ownerB : undefined),
      liveReplicas: async () => [ownerB],
      state: () => a.state,
      log,
    });
    // The owner already holds one of the source's subjects (reported before, on another replica).
    b.sink.defineSubject(spec('b-gone', { source: 'poller' }));
  });
  after(async () => {
    await relay.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('relays removals and source events to the owner, and reads back what the owner answered', async () => {
    relay.defineSubject(spec('a-1', { source: 'poller' }));
    relay.defineSubject(spec('b-1', { source: 'poller' }));
    relay.recordSourceEvent({ subject: 'b-1', type: 'availability', from: null, to: 'available', reason: 'test' });
    relay.removeSubject('b-gone');
    await until(() => b.state.subjects.has('b-1') && !b.state.subjects.has('b-gone'), 'the owner applied the relayed calls');
    assert.deepEqual(
      b.state.history
        .get('b-1')!
        .filter((event) => event.type === 'availability')
        .map((event) => [event.from, event.to, event.reason]),
      [[null, 'available', 'test']],
    );
    assert.equal(a.state.subjects.has('b-1'), false, 'never applied on the replica that does not own it');
    await until(() => relay.subject('b-1') !== undefined, 'the owner answered its state');
    assert.equal(relay.subject('b-1')!.spec.source, 'poller');
    assert.equal(relay.subject('a-1')!.spec.source, 'poller', 'its own subjects from its own state');
    assert.deepEqual(relay.subjectsOf('poller').sort(), ['a-1', 'b-1']);
    assert.equal(relay.owns('b-1'), true, 'calls about any subject take effect through the relay');
  });

  it('a batch applies the calls about subjects owned here as one change, and still relays the others', async () => {
    const before = a.applied.length;
    relay.batch((sink) => {
      sink.defineSubject(spec('a-2', { source: 'poller' }));
      sink.observe(observation('a-2', 'ping', 'ok', { source: 'poller' }));
      sink.defineSubject(spec('b-2', { source: 'poller' }));
    });
    assert.equal(a.applied.length, before + 1, 'one apply for the local calls');
    assert.deepEqual([...a.applied.at(-1)!.changed], ['a-2']);
    assert.equal(a.state.subjects.get('a-2')!.checks['ping']!.reported, 'ok');
    await until(() => b.state.subjects.has('b-2'), 'the other call reached its owner');
  });
});
