// The `subjects:` section: configured subjects and their dependency graph (docs/health-model.md).
import { z } from 'zod';
import { durationSchema, labelsSchema } from './fields.js';

/**
 * Whether `name` can key a plain object as its own entry. Check names and metadata keys are keys of plain objects in
 * the engine's state; `__proto__`, `constructor`, `toString`... would collide with what every object inherits.
 */
export const isOwnKeyName = (name: string): boolean => !(name in Object.prototype);
export const RESERVED_NAME = 'is reserved: every JavaScript object has a property of that name';

/** Subject ids end up in label values and URL paths: no whitespace or control characters, bounded length. */
export const subjectIdSchema = z
  .string()
  .min(1, 'a subject id must not be empty')
  .max(253, 'a subject id is at most 253 characters')
  .regex(/^[^\s\x00-\x1f\x7f]+$/, 'a subject id must not contain whitespace or control characters')
  .refine(isOwnKeyName, `this name ${RESERVED_NAME}`);

export const kindSchema = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,62}$/, 'a kind is one word: a letter, then letters, digits, _ or - (at most 63)')
  .meta({ description: 'target, experiment, application, machine, host, switch, rack, or any word.' });

export const freshnessSchema = z
  .number()
  .min(1, 'freshness is a multiple of the period and must be at least 1')
  .meta({ description: 'A result stays fresh for freshness × its period.' });

const dependencySchema = z
  .union([
    subjectIdSchema,
    z.strictObject({
      id: subjectIdSchema,
      lag: durationSchema.optional().meta({ description: 'Settle time after the dependency changes health; default defaults.dependency_lag.' }),
    }),
  ])
  .meta({ description: 'Id of a configured subject, or {id, lag}.' });

export const subjectSchema = z.strictObject({
  id: subjectIdSchema.meta({ description: 'Unique id of the subject.' }),
  kind: kindSchema,
  labels: labelsSchema.optional(),
  depends_on: z
    .array(dependencySchema)
    .optional()
    .meta({ description: 'Infrastructure subjects this one depends on; its checks count only while they are healthy and settled.' }),
  startup_grace: durationSchema.optional().meta({ description: 'Overrides defaults.startup_grace.' }),
  appearance_timeout: durationSchema.optional().meta({ description: 'Overrides defaults.appearance_timeout.' }),
  freshness: freshnessSchema.optional().meta({ description: 'Overrides defaults.freshness.' }),
  overhead: durationSchema.optional().meta({ description: 'Overrides defaults.overhead for every check of this subject.' }),
  accuracy: durationSchema.optional().meta({ description: 'Overrides defaults.accuracy for every check of this subject.' }),
  push_period: durationSchema.optional().meta({ description: 'Overrides defaults.push_period for every check of this subject.' }),
  renamed_from: subjectIdSchema.optional().meta({
    description: 'The id this subject had before: at start the existing subject is renamed, keeping its history, events and manipulations.',
  }),
});

type DependencyInput = z.output<typeof dependencySchema>;

export const dependencyId = (dependency: DependencyInput): string => (typeof dependency === 'string' ? dependency : dependency.id);

type IssuePath = (string | number)[];
interface Issue {
  path: IssuePath;
  message: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What the graph checks need from one entry, read leniently: entries with other problems still take part. */
interface GraphEntry {
  id?: string;
  renamedFrom?: string;
  dependencies: { id: string; path: IssuePath }[];
}

function graphEntry(entry: unknown, index: number): GraphEntry {
  if (!isRecord(entry)) return { dependencies: [] };
  const dependsOn = Array.isArray(entry['depends_on']) ? (entry['depends_on'] as unknown[]) : [];
  const dependencies: GraphEntry['dependencies'] = [];
  dependsOn.forEach((dependency, position) => {
    if (typeof dependency === 'string') dependencies.push({ id: dependency, path: [index, 'depends_on', position] });
    else if (isRecord(dependency) && typeof dependency['id'] === 'string') {
      dependencies.push({ id: dependency['id'], path: [index, 'depends_on', position, 'id'] });
    }
  });
  const graph: GraphEntry = { dependencies };
  if (typeof entry['id'] === 'string') graph.id = entry['id'];
  if (typeof entry['renamed_from'] === 'string') graph.renamedFrom = entry['renamed_from'];
  return graph;
}

/** A `renamed_from` must name an id no configured subject has now, and only one subject may claim it. */
function renameIssues(entries: GraphEntry[], indexById: Map<string, number>): Issue[] {
  const issues: Issue[] = [];
  const claimedBy = new Map<string, number>();
  entries.forEach(({ id, renamedFrom }, index) => {
    if (renamedFrom === undefined) return;
    const path = [index, 'renamed_from'];
    const current = indexById.get(renamedFrom);
    if (renamedFrom === id) issues.push({ path, message: 'a subject cannot be renamed from its own id' });
    else if (current !== undefined)
      issues.push({ path, message: `"${renamedFrom}" is still a configured subject (subjects[${current}]); remove it or drop renamed_from` });
    const first = claimedBy.get(renamedFrom);
    if (first === undefined) claimedBy.set(renamedFrom, index);
    else issues.push({ path, message: `subjects[${first}] is already renamed from "${renamedFrom}"` });
  });
  return issues;
}

/** Duplicate ids, dependencies on unknown subjects or on themselves, cycles, and conflicting renames. */
export function subjectGraphIssues(subjects: readonly unknown[]): Issue[] {
  const entries = subjects.map(graphEntry);
  const issues: Issue[] = [];
  const indexById = new Map<string, number>();
  entries.forEach(({ id }, index) => {
    if (id === undefined) return;
    const first = indexById.get(id);
    if (first === undefined) indexById.set(id, index);
    else issues.push({ path: [index, 'id'], message: `duplicate subject id "${id}" (first defined at subjects[${first}])` });
  });

  // Only edges between distinct known subjects take part in the cycle search; the others are reported here.
  const edges = new Map<string, { target: string; path: IssuePath }[]>();
  entries.forEach(({ id, dependencies }, index) => {
    if (id === undefined || indexById.get(id) !== index) return;
    const out: { target: string; path: IssuePath }[] = [];
    const seen = new Set<string>();
    for (const { id: target, path } of dependencies) {
      if (target === id) issues.push({ path, message: `subject "${id}" cannot depend on itself` });
      else if (!indexById.has(target)) issues.push({ path, message: `depends on "${target}", which is not a configured subject` });
      else if (seen.has(target)) issues.push({ path, message: `"${target}" is listed twice in depends_on` });
      else {
        seen.add(target);
        out.push({ target, path });
      }
    }
    edges.set(id, out);
  });

  const done = new Set<string>();
  const onStack: string[] = [];
  const visit = (id: string): void => {
    onStack.push(id);
    for (const { target, path } of edges.get(id) ?? []) {
      const cycleStart = onStack.indexOf(target);
      if (cycleStart >= 0) issues.push({ path, message: `dependency cycle: ${[...onStack.slice(cycleStart), target].join(' → ')}` });
      else if (!done.has(target)) visit(target);
    }
    onStack.pop();
    done.add(id);
  };
  for (const id of indexById.keys()) if (!done.has(id)) visit(id);
  return [...issues, ...renameIssues(entries, indexById)];
}

export const subjectsSchema = z
  .array(subjectSchema)
  .superRefine(
    (subjects, ctx) => {
      for (const issue of subjectGraphIssues(subjects)) ctx.addIssue({ code: 'custom', ...issue });
    },
    // Run even when some entries are malformed, so duplicate ids and bad references show up in the same run.
    { when: (payload) => Array.isArray(payload.value) },
  )
  .default([])
  .meta({ description: 'Subjects defined by configuration (source "config").' });
