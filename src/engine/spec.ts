// Subject specs: validation, normalisation, equality, and the dependants index derived from them.
import { requireDuration, requireName, optionalDuration, validateTiming } from './validate.js';
import { EngineError } from './types.js';
import type { Context } from './context.js';
import type { EngineState, SubjectSpec, SubjectState } from './types.js';

/** Validates a spec and returns a private copy, so later changes to the caller's object cannot leak in. */
export function normaliseSpec(spec: SubjectSpec): SubjectSpec {
  if (typeof spec !== 'object' || spec === null) throw new EngineError('invalid', 'subject spec must be an object');
  const id = requireName(spec.id, 'subject id');
  const labels: Record<string, string> = {};
  if (spec.labels !== undefined) {
    if (typeof spec.labels !== 'object' || spec.labels === null) throw new EngineError('invalid', `subject ${id}: labels must be an object`);
    for (const [key, value] of Object.entries(spec.labels)) {
      if (typeof value !== 'string') throw new EngineError('invalid', `subject ${id}: label ${key} must be a string`);
      labels[key] = value;
    }
  }
  if (spec.dependsOn !== undefined && !Array.isArray(spec.dependsOn)) throw new EngineError('invalid', `subject ${id}: dependsOn must be a list`);
  const seen = new Set<string>();
  const dependsOn = (spec.dependsOn ?? []).map((dependency, index) => {
    const dependencyId = requireName(dependency?.id, `subject ${id}: dependsOn[${index}].id`);
    if (dependencyId === id) throw new EngineError('invalid', `subject ${id} cannot depend on itself`);
    if (seen.has(dependencyId)) throw new EngineError('invalid', `subject ${id} lists dependency ${dependencyId} twice`);
    seen.add(dependencyId);
    return { id: dependencyId, lag: requireDuration(dependency.lag, `subject ${id}: dependsOn[${index}].lag`) };
  });
  const normal: SubjectSpec = {
    id,
    kind: requireName(spec.kind, `subject ${id}: kind`),
    labels,
    dependsOn,
    source: requireName(spec.source, `subject ${id}: source`),
  };
  optionalDuration(spec.startupGrace, `subject ${id}: startupGrace`);
  optionalDuration(spec.appearanceTimeout, `subject ${id}: appearanceTimeout`);
  validateTiming(spec.timing, `subject ${id}: timing`);
  if (spec.startupGrace !== undefined) normal.startupGrace = spec.startupGrace;
  if (spec.appearanceTimeout !== undefined) normal.appearanceTimeout = spec.appearanceTimeout;
  if (spec.timing !== undefined) normal.timing = { ...spec.timing };
  return normal;
}

export function specsEqual(a: SubjectSpec, b: SubjectSpec): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON with object keys sorted, so key order never makes two equal specs differ. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether following dependsOn from `from` (through existing subjects) reaches `target`: adding the edge would close a cycle. */
export function dependencyPathExists(state: EngineState, from: string[], target: string): boolean {
  const stack = [...from];
  const visited = new Set<string>();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === target) return true;
    if (visited.has(id)) continue;
    visited.add(id);
    for (const dependency of state.subjects.get(id)?.spec.dependsOn ?? []) stack.push(dependency.id);
  }
  return false;
}

export function addDependencyEdges(state: EngineState, spec: SubjectSpec): void {
  for (const dependency of spec.dependsOn) {
    let set = state.dependents.get(dependency.id);
    if (!set) {
      set = new Set();
      state.dependents.set(dependency.id, set);
    }
    set.add(spec.id);
  }
}

export function removeDependencyEdges(state: EngineState, spec: SubjectSpec): void {
  for (const dependency of spec.dependsOn) {
    const set = state.dependents.get(dependency.id);
    if (!set) continue;
    set.delete(spec.id);
    if (set.size === 0) state.dependents.delete(dependency.id);
  }
}

export function rebuildDependents(state: EngineState): void {
  state.dependents.clear();
  for (const subject of state.subjects.values()) addDependencyEdges(state, subject.spec);
}

/** Adds a new subject for a normalised spec; the caller evaluates it before the call returns. */
export function createSubject(ctx: Context, spec: SubjectSpec): SubjectState {
  const subject = newSubjectState(spec, ctx.now);
  ctx.state.subjects.set(spec.id, subject);
  addDependencyEdges(ctx.state, spec);
  ctx.created.add(subject);
  ctx.changed.add(spec.id);
  return subject;
}

function newSubjectState(spec: SubjectSpec, now: number): SubjectState {
  return {
    spec,
    createdAt: now,
    firstSeenAt: now,
    appearanceSince: now,
    appeared: false,
    manipulations: {},
    checks: {},
    // Placeholder until the first evaluation, which runs in the same call.
    health: 'unknown',
    healthChangedAt: now,
    healthChanges: 0,
    connectivityChanges: 0,
    warnings: 0,
    metadata: {},
    specVersion: 1,
    stateVersion: 0,
  };
}
