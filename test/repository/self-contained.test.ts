// The repository stands alone: no source, test, script or doc refers to a document it does not contain, no code
// builds a path that leaves the repository, and `npm test` runs every test under the run-time guard
// (test/helpers/root-guard.ts) that refuses to open such a path.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { OutsideRootError, outsideRoot, rootGuardInstalled } from '../helpers/root-guard.js';
import { REPO_ROOT } from '../helpers/repo-root.js';

const ROOT = REPO_ROOT.replace(/\/$/, '');
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'data']);
const TEXT = /\.(ts|js|mjs|md|yml|yaml|json|sh|tmpl|hbs|txt)$|^(Dockerfile|run|\.dockerignore|\.gitignore)$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIP_DIRS.has(entry.name) ? [] : filesUnder(path);
    return TEXT.test(entry.name) && statSync(path).size < 2_000_000 ? [path] : [];
  });
}

// This file names the forbidden patterns, and its guard test climbs out on purpose: it is not scanned.
const SELF = join(ROOT, 'test', 'repository', 'self-contained.test.ts');
const SCREENSHOT = join(ROOT, 'docs', 'status-page.png');
const files = filesUnder(ROOT).filter((path) => !path.endsWith('package-lock.json') && path !== SELF);
const rel = (path: string) => relative(ROOT, path);
const ts = files.filter((path) => path.endsWith('.ts'));

describe('the repository stands alone', () => {
  it('cites no document outside itself (a design file, shared research, a sibling folder)', () => {
    const forbidden = [/DESIGN(\.md| ?§)/, /\.\.\/shared\b/, /'\.\.', 'shared'/, /\/work\/(shared|main|wt)\b/, /\breference\/[a-z-]+\.md\b/];
    const found = files.flatMap((path) => {
      const lines = readFileSync(path, 'utf8').split('\n');
      return lines.flatMap((line, index) => (forbidden.some((re) => re.test(line)) ? [`${rel(path)}:${index + 1}: ${line.trim()}`] : []));
    });
    assert.deepEqual(found, []);
  });

  it('names only documents it contains (docs/…, examples/…, bench/… in any file)', () => {
    let named = 0;
    // A line citing an upstream repository (`prometheus/exporter-toolkit docs/web-configuration.md`) names its files.
    const upstream = /\b[\w-]+\/[\w-]+ (?:v[\d.]+ )?(?:docs|examples|bench)\//;
    const ours = (path: string) =>
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => !upstream.test(line))
        .join('\n');
    const missing = files.flatMap((path) =>
      [...ours(path).matchAll(/(?<![\w./-])((?:docs|examples|bench)\/[\w.-]+\.(?:md|yml))\b/g)]
        .map((match) => (named++, match[1]!))
        .filter((doc) => !existsSync(join(ROOT, doc)) && !existsSync(resolve(dirname(path), doc)))
        .map((doc) => `${rel(path)}: ${doc}`),
    );
    assert.deepEqual(missing, []);
    assert.ok(named > 30, `found ${named} mentions (the scan reads the files)`);
  });

  it('builds no path that climbs out of the repository', () => {
    const found: string[] = [];
    for (const path of ts) {
      const text = readFileSync(path, 'utf8');
      // `new URL('../x', import.meta.url)` resolves against the compiled file in dist/, one level deeper.
      const compiled = join(ROOT, 'dist', rel(path));
      for (const match of text.matchAll(/new URL\('([^']+)', import\.meta\.url\)/g)) {
        const target = resolve(dirname(compiled), match[1]!);
        if (relative(ROOT, target).startsWith('..')) found.push(`${rel(path)}: ${match[0]}`);
      }
      for (const match of text.matchAll(/join\(\s*[A-Z_]*ROOT[A-Z_]*\s*,\s*'\.\.'/g)) found.push(`${rel(path)}: ${match[0]}`);
    }
    assert.deepEqual(found, []);
  });

  it('links only to files it contains from its Markdown', () => {
    const broken: string[] = [];
    for (const path of files.filter((p) => p.endsWith('.md'))) {
      for (const match of readFileSync(path, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = match[1]!.split('#')[0]!;
        if (link === '' || /^[a-z]+:/.test(link)) continue;
        const target = resolve(dirname(path), link);
        if (target === SCREENSHOT) continue; // its own test below
        if (!existsSync(target)) broken.push(`${rel(path)}: ${match[1]}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  // The README opens with the status page's screenshot, which `npm run screenshot` writes once the page exists.
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const screenshotTodo = scripts['screenshot'] === undefined && 'docs/status-page.png comes with the status page and its `npm run screenshot` script';
  it('has the screenshot the README shows (docs/status-page.png, made by npm run screenshot)', { todo: screenshotTodo }, () => {
    assert.match(readFileSync(join(ROOT, 'README.md'), 'utf8'), /\]\(docs\/status-page\.png\)/);
    assert.ok(scripts['screenshot'], 'package.json has a screenshot script');
    assert.ok(existsSync(SCREENSHOT), `${rel(SCREENSHOT)} exists: run npm run screenshot and commit it`);
  });

  it('runs every test under the root guard (npm test loads it first)', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts.test!, /^node --import \.\/dist\/test\/helpers\/root-guard\.js --test /);
    assert.ok(rootGuardInstalled());
  });

  it('the guard refuses what exists outside the repository, and allows the repository and the temporary directory', () => {
    // The folder the clone sits in, unless that is an allowed place itself (a clone under the temporary directory,
    // as CI may make): then the file system's root, which exists everywhere and is never allowed.
    const parent = resolve(ROOT, '..');
    const outside = outsideRoot(parent) === undefined ? '/' : parent;
    assert.throws(() => existsSync(outside), OutsideRootError);
    assert.throws(() => readdirSync(outside), OutsideRootError);
    assert.equal(outsideRoot(outside), outside);
    assert.equal(outsideRoot(join(ROOT, '..', 'no-such-sibling-0f3a')), undefined, 'nothing to read: left to the OS (ENOENT)');
    assert.equal(outsideRoot(join(ROOT, 'package.json')), undefined);
    assert.equal(outsideRoot(mkdtempSync(join(tmpdir(), 'vigil-guard-'))), undefined);
    assert.equal(outsideRoot('/usr/bin/promtool'), undefined);
    assert.ok(readFileSync(join(ROOT, 'package.json')).length > 0);
  });
});
