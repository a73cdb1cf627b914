// The engine settings tests run with: the defaults of docs/config.md, but without start-up grace (most tests want
// real health at once) and without dependency lag. A leaf, so any test, fixture or bench can take it cheaply;
// a test that needs another value spreads it: `{ ...TEST_SETTINGS, startupGrace: 60_000 }`.
import type { EngineSettings } from '../../src/engine/types.js';

export const TEST_SETTINGS: EngineSettings = {
  freshness: 2,
  startupGrace: 0,
  appearanceTimeout: 30 * 60_000,
  sourceDropAfter: 15 * 60_000,
  renameLag: 3 * 3_600_000,
  disconnectGrace: 30_000,
  eventsPerSubject: 100,
  dependencyLag: 0,
};
