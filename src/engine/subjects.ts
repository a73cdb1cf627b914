// Subject lifecycle: create or update from a spec, remove, rename.
import { beginCall, emitEvent, finish, markVolatileChange } from './context.js';
import { reevaluate } from './evaluate.js';
import { addDependencyEdges, dependencyPathExists, createSubject, normaliseSpec, removeDependencyEdges, specsEqual } from './spec.js';
import { notFound, requireName } from './validate.js';
import { EngineError } from './types.js';
import type { EngineResult, EngineState, SubjectSpec } from './types.js';

export function upsertSubject(state: EngineState, spec: SubjectSpec, now: number): EngineResult {
  const ctx = beginCall(state, now);
  const normal = normaliseSpec(spec);
  const existing = state.subjects.get(normal.id);
  if (existing && specsEqual(existing.spec, normal)) return finish(ctx);
  const dependencyIds = normal.dependsOn.map((d) => d.id);
  if (dependencyPathExists(state, dependencyIds, normal.id)) {
    throw new EngineError('invalid', `subject ${normal.id}: dependsOn would create a dependency cycle`);
  }

  if (!existing) {
    createSubject(ctx, normal);
  } else {
    removeDependencyEdges(state, existing.spec);
    const reassigned = existing.spec.source !== normal.source;
    existing.spec = normal;
    existing.specVersion += 1;
    addDependencyEdges(state, normal);
    // Assigned to another source: that source must prove it sees the subject, like a new one.
    if (reassigned) {
      existing.appearanceSince = now;
      existing.appeared = false;
      markVolatileChange(ctx, existing);
    }
  }
  ctx.changed.add(normal.id);
  reevaluate(ctx, [normal.id]);
  return finish(ctx);
}

export function removeSubject(state: EngineState, id: string, now: number): EngineResult {
  const ctx = beginCall(state, now);
  const subject = state.subjects.get(id);
  if (!subject) throw notFound('subject', id);
  state.subjects.delete(id);
  state.history.delete(id);
  removeDependencyEdges(state, subject.spec);
  ctx.changed.add(id);
  // Dependants now point at a subject that does not exist: their checks are suppressed.
  reevaluate(ctx, state.dependents.get(id) ?? []);
  return finish(ctx);
}

export function renameSubject(state: EngineState, oldId: string, newId: string, now: number): EngineResult {
  const ctx = beginCall(state, now);
  requireName(newId, 'new subject id');
  const subject = state.subjects.get(oldId);
  if (!subject) throw notFound('subject', oldId);
  if (state.subjects.has(newId)) throw new EngineError('conflict', `subject ${JSON.stringify(newId)} already exists`);
  const dependencyIds = subject.spec.dependsOn.map((d) => d.id);
  if (dependencyIds.includes(newId) || dependencyPathExists(state, dependencyIds, newId)) {
    throw new EngineError('invalid', `renaming ${oldId} to ${newId} would create a dependency cycle`);
  }

  removeDependencyEdges(state, subject.spec);
  state.subjects.delete(oldId);
  subject.spec = { ...subject.spec, id: newId };
  subject.specVersion += 1;
  state.subjects.set(newId, subject);
  addDependencyEdges(state, subject.spec);
  // History follows the subject: its events now name the new id (copies, so events already handed out keep theirs).
  const history = state.history.get(oldId);
  state.history.delete(oldId);
  if (history)
    state.history.set(
      newId,
      history.map((event) => ({ ...event, subject: newId })),
    );
  (ctx.renamed ??= []).push({ from: oldId, to: newId, seq: state.seq });

  subject.renamedAt = now;
  subject.renamedFrom = oldId;
  subject.appearanceSince = now;
  subject.appeared = false;
  // The old id's deadline entry is dead now; forget the deadline so evaluation schedules it under the new id.
  delete subject.nextDeadline;
  markVolatileChange(ctx, subject);
  emitEvent(ctx, newId, 'rename', oldId, newId);
  ctx.changed.add(oldId);
  reevaluate(ctx, [newId, ...(state.dependents.get(oldId) ?? []), ...(state.dependents.get(newId) ?? [])]);
  return finish(ctx);
}
