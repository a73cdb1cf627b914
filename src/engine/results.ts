// Combining results, for callers that apply several engine calls as one (an API batch, a sink batch). The one merge:
// EngineResult's fields are all required, so adding a field fails to compile until this carries it too.
import type { EngineResult } from './types.js';

export const emptyResult = (): EngineResult => ({ events: [], changed: new Set(), changedSources: new Set(), renamed: [] });

/** Adds `from`'s events, changed ids, changed sources and renames to `into`, keeping their order. */
export function mergeResult(into: EngineResult, from: EngineResult): void {
  for (const event of from.events) into.events.push(event);
  for (const id of from.changed) into.changed.add(id);
  for (const name of from.changedSources) into.changedSources.add(name);
  for (const rename of from.renamed) into.renamed.push(rename);
}
