// Turns zod failures into one problem answer that lists every issue with its JSON path.
import type { z } from 'zod';
import { badRequest } from '../problem.js';

/** Every issue of a refused body with its JSON path (`whole`, e.g. `(body)`, when it is about the whole value). */
export function describeIssues(error: z.ZodError, whole: string): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || whole, message: issue.message }));
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  if (body === undefined) throw badRequest(`${what} needs a JSON body (Content-Type: application/json)`);
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const errors = describeIssues(result.error, '(body)');
  throw badRequest(`invalid ${what}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
}

export function parseParam<S extends z.ZodType>(schema: S, value: unknown, name: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw badRequest(`invalid ${name} "${String(value)}": ${result.error.issues[0]?.message ?? 'not valid'}`);
}
