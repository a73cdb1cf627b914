// `${VAR}` / `${VAR:-default}` in scalar string values, `$${` for a literal `${`. Applied to the parsed
// YAML nodes (not the text) so YAML quoting stays intact and every problem keeps its position.
import { isMap, isPair, isScalar, isSeq, parse, Scalar, type Document, type Node } from 'yaml';
import type { KeyPath } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

export type Interpolated = { ok: true; value: string } | { ok: false; message: string };

const REFERENCE_RE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?$/;

/** Substitutes environment references in one string. Messages never contain a variable's value. */
export function interpolate(text: string, env: Env): Interpolated {
  let out = '';
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf('$', index);
    if (dollar < 0) {
      out += text.slice(index);
      break;
    }
    out += text.slice(index, dollar);
    if (text.startsWith('$${', dollar)) {
      out += '${';
      index = dollar + 3;
      continue;
    }
    if (!text.startsWith('${', dollar)) {
      out += '$';
      index = dollar + 1;
      continue;
    }
    const close = text.indexOf('}', dollar + 2);
    if (close < 0) return { ok: false, message: 'unterminated "${": close it with "}", or write "$${" for a literal "${"' };
    const reference = text.slice(dollar + 2, close);
    const match = REFERENCE_RE.exec(reference);
    if (!match) {
      return { ok: false, message: `invalid reference "\${${reference}}": expected \${NAME} or \${NAME:-default}` };
    }
    const [, name, fallback] = match;
    const value = env[name!];
    if (value !== undefined && value !== '') out += value;
    else if (fallback !== undefined) out += fallback;
    else if (value === undefined)
      return { ok: false, message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)` };
    index = close + 1;
  }
  return { ok: true, value: out };
}

/**
 * An unquoted scalar that became a number or boolean after substitution takes that type, as it would
 * have had it been written out (`port: ${PORT}` gives a number). Quoted scalars stay strings.
 */
function retype(text: string): string | number | boolean {
  try {
    const value: unknown = parse(text);
    return typeof value === 'number' || typeof value === 'boolean' ? value : text;
  } catch {
    return text;
  }
}

export interface NodeProblem {
  path: KeyPath;
  offset: number;
  message: string;
}

/** Interpolates every string value of the document in place; keys are left alone. */
export function interpolateDocument(doc: Document, env: Env): NodeProblem[] {
  const problems: NodeProblem[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isPair(pair)) walk(pair.value, [...path, isScalar(pair.key) ? String(pair.key.value) : String(pair.key)]);
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) walk(item, [...path, index]);
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
      const result = interpolate(node.value, env);
      if (!result.ok) {
        problems.push({ path, offset: (node as Node).range?.[0] ?? 0, message: result.message });
        return;
      }
      if (result.value === node.value) return;
      node.value = node.type === Scalar.PLAIN && node.value.includes('${') ? retype(result.value) : result.value;
    }
  };
  walk(doc.contents, []);
  return problems;
}
