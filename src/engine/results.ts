// Combining results, for callers that apply several engine calls as one (an API batch, an agents storm window).
import type { EngineResult } from './types.js';

export const emptyResult = (): EngineResult => ({ events: [], changed: new Set(), changedSources: new Set() });

/** Adds `from`'s events and changed ids to `into`, keeping event order. */
export function mergeResult(into: EngineResult, from: EngineResult): void {
  for (const event of from.events) into.events.push(event);
  for (const id of from.changed) into.changed.add(id);
  if (from.changedSources?.size) {
    into.changedSources ??= new Set();
    for (const name of from.changedSources) into.changedSources.add(name);
  }
  if (from.renamed?.length) (into.renamed ??= []).push(...from.renamed);
}
