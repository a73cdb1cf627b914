// No import circle among the modules of src/: every module can be read (and loaded) after the ones it imports.
//
// Edges are the static relative imports and re-exports (`import … from './x.js'`, `export … from`, `import './x.js'`),
// `import type` included: the compiler erases those, but they tie two modules together all the same, and a contract
// two modules share belongs in a leaf module both import. Dynamic `import()` is left out: it is how the CLI loads a
// command lazily, and it cannot change the order modules are evaluated in.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/repo-root.js';

const SRC = join(REPO_ROOT, 'src');

/** Static import and export specifiers of one module's text, comments skipped. */
export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const statement = /(?:^|[;}\n])\s*(?:import|export)\s+(?:type\s+)?(?:[\w$*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/g;
  for (let match = statement.exec(code); match; match = statement.exec(code)) found.push(match[1]!);
  return found;
}

/** A set of modules that import each other (round and round), and one concrete circle among them. */
export interface Cycle {
  circle: string[];
  members: string[];
}

/** Every strongly connected component with a circle in it. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): Cycle[] {
  // Tarjan's algorithm, iterative so a deep import chain cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: { node: string; edge: number }[] = [{ node: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++]!;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      const selfLoop = (graph.get(frame.node) ?? []).includes(frame.node);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  }
  return components.map((component) => ({ circle: circleWithin(graph, new Set(component)), members: component.sort() }));
}

/** A shortest circle through the component's first module (in sorted order), by breadth-first search. */
function circleWithin(graph: ReadonlyMap<string, readonly string[]>, members: ReadonlySet<string>): string[] {
  const start = [...members].sort()[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (const to of graph.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
        return [...path, start];
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, node);
        queue.push(to);
      }
    }
  }
  return [start, start];
}

function modulesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modulesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** src/'s import graph, module paths relative to the repository. */
function sourceGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of modulesUnder(SRC)) {
    const targets = importSpecifiers(readFileSync(file, 'utf8'))
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      .filter((target) => target.endsWith('.ts') && existsSync(target));
    graph.set(relative(REPO_ROOT, file), [...new Set(targets.map((target) => relative(REPO_ROOT, target)))]);
  }
  return graph;
}

describe('import cycles', () => {
  it('reads every static form of import, type-only ones included, and skips comments and dynamic imports', () => {
    const text = [
      "import assert from 'node:assert/strict';",
      "import type { A } from './a.js';",
      'import {',
      '  b,',
      '  type C,',
      "} from '../b.js';",
      "import * as d from './d.js';",
      "import e, { f } from './e.js';",
      "import './side-effect.js';",
      "export { g } from './g.js';",
      "export type { H } from './h.js';",
      "export * from './i.js';",
      "// import { old } from './commented.js';",
      "/* import { older } from './blocked.js'; */",
      "const lazy = await import('./lazy.js');",
      "const text = 'not an import from ./string.js';",
    ].join('\n');
    assert.deepEqual(importSpecifiers(text), [
      'node:assert/strict',
      './a.js',
      '../b.js',
      './d.js',
      './e.js',
      './side-effect.js',
      './g.js',
      './h.js',
      './i.js',
    ]);
  });

  it('finds each circle once and names it, self-imports included', () => {
    const graph = new Map<string, string[]>([
      ['list', ['a', 'b', 'leaf']],
      ['a', ['list', 'leaf']],
      ['b', ['list']],
      ['leaf', []],
      ['self', ['self']],
      ['x', ['y']],
      ['y', ['z']],
      ['z', ['x']],
    ]);
    const cycles = findCycles(graph)
      .map(({ circle, members }) => `${circle.join(' → ')} (${members.join(', ')})`)
      .sort();
    assert.deepEqual(cycles, ['a → list → a (a, b, list)', 'self → self (self)', 'x → y → z → x (x, y, z)']);
    assert.deepEqual(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
      [],
    );
  });

  // Fails while src/extensions.ts holds both the extension contract and the list of extensions: each
  // src/sources/*/index.ts imports the contract from it, and it imports each of them. Moving the contract into a leaf
  // module beside SourceSink (the "one door" refactor) makes this pass; do not exempt the circle here.
  it('src/ has none', () => {
    const graph = sourceGraph();
    assert.ok(graph.size > 100, `read ${graph.size} modules under src/`);
    const cycles = findCycles(graph).map(
      ({ circle, members }) => `${circle.join(' → ')}; all ${members.length} modules in this circle: ${members.join(', ')}`,
    );
    assert.deepEqual(cycles, [], `import circles in src/:\n  ${cycles.join('\n  ')}`);
  });

  // Adding a source is its folder plus one line in src/extensions.ts (docs/contributing.md): the config, the family
  // table, the server and the replicas learn its section, rows, routes and placement from the list. The probes
  // (src/sources/targets/) are the core's own: /probe and the vigil_probe_* families use them.
  it('names no source outside its folder but in the list of extensions', () => {
    const sourceFolder = /^src\/sources\/(?!targets\/)[^/]+\//;
    // Tools apart from `vigil serve` that speak a source's protocol or write its section: the reference agent, the
    // importers and the demo's simulated machines.
    const tools = /^src\/(agent|import|demo)\//;
    const reaching: string[] = [];
    for (const [module, imports] of sourceGraph()) {
      if (sourceFolder.test(module) || tools.test(module) || module === 'src/extensions.ts') continue;
      for (const target of imports) if (sourceFolder.test(target)) reaching.push(`${module} → ${target}`);
    }
    assert.deepEqual(reaching, [], 'core modules importing a source folder');
  });
});
