// No line in vigil's own TypeScript is longer than the house width. Biome formats code to it, but it never
// breaks a string literal or a comment, so those are held to the width here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/repo-root.js';

const MAX_COLUMNS = 150;
const FOLDERS = ['src', 'test', 'bench', 'scripts'];

function typeScriptFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...typeScriptFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}

/** `file:line (N columns)` for each line wider than the limit; columns are code points, as an editor counts them. */
export function longLines(file: string, text: string, max = MAX_COLUMNS): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, index) => {
    const columns = [...line].length;
    if (columns > max) found.push(`${file}:${index + 1} (${columns} columns)`);
  });
  return found;
}

describe('line length', () => {
  it('names file:line of a line over the limit', () => {
    assert.deepEqual(longLines('a.ts', `short\n${'x'.repeat(151)}\n${'é'.repeat(150)}`), ['a.ts:2 (151 columns)']);
  });

  it(`no .ts line under ${FOLDERS.join(', ')} is over ${MAX_COLUMNS} characters`, () => {
    const found = FOLDERS.flatMap((folder) =>
      typeScriptFiles(join(REPO_ROOT, folder)).flatMap((file) => longLines(relative(REPO_ROOT, file), readFileSync(file, 'utf8'))),
    );
    assert.deepEqual(found, [], `lines over ${MAX_COLUMNS} characters (wrap strings with + and rewrap comments):\n${found.join('\n')}`);
  });
});
