// Turns zod issues into config problems with a position and a message that says what to fix.
import type { z } from 'zod';
import { formatKeyPath, type ConfigProblem, type KeyPath } from './errors.js';
import type { SourceLocator } from './positions.js';

type Issue = z.core.$ZodIssue;
type Path = (string | number)[];

/** The part of a zod schema definition we walk to find which keys an object allows. */
interface DefView {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  innerType?: z.core.$ZodType;
  element?: z.core.$ZodType;
  options?: readonly z.core.$ZodType[];
  in?: z.core.$ZodType;
  valueType?: z.core.$ZodType;
}
const defOf = (schema: z.core.$ZodType): DefView => schema._zod.def as unknown as DefView;
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional', 'catch']);

/** Object shapes reachable at `path` (several when a union offers several). */
function shapesAt(schema: z.core.$ZodType, path: KeyPath): Record<string, z.core.$ZodType>[] {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type) && def.innerType) return shapesAt(def.innerType, path);
  if (def.type === 'pipe' && def.in) return shapesAt(def.in, path);
  if (def.type === 'union' && def.options) return def.options.flatMap((option) => shapesAt(option, path));
  if (path.length === 0) return def.type === 'object' && def.shape ? [def.shape] : [];
  const [segment, ...rest] = path;
  if (def.type === 'object' && def.shape && typeof segment === 'string' && def.shape[segment]) return shapesAt(def.shape[segment], rest);
  if (def.type === 'array' && def.element && typeof segment === 'number') return shapesAt(def.element, rest);
  if (def.type === 'record' && def.valueType) return shapesAt(def.valueType, rest);
  return [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function unknownKeyMessage(key: string, allowed: string[]): string {
  if (allowed.length === 0) return `unknown key "${key}"`;
  // A typo is at most two edits away, and fewer for short keys ("x" is not a typo of "id").
  const close = allowed.filter(
    (name) => name.toLowerCase() === key.toLowerCase() || editDistance(name, key) <= Math.min(2, Math.floor(key.length / 3)),
  );
  const hint = close.length > 0 ? `; did you mean "${close[0]}"?` : '';
  return `unknown key "${key}"${hint} (allowed: ${allowed.join(', ')})`;
}

function valueAt(input: unknown, path: KeyPath): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function describeType(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

const article = (type: string): string => (type === 'object' ? 'a mapping' : type === 'array' ? 'a list' : type);

/**
 * A union that failed as a whole. When exactly one alternative matched the value's type, its own issues
 * say more than "invalid input"; otherwise list what was expected.
 */
function expandUnion(issue: Extract<Issue, { code: 'invalid_union' }>): Issue[] | string {
  const isTypeMismatch = (branch: Issue[]) => branch.every((inner) => inner.code === 'invalid_type' && inner.path.length === 0);
  const relevant = issue.errors.filter((branch) => !isTypeMismatch(branch));
  if (relevant.length === 1) return relevant[0]!.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
  if (issue.message !== 'Invalid input') return issue.message;
  const expected = issue.errors.flatMap((branch) => branch.map((inner) => (inner.code === 'invalid_type' ? article(inner.expected) : undefined)));
  const names = [...new Set(expected.filter((name): name is string => name !== undefined))];
  return names.length > 0 ? `expected ${names.join(' or ')}` : issue.message;
}

export function issuesToProblems(
  issues: readonly Issue[],
  input: unknown,
  schema: z.core.$ZodType,
  locator: SourceLocator,
  file: string,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: Path, message: string, at: 'value' | 'key' = 'value') => {
    const { position } = locator.locate(path, at);
    problems.push({ file, line: position.line, col: position.col, path: formatKeyPath(path), message });
  };
  const handle = (issue: Issue): void => {
    const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = [...new Set(shapesAt(schema, path).flatMap((shape) => Object.keys(shape)))];
        for (const key of issue.keys) add([...path, key], unknownKeyMessage(key, allowed), 'key');
        return;
      }
      case 'invalid_union': {
        const expanded = expandUnion(issue);
        if (typeof expanded === 'string') add(path, expanded);
        else expanded.forEach(handle);
        return;
      }
      case 'invalid_type': {
        const value = valueAt(input, path);
        if (value === undefined) add(path, `missing required key "${String(path[path.length - 1] ?? '')}"`);
        else add(path, `expected ${article(issue.expected)}, got ${describeType(value)}`);
        return;
      }
      case 'invalid_value':
        add(path, `must be one of: ${issue.values.map(String).join(', ')}`);
        return;
      case 'custom':
        // A refinement about a key's name (not its value) asks for the key's position with `params: { at: 'key' }`.
        add(path, issue.message, issue.params?.['at'] === 'key' ? 'key' : 'value');
        return;
      default:
        add(path, issue.message);
    }
  };
  issues.forEach(handle);
  return problems;
}
