// The health engine (docs/health-model.md): pure and synchronous. Every call takes `now`, updates the state in place and
// returns the events it caused and the subjects it changed; a refused input throws EngineError and changes nothing.
export { createState, restoreState } from './state.js';
export { upsertSubject, removeSubject, renameSubject } from './subjects.js';
export { applyObservation, applyObservations } from './observations.js';
export { applyConnectivity } from './connectivity.js';
export { setMetadata, deleteMetadata, recordManipulation } from './metadata.js';
export { applySourceStatus } from './sources.js';
export { recordSourceEvent } from './events.js';
export { tick, nextDeadline } from './tick.js';
export { emptyResult, mergeResult } from './results.js';
export { restoreSnapshot, snapshotSubjects, type Snapshot } from './snapshot.js';
export { dependencyDown } from './runs.js';
export { CHECK_STATUSES, EngineError, HEALTH_STATES, RUN_OUTCOMES } from './types.js';
export type * from './types.js';
