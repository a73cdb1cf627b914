// The README's first command, as a newcomer runs it: `npm start` in a fresh clone serves the embedded default
// (vigil watching itself), not an example config; `npm run demo` serves the demo.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/repo-root.js';
import { spawnServe } from '../helpers/serve-process.js';

const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The arguments an npm script gives the CLI (`node dist/src/cli.js serve …` → `['serve', …]`). */
function cliArgs(script: string): string[] {
  const words = script.split(/\s+/);
  assert.deepEqual(words.slice(0, 2), ['node', 'dist/src/cli.js'], script);
  return words.slice(2);
}

describe('the first five minutes', () => {
  it('npm start serves the embedded default in the repository root, with live data about vigil itself', async () => {
    assert.deepEqual(cliArgs(scripts['start']!), ['serve']);
    assert.ok(!existsSync(join(REPO_ROOT, 'vigil.yml')), 'no vigil.yml at the top level: npm start would run it instead');
    assert.ok(existsSync(join(REPO_ROOT, 'examples', 'vigil.yml')), 'the example config lives in examples/');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-first-run-'));
    const vigil = await spawnServe([...cliArgs(scripts['start']!).slice(1), '--listen', '127.0.0.1:0', '--state', join(dir, 'vigil.db')], {
      cwd: REPO_ROOT,
    });
    try {
      const serving = vigil.serving as { config: string };
      assert.equal(serving.config, '<embedded>');
      const metrics = await (await fetch(`${vigil.base}/metrics`)).text();
      assert.match(metrics, /^vigil_subject_info\{subject="vigil",kind="exporter"/m);
      const health = (await (await fetch(`${vigil.base}/api/v1/subjects/vigil/health`)).json()) as { checks: Record<string, unknown> };
      assert.ok('store' in health.checks, `vigil checks itself: ${Object.keys(health.checks).join(', ')}`);
    } finally {
      vigil.child.kill('SIGTERM');
      await vigil.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npm run demo serves the demo', () => {
    assert.deepEqual(cliArgs(scripts['demo']!), ['serve', '--demo']);
    assert.equal(scripts['predemo'], 'npm run build');
  });
});
