// `*_file` keys: the secret lives in a file (a Docker/Kubernetes secret mount), the config names the file.
// Contents are kept apart from the validated config and never appear in a message.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import { formatKeyPath, type KeyPath } from './errors.js';
import type { NodeProblem } from './interpolate.js';

/**
 * Top-level sections whose `*_file` keys are not read as secrets: Alertmanager and Prometheus read them
 * themselves at the path written into their generated configuration, on their own machine; the web config
 * file is read (and re-read on SIGHUP) by `vigil serve`.
 */
const PASSED_THROUGH_SECTIONS = new Set(['alerting', 'scrape', 'web_config_file']);

/** Secret file contents by key path (`api.tokens[0].token_file`, `targets[2].header_files.Authorization`). */
export type Secrets = ReadonlyMap<string, string>;

/** The contents of the secret file named at `path`, when the config gives that key. */
export function secretAt(secrets: Secrets, path: KeyPath): string | undefined {
  return secrets.get(formatKeyPath(path));
}

/**
 * The contents of the secret file named at `path`, a key the config gives. The loader reads every `*_file` key the
 * schema accepted before normalizing, so a missing one is a bug in vigil, never the user's mistake.
 */
export function requireSecret(secrets: Secrets, path: KeyPath): string {
  const value = secretAt(secrets, path);
  if (value === undefined) throw new Error(`${formatKeyPath(path)} was not read`);
  return value;
}

const FILE_KEY_RE = /^[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*_file$/;
/** `header_files: { Authorization: /run/secrets/auth }`: a map of names to secret files. */
const FILES_KEY_RE = /^[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*_files$/;

function describeReadError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return error.code ?? 'cannot be read';
  }
}

/** Reads every `*_file` value and every entry of a `*_files` map, relative to `baseDir`. */
export async function readSecretFiles(doc: Document, baseDir: string): Promise<{ secrets: Secrets; problems: NodeProblem[] }> {
  const wanted: { path: (string | number)[]; file: string; offset: number }[] = [];
  const want = (path: (string | number)[], value: unknown): void => {
    // Other value types are the schema's to refuse.
    if (isScalar(value) && typeof value.value === 'string' && value.value !== '') {
      wanted.push({ path, file: value.value, offset: (value as Node).range?.[0] ?? 0 });
    }
  };
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (path.length === 0 && PASSED_THROUGH_SECTIONS.has(key)) continue;
        if (FILE_KEY_RE.test(key)) {
          want([...path, key], pair.value);
        } else if (FILES_KEY_RE.test(key) && isMap(pair.value)) {
          for (const entry of pair.value.items) {
            if (isPair(entry)) want([...path, key, isScalar(entry.key) ? String(entry.key.value) : String(entry.key)], entry.value);
          }
        } else {
          walk(pair.value, [...path, key]);
        }
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) walk(item, [...path, index]);
    }
  };
  walk(doc.contents, []);

  const secrets = new Map<string, string>();
  const problems: NodeProblem[] = [];
  await Promise.all(
    wanted.map(async ({ path, file, offset }) => {
      const fullPath = resolve(baseDir, file);
      try {
        // Surrounding whitespace (an editor's trailing newline, a stray space) is never part of a secret: trimmed,
        // as Prometheus trims password_file, so a token file with it still authenticates.
        const content = (await readFile(fullPath, 'utf8')).trim();
        if (content === '') problems.push({ path, offset, message: `secret file "${fullPath}" is empty` });
        else secrets.set(formatKeyPath(path), content);
      } catch (error) {
        problems.push({ path, offset, message: `cannot read secret file "${fullPath}": ${describeReadError(error as NodeJS.ErrnoException)}` });
      }
    }),
  );
  return { secrets, problems };
}
