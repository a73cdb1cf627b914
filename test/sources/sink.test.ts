// The sink is the only door between a source and vigil: what it offers, how a batch applies as one change, and that
// the extension contract gives no way to the runtime (checked by the compiler: see the @ts-expect-error lines).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as engine from '../../src/engine/index.js';
import { DEFAULT_LIMITS } from '../../src/runtime/limits.js';
import type { Vigil } from '../../src/runtime/vigil.js';
import type { ExtensionContext, RuntimeView } from '../../src/sources/extension.js';
import type { SourceSink } from '../../src/sources/types.js';
import { observation, spec } from '../engine/helpers.js';
import { REPO_ROOT } from '../helpers/repo-root.js';
import { stateSink } from '../helpers/state-sink.js';

test('a batch is one apply whose result merges every call: events in order, changed subjects and sources', () => {
  const { state, sink, applied } = stateSink();
  sink.batch((batch) => {
    batch.defineSubject(spec('m1', { source: 'poller' }));
    batch.observe(observation('m1', 'ping', 'crit'));
    batch.sourceStatus('poller', false, 'timeout');
    batch.recordSourceEvent({ subject: 'm1', type: 'availability', from: null, to: 'available' });
  });
  assert.equal(applied.length, 1, 'one apply');
  const [result] = applied;
  assert.deepEqual([...result!.changed], ['m1']);
  assert.deepEqual([...result!.changedSources], ['poller']);
  assert.deepEqual(
    result!.events.map((event) => event.type),
    state.history.get('m1')!.map((event) => event.type),
  );
  assert.equal(result!.events.at(-1)!.type, 'availability');
});

test('a refused call in a batch changes nothing and the others still apply; a throwing fill keeps what it did', () => {
  const { state, sink, applied } = stateSink();
  const refused: unknown[] = [];
  sink.batch((batch) => {
    batch.defineSubject(spec('a'));
    try {
      batch.recordSourceEvent({ subject: 'ghost', type: 'availability', from: null, to: 'available' });
    } catch (error) {
      refused.push(error);
    }
    batch.observe(observation('a', 'ping', 'ok'));
  });
  assert.equal(refused.length, 1);
  assert.ok(refused[0] instanceof engine.EngineError);
  assert.equal(state.subjects.has('ghost'), false);
  assert.equal(state.subjects.get('a')!.checks['ping']!.reported, 'ok');

  assert.throws(
    () =>
      sink.batch((batch) => {
        batch.defineSubject(spec('b'));
        throw new Error('the source broke half-way');
      }),
    /half-way/,
  );
  assert.equal(state.subjects.has('b'), true, 'what the fill did before it threw is applied');
  assert.deepEqual([...applied.at(-1)!.changed], ['b'], 'and recorded');
});

test('a source reads and removes only through the sink; calls about subjects another replica owns are dropped', () => {
  const { state, sink } = stateSink((subject) => subject !== 'elsewhere');
  sink.defineSubject(spec('k1', { source: 'kube' }));
  sink.defineSubject(spec('k2', { source: 'kube' }));
  sink.defineSubject(spec('x', { source: 'other' }));
  sink.defineSubject(spec('elsewhere', { source: 'kube' }));
  assert.deepEqual(sink.subjectsOf('kube'), ['k1', 'k2']);
  assert.equal(sink.subject('x')!.spec.source, 'other');
  assert.equal(sink.owns('elsewhere'), false);
  sink.removeSubject('k1');
  sink.removeSubject('k1'); // gone already: nothing
  assert.deepEqual(sink.subjectsOf('kube'), ['k2']);
  assert.throws(() => sink.refuseBeyondLimits({ ...DEFAULT_LIMITS, maxSubjects: state.subjects.size }, [{ subject: 'new' }]), /max_subjects/);
  sink.refuseBeyondLimits({ ...DEFAULT_LIMITS, maxSubjects: state.subjects.size }, [{ subject: 'k2' }]); // exists: fine
});

// Compile-time: nothing an extension receives is, or leads to, the runtime.
type Values<T> = T[keyof T];
type ReachesVigil<T> = Extract<Values<Required<T>>, Vigil> extends never ? false : true;
const contextReachesVigil: ReachesVigil<ExtensionContext> = false;
const runtimeViewReachesVigil: ReachesVigil<RuntimeView> = false;
const sinkReachesVigil: ReachesVigil<SourceSink> = false;

test('an extension cannot reach Vigil: its context, runtime view and sink have no way to it (the types say so)', () => {
  assert.deepEqual([contextReachesVigil, runtimeViewReachesVigil, sinkReachesVigil], [false, false, false]);
  const check = (context: ExtensionContext): void => {
    // @ts-expect-error: the context has no `vigil`
    void context.vigil;
    // @ts-expect-error: the sink applies no engine call of the source's choosing
    void context.sink.apply;
    // @ts-expect-error: nor hands out the state
    void context.sink.state;
    // @ts-expect-error: the runtime view changes nothing
    void context.runtime.apply;
  };
  void check;
});

test('the extension contract is a leaf: it imports only types, and no source imports the list of extensions', () => {
  const root = REPO_ROOT;
  const contract = readFileSync(join(root, 'src/sources/extension.ts'), 'utf8');
  const imports = contract.split('\n').filter((line) => line.startsWith('import '));
  assert.ok(imports.length > 0);
  for (const line of imports) assert.match(line, /^import type /, line);
  const sourceFiles = readdirSync(join(root, 'src/sources'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  for (const file of sourceFiles) {
    assert.doesNotMatch(
      readFileSync(join(root, 'src/sources', file), 'utf8'),
      /from '(\.\.\/)+extensions\.js'/,
      `src/sources/${file} imports the list`,
    );
  }
});
