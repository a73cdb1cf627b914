// The incremental renderer: only chunks with a changed subject are rendered again, the gzip body is gzip
// members that decode to exactly the plain body, stored (uncompressed) members decode too, and the warm-up
// leaves a scrape nothing to render.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { CHUNK_SUBJECTS, createSubjectRenderer } from '../../../src/exporter/metrics/render.js';
import { storedMember } from '../../../src/exporter/metrics/gzip-members.js';
import { makeCheck, makeState, makeSubject } from './factory.js';

const fleet = (subjects: number) =>
  makeState(Array.from({ length: subjects }, (_, s) => makeSubject(`host-${s}`, { connectivity: 'available' }, [makeCheck('a'), makeCheck('b')])));

const plainOf = (renderer: ReturnType<typeof createSubjectRenderer>, state: ReturnType<typeof fleet>) =>
  Buffer.concat(renderer.renderParts(state, false).parts).toString('utf8');

describe('incremental renderer', () => {
  it('renders again only the chunks of changed, new or removed subjects, with the same bytes as a fresh renderer', () => {
    const state = fleet(CHUNK_SUBJECTS * 10);
    const renderer = createSubjectRenderer();
    renderer.renderParts(state, false);
    assert.equal(renderer.lastDirtyChunks, 10);
    renderer.renderParts(state, false);
    assert.equal(renderer.lastDirtyChunks, 0, 'nothing changed');

    const changed = state.subjects.get('host-3')!;
    changed.checks['a']!.consecutiveFailures = 4;
    changed.stateVersion++;
    const text = plainOf(renderer, state);
    assert.equal(renderer.lastDirtyChunks, 1);
    assert.match(text, /^vigil_check_consecutive_failures\{subject="host-3",check="a"\} 4$/m);
    assert.equal(text, plainOf(createSubjectRenderer(), state));

    state.subjects.delete('host-20');
    state.subjects.set('new-1', makeSubject('new-1', {}, [makeCheck('a')]));
    const after = plainOf(renderer, state);
    assert.equal(renderer.lastDirtyChunks, 2, 'the chunk that lost a subject and the tail chunk that gained one');
    assert.ok(!after.includes('subject="host-20"'));
    assert.ok(after.includes('subject="new-1"'));
    assert.equal(after, plainOf(createSubjectRenderer(), state));
  });

  it('sends gzip members that decode to the plain body, before and after a change', () => {
    const state = fleet(CHUNK_SUBJECTS * 4);
    const renderer = createSubjectRenderer();
    for (let round = 0; round < 3; round++) {
      const gzip = Buffer.concat(renderer.renderParts(state, true).parts);
      assert.equal(gunzipSync(gzip).toString('utf8'), plainOf(renderer, state));
      const subject = state.subjects.get(`host-${round * 5}`)!;
      subject.warnings = round + 1;
      subject.stateVersion++;
    }
  });

  it('frames stored members that any gzip reader decodes, small and over 64 KiB', () => {
    for (const size of [0, 1, 65_535, 65_536, 200_000]) {
      const bytes = Buffer.alloc(size, 'x');
      assert.equal(gunzipSync(Buffer.concat(storedMember(bytes))).length, size);
    }
  });

  it('follows a dependency: a dependant is rendered again when what it depends on changes, and so is the count of dependants', () => {
    const state = fleet(CHUNK_SUBJECTS * 3);
    const sw = state.subjects.get('host-0')!;
    const host = state.subjects.get(`host-${CHUNK_SUBJECTS * 2}`)!; // another chunk
    host.spec.dependsOn = [{ id: 'host-0', lag: 0 }];
    state.dependents.set('host-0', new Set([host.spec.id]));
    const renderer = createSubjectRenderer();
    assert.match(plainOf(renderer, state), new RegExp(`^vigil_subject_dependency_down\\{subject="${host.spec.id}",kind="host"\\} 0$`, 'm'));
    sw.health = 'unhealthy'; // the switch changes; the host's own versions do not
    sw.stateVersion++;
    const text = plainOf(renderer, state);
    assert.match(text, new RegExp(`^vigil_subject_dependency_down\\{subject="${host.spec.id}",kind="host"\\} 1$`, 'm'));
    assert.match(text, /^vigil_subject_dependants\{subject="host-0",kind="host"\} 1$/m);
    assert.equal(text, plainOf(createSubjectRenderer(), state));

    // The host stops depending on the switch (its spec changes): the switch's count goes with it.
    host.spec = { ...host.spec, dependsOn: [] };
    host.specVersion++;
    state.dependents.delete('host-0');
    const after = plainOf(renderer, state);
    assert.ok(!after.includes('vigil_subject_dependants{subject="host-0"'));
    assert.equal(after, plainOf(createSubjectRenderer(), state));
  });

  it('leaves a warmed-up scrape nothing to render', async () => {
    const state = fleet(CHUNK_SUBJECTS * 3);
    const renderer = createSubjectRenderer();
    await renderer.warmUp(state);
    const subject = state.subjects.get('host-1')!;
    subject.health = 'unhealthy';
    subject.stateVersion++;
    await renderer.warmUp(state);
    const text = plainOf(renderer, state);
    assert.equal(renderer.lastDirtyChunks, 0);
    assert.match(text, /^vigil_subject_health\{subject="host-1",kind="host",state="unhealthy"\} 1$/m);
  });
});
