// The sink's one implementation: each call is one engine call applied through `apply` (the runtime records it for
// the store and the event listeners), dropped when this process does not own its subject. Tests and benchmarks
// build it over a bare engine state; `Vigil.sink()` builds it over the runtime.
import * as engine from '../engine/index.js';
import type { EngineCall, EngineResult, EngineState } from '../engine/types.js';
import { refuseBeyondLimits } from '../runtime/limits.js';
import type { SourceSink } from './types.js';

export interface SinkTarget {
  /** The state now (a replica may swap it): read on every call, never kept. */
  state(): EngineState;
  apply(change: EngineCall): EngineResult;
  owns(subject: string): boolean;
}

export function createSink(target: SinkTarget): SourceSink {
  const owned = (subject: string, change: EngineCall): void => {
    if (target.owns(subject)) target.apply(change);
  };
  const sink: SourceSink = {
    defineSubject: (spec) => owned(spec.id, (s, now) => engine.upsertSubject(s, spec, now)),
    removeSubject: (id) => {
      if (target.state().subjects.has(id)) owned(id, (s, now) => engine.removeSubject(s, id, now));
    },
    observe: (observation) => owned(observation.subject, (s, now) => engine.applyObservation(s, observation, now)),
    connectivity: (signal) => owned(signal.subject, (s, now) => engine.applyConnectivity(s, signal, now)),
    metadata: (subject, key, entry) =>
      owned(subject, (s, now) => (entry === null ? engine.deleteMetadata(s, subject, key, now) : engine.setMetadata(s, subject, key, entry, now))),
    recordSourceEvent: (event) => owned(event.subject, (s, now) => engine.recordSourceEvent(s, event, now)),
    // A source's status is the process's own view, not a subject's: every replica records it.
    sourceStatus: (source, up, reason) => void target.apply((s, now) => engine.applySourceStatus(s, source, { up, reason }, now)),
    subject: (id) => target.state().subjects.get(id),
    subjectsOf: (source) => {
      const ids: string[] = [];
      for (const subject of target.state().subjects.values()) if (subject.spec.source === source) ids.push(subject.spec.id);
      return ids;
    },
    owns: (subject) => target.owns(subject),
    refuseBeyondLimits: (limits, writes) => refuseBeyondLimits(target.state(), limits, writes),
    batch: (fill) => {
      let failure: { error: unknown } | undefined;
      target.apply((state, now) => {
        const merged = engine.emptyResult();
        const inner = createSink({
          state: () => state,
          apply: (change) => {
            const result = change(state, now);
            engine.mergeResult(merged, result);
            return result;
          },
          owns: target.owns,
        });
        try {
          fill(inner);
        } catch (error) {
          failure = { error };
        }
        return merged;
      });
      if (failure) throw failure.error;
    },
  };
  return sink;
}
