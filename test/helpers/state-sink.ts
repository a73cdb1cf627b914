// vigil's own sink (src/sources/sink.ts) over a bare engine state at a fixed time, keeping every applied result (one
// per apply): for tests of what reaches the engine through the sink, without a runtime or a store.
import * as engine from '../../src/engine/index.js';
import type { EngineResult, EngineState } from '../../src/engine/types.js';
import { createSink } from '../../src/sources/sink.js';
import { T0 } from '../engine/helpers.js';
import { TEST_SETTINGS } from './settings.js';

export function stateSink(owns: (subject: string) => boolean = () => true) {
  const state: EngineState = engine.createState(TEST_SETTINGS);
  const applied: EngineResult[] = [];
  const sink = createSink({
    state: () => state,
    apply: (change) => {
      const result = change(state, T0);
      applied.push(result);
      return result;
    },
    owns,
  });
  return { state, sink, applied };
}
