// Shared by the generate-rules tests: the repository root, fixture configs, writing output, running promtool/amtool.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { generate, generateInputFromRaw, loadTemplates, type GenerateInput } from '../../src/generate/index.js';
import type { RawGenerateConfig } from '../../src/generate/input.js';
import { REPO_ROOT } from '../helpers/repo-root.js';

export { REPO_ROOT };
export const TEST_DIR = join(REPO_ROOT, 'test', 'generate');
export const TEST_VERSION = '0.0.0-test';

const INSTALL_HINT = 'install them with: apt-get install prometheus prometheus-alertmanager';

/** Generator input from test/generate/fixtures/<name>.yml (subjects + alerting, validated by the alerting schema). */
export function fixtureInput(name: string): GenerateInput {
  const raw = parse(readFileSync(join(TEST_DIR, 'fixtures', `${name}.yml`), 'utf8')) as RawGenerateConfig;
  return generateInputFromRaw(raw, TEST_VERSION, loadTemplates());
}

export function writeFiles(dir: string, files: Map<string, string>): void {
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** Generates `input` into a fresh temporary directory and returns it. */
export function generateToTemp(input: GenerateInput, format: 'prometheus' | 'prometheus-operator' = 'prometheus'): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-generate-'));
  writeFiles(dir, generate(input, { format }));
  return dir;
}

export interface ToolResult {
  status: number;
  output: string;
}

/** Runs promtool or amtool; a missing binary fails the test and says how to install it. */
export function runTool(bin: 'promtool' | 'amtool', args: string[], cwd: string): ToolResult {
  const result = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') assert.fail(`${bin} is not installed: ${INSTALL_HINT}`);
    throw result.error;
  }
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

export function assertToolSucceeds(bin: 'promtool' | 'amtool', args: string[], cwd: string): string {
  const { status, output } = runTool(bin, args, cwd);
  assert.equal(status, 0, `${bin} ${args.join(' ')} failed:\n${output}`);
  return output;
}
