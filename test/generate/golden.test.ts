// The committed rules/ and grafana/ are exactly what `vigil generate-rules` makes of examples/vigil.yml.
// On failure: run `npm run generate-example` at the top level and commit the result.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { generateRulesCommand } from '../../src/generate/index.js';
import { REPO_ROOT } from './helpers.js';

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

const tree = (root: string) =>
  new Map(
    ['rules', 'grafana'].flatMap((top) => listFiles(join(root, top)).map((path) => [relative(root, path), readFileSync(path, 'utf8')] as const)),
  );

describe('committed output', () => {
  it('rules/ and grafana/ equal a fresh generate-rules of examples/vigil.yml', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vigil-golden-'));
    const code = await generateRulesCommand({ configPath: join(REPO_ROOT, 'examples', 'vigil.yml'), out });
    assert.equal(code, 0);
    const fresh = tree(out);
    const committed = tree(REPO_ROOT);
    const hint = 'regenerate with `npm run generate-example` at the top level and commit';
    assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort(), `files differ: ${hint}`);
    for (const [path, content] of fresh) assert.equal(committed.get(path), content, `${path} differs: ${hint}`);
  });
});
