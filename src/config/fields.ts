// Field schemas shared by every config section (durations, byte sizes, label names), so each section
// validates them the same way and the messages read the same everywhere.
import { z } from 'zod';
import { parseDuration } from '../util/duration.js';

/**
 * A Prometheus-style duration string (`10s`, `5m`, `1h30m`). A bare number is refused, except `0`, because
 * `interval: 60` is ambiguous (seconds? milliseconds?) and Prometheus refuses it too.
 * The validated value stays as written; `durationMs` converts it.
 */
export const durationSchema = z
  .union([z.string(), z.number()], { error: 'expected a duration such as 30s, 5m, 1h30m' })
  .superRefine((value, ctx) => {
    if (typeof value === 'number') {
      if (value !== 0) ctx.addIssue({ code: 'custom', message: `a duration needs a unit: write "${value}s" or "${value}ms"` });
      return;
    }
    try {
      parseDuration(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  })
  .meta({
    description: 'Duration: a number and a unit (ms, s, m, h, d, w, y), e.g. 30s, 5m, 1h30m.',
    // For editors; applies to the string form only.
    pattern: '^(0|(\\d+(\\.\\d+)?(ms|s|m|h|d|w|y))+)$',
  });

export type DurationInput = z.output<typeof durationSchema>;

/** Milliseconds of a duration that `durationSchema` accepted. */
export const durationMs = (value: DurationInput): number => parseDuration(value);

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const BYTE_SIZE_RE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i;

/** Parses `512kb`, `1mb`, `1.5mb`, `100` (bytes); units are powers of 1024, as in express/body-parser. */
export function parseByteSize(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input < 0) throw new Error(`invalid size ${input}: expected a whole number of bytes`);
    return input;
  }
  const match = BYTE_SIZE_RE.exec(input.trim());
  if (!match) throw new Error(`invalid size "${input}": use a number and a unit such as 512kb, 1mb`);
  return Math.floor(Number(match[1]) * BYTE_UNITS[(match[2] ?? 'b').toLowerCase()]!);
}

export const byteSizeSchema = z
  .union([z.string(), z.number()], { error: 'expected a size such as 512kb or 1mb' })
  .superRefine((value, ctx) => {
    try {
      if (parseByteSize(value) === 0) ctx.addIssue({ code: 'custom', message: 'must be larger than 0' });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  })
  .meta({ description: 'Size in bytes, or with a unit b, kb, mb, gb (powers of 1024), e.g. 1mb.' });

export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Label names vigil itself puts on its series and alerts (docs/metrics.md); a configured label of the same name
 * would clash in a join. `job`/`instance` are Prometheus's target labels (they would be renamed `exported_*`);
 * names starting with `__` are Prometheus's own.
 */
export const RESERVED_LABEL_NAMES: readonly string[] = [
  'subject',
  'kind',
  'source',
  'check',
  'state',
  'status',
  'key',
  'stat',
  'manipulation',
  'policy',
  'severity',
  'job',
  'instance',
];

export const MAX_LABELS_PER_SUBJECT = 16;
const MAX_LABEL_VALUE_LENGTH = 1024;

/** Problem with a label name, or undefined when it is usable. */
export function labelNameProblem(name: string): string | undefined {
  if (!LABEL_NAME_RE.test(name)) return `label name "${name}" must match ${LABEL_NAME_RE.source}`;
  if (name.startsWith('__')) return `label name "${name}" is reserved: names starting with __ belong to Prometheus`;
  if (RESERVED_LABEL_NAMES.includes(name)) {
    return `label name "${name}" is reserved: vigil sets it itself (reserved: ${RESERVED_LABEL_NAMES.join(', ')})`;
  }
  return undefined;
}

/**
 * A small map of labels. Values may be written as numbers or booleans (`rack: 7`); they become strings.
 * Names are checked here so every section that carries labels refuses the same names.
 */
export const labelsSchema = z
  .record(
    z.string(),
    z.union([z.string().max(MAX_LABEL_VALUE_LENGTH), z.number(), z.boolean()], {
      error: 'a label value must be a string (or a number or boolean, which becomes a string)',
    }),
  )
  .superRefine((labels, ctx) => {
    const names = Object.keys(labels);
    if (names.length > MAX_LABELS_PER_SUBJECT) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_LABELS_PER_SUBJECT} labels, got ${names.length}` });
    }
    for (const name of names) {
      const problem = labelNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [name], params: { at: 'key' } });
    }
  })
  .meta({
    propertyNames: { pattern: LABEL_NAME_RE.source },
    maxProperties: MAX_LABELS_PER_SUBJECT,
    description:
      `Extra labels (at most ${MAX_LABELS_PER_SUBJECT}); names match ${LABEL_NAME_RE.source} ` +
      `and are not one of ${RESERVED_LABEL_NAMES.join(', ')}.`,
  });

export const labelsToStrings = (labels: Record<string, string | number | boolean> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(labels ?? {}).map(([name, value]) => [name, String(value)]));
