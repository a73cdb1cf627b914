// Finds, reads and validates the config: YAML → ${ENV} → *_file secrets → schema → VigilConfig.
// Every problem is collected with its position, so one run of check-config shows them all.
import { access, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { EMBEDDED_CONFIG } from './embedded.js';
import { ConfigError, formatKeyPath, type ConfigProblem } from './errors.js';
import { interpolateDocument, type Env, type NodeProblem } from './interpolate.js';
import { issuesToProblems } from './issues.js';
import { normalizeConfig, type VigilConfig } from './normalize.js';
import { SourceLocator } from './positions.js';
import { configSchema, type RawConfig } from './schema.js';
import { readSecretFiles, type Secrets } from './secrets.js';

export const EMBEDDED_FILE = '<embedded>';
export const DEFAULT_CONFIG_FILE = './vigil.yml';

export interface LoadedConfig {
  config: VigilConfig;
  /** The validated file: snake_case keys, defaults filled in, durations as written, secrets not read. */
  raw: RawConfig;
  /** The path as given, `./vigil.yml`, or `<embedded>`. */
  file: string;
  /** The YAML text as read, for positioning problems found after loading (generate-rules). */
  source: string;
  /** Directory relative paths in the config are resolved against: the file's, or the working directory. */
  baseDir: string;
  /** Contents of the `*_file` keys by key path (`api.tokens[0].token_file`). Never log these. */
  secrets: Secrets;
}

export interface ParseOptions {
  /** Name used in problems. */
  file: string;
  /** Directory relative paths (state, *_file) are resolved against. */
  baseDir: string;
  env?: Env;
}

/** Top-level `x-*` keys are a place for YAML anchors (as in Compose files); vigil ignores them. */
export const EXTENSION_KEY_RE = /^x-/;

function withoutExtensionKeys(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).filter(([key]) => !EXTENSION_KEY_RE.test(key)));
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Loads `path`, else `./vigil.yml` when it exists, else the embedded default.
 * Throws ConfigError listing every problem found.
 */
export async function loadConfig(path?: string, env: Env = process.env): Promise<LoadedConfig> {
  if (path === undefined && !(await exists(DEFAULT_CONFIG_FILE))) {
    return parseConfig(EMBEDDED_CONFIG, { file: EMBEDDED_FILE, baseDir: process.cwd(), env });
  }
  const file = path ?? DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message: `cannot read config: ${reason}` }]);
  }
  return parseConfig(text, { file, baseDir: dirname(resolve(file)), env });
}

/** Validates config text; `loadConfig` without the file lookup. */
export async function parseConfig(text: string, { file, baseDir, env = process.env }: ParseOptions): Promise<LoadedConfig> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  const locator = new SourceLocator(doc, lines);
  const atOffset = (problem: NodeProblem): ConfigProblem => ({
    file,
    ...locator.positionOf(problem.offset),
    path: formatKeyPath(problem.path),
    message: problem.message,
  });

  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((error) => ({ file, ...locator.positionOf(error.pos[0]), path: '', message: `YAML: ${error.message}` })));
  }

  const problems: ConfigProblem[] = interpolateDocument(doc, env).map(atOffset);
  const { secrets, problems: secretProblems } = await readSecretFiles(doc, baseDir);
  problems.push(...secretProblems.map(atOffset));

  let input: unknown;
  try {
    input = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (error) {
    throw new ConfigError([...problems, { file, line: 1, col: 1, path: '', message: `YAML: ${(error as Error).message}` }]);
  }
  const parsed = configSchema.safeParse(withoutExtensionKeys(input));
  if (!parsed.success) {
    // A value whose ${ENV} could not be substituted was left as written; the schema's opinion of it adds nothing.
    const reported = new Set(problems.map((problem) => problem.path));
    const schemaProblems = issuesToProblems(parsed.error.issues, input, configSchema, locator, file);
    problems.push(...schemaProblems.filter((problem) => !reported.has(problem.path)));
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  return { config: normalizeConfig(parsed.data, { baseDir, secrets }), raw: parsed.data, file, source: text, baseDir, secrets };
}
