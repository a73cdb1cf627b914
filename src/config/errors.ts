// Config problems, each pointing at a file, a 1-based line and column, and a key path.

export type KeyPath = readonly (string | number)[];

export interface ConfigProblem {
  file: string;
  /** 1-based; 0 when the problem concerns the whole file (e.g. it cannot be read). */
  line: number;
  col: number;
  /** `api.tokens[0].token_file`; empty for the file itself or a YAML syntax error. */
  path: string;
  message: string;
}

/** `api.tokens[0].token_file`: dots between keys, brackets for list positions. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** `file:line:col: key.path: message`, leaving out the parts a problem does not have. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.col}` : problem.file;
  return problem.path ? `${where}: ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`;
}

/** Every problem found in a config, sorted by position; the message holds one formatted line per problem. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    const sorted = [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
    super(sorted.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = sorted;
  }
}
