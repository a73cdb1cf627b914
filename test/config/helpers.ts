// Shared by the config tests: temporary config files and a way to get at the problems of a failed load.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ConfigProblem } from '../../src/config/errors.js';
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';
import type { Env } from '../../src/config/interpolate.js';

/** A fresh directory holding the given files; returns its path. */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** Parses YAML text as `test.yml` in a temporary directory. */
export function parse(text: string, env: Env = {}, baseDir = tempDir()): Promise<LoadedConfig> {
  return parseConfig(text, { file: 'test.yml', baseDir, env });
}

/** Parses text that must be refused and returns the error. */
export async function refused(text: string, env: Env = {}, baseDir?: string): Promise<ConfigError> {
  try {
    await parse(text, env, baseDir);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('the config was accepted, expected it to be refused');
}

/** The one problem at `path`; fails listing all problems when there is not exactly one. */
export function problemAt(error: ConfigError, path: string): ConfigProblem {
  const found = error.problems.filter((problem) => problem.path === path);
  assert.equal(found.length, 1, `expected one problem at ${path}, got:\n${error.message}`);
  return found[0]!;
}

/** Joins lines, so YAML in tests reads as it would in a file. */
export const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;
