// Reading the values of a Clowder healthmonitor file: the mappings and numbers the check and notifier conversions
// (clowder-checks.ts, clowder-notifiers.ts) both read.

export type Plain = Record<string, unknown>;

export function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Clowder reads files with yaml.BaseLoader: every scalar is a string. Accept both. */
export function number(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

export function integer(value: unknown): number | undefined {
  const parsed = number(value);
  return parsed === undefined ? undefined : Math.round(parsed);
}

export function seconds(value: unknown): number | undefined {
  const parsed = number(value);
  return parsed !== undefined && parsed > 0 ? parsed : undefined;
}
