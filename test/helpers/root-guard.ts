// `npm test` loads this before every test file (`node --import`), and passes it on to every node process a test
// starts (NODE_OPTIONS): opening, reading, listing or probing a path outside the repository throws. The repository
// must stand alone — a clone placed anywhere, with no sibling folders, passes its tests.
//
// Allowed: the repository (and the real place of its node_modules, a symlink in worktrees), the temporary
// directory, the system directories where .ci/run's Debian packages live, and dot-directories of $HOME (tool
// caches). Refused: anything else that exists, such as a folder beside the repository or the one it sits in. A
// path that does not exist is left to the OS: nothing is read (npm's PATH names node_modules/.bin of every folder
// above the repository, and a PATH lookup probes them).
import fs, { realpathSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const GUARD_URL = import.meta.url;
// Taken before wrapping: an ESM named import is a live binding and would see the wrapped function.
const rawExistsSync = fs.existsSync;
const ROOT = fileURLToPath(new URL('../../../', GUARD_URL)).replace(/[\\/]$/, '');
const SYSTEM_DIRS = ['/usr', '/etc', '/proc', '/sys', '/dev', '/lib', '/lib32', '/lib64', '/bin', '/sbin', '/run', '/var', '/opt', '/snap'];

export class OutsideRootError extends Error {
  readonly code = 'EOUTSIDEROOT';
  constructor(readonly path: string) {
    super(`${path} is outside the repository ${ROOT}: the repository must not read anything outside itself`);
  }
}

const within = (path: string, dir: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

const allowedDirs = [ROOT, realOrSelf(ROOT), realOrSelf(join(ROOT, 'node_modules')), tmpdir(), realOrSelf(tmpdir()), ...SYSTEM_DIRS];
const home = homedir();

/** Why `path` may not be touched, or undefined when it may. */
export function outsideRoot(path: string): string | undefined {
  const absolute = resolve(path);
  if (allowedDirs.some((dir) => within(absolute, dir))) return undefined;
  if (within(absolute, home) && absolute !== home && relative(home, absolute).split(sep)[0]!.startsWith('.')) return undefined;
  return rawExistsSync(absolute) ? absolute : undefined;
}

type PathLike = string | URL | Buffer | number;

function pathOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof URL) return arg.protocol === 'file:' ? fileURLToPath(arg) : undefined;
  if (Buffer.isBuffer(arg)) return arg.toString();
  return undefined;
}

function check(arg: unknown): void {
  const path = pathOf(arg);
  if (path === undefined) return;
  const outside = outsideRoot(path);
  if (outside !== undefined) throw new OutsideRootError(outside);
}

// The calls through which a test or vigil could read or probe a file. Each is wrapped on the module object, and
// syncBuiltinESMExports() makes `import { readFileSync } from 'node:fs'` see the wrapped one too.
const SYNC_AND_CALLBACK = [
  'readFileSync',
  'readFile',
  'openSync',
  'open',
  'existsSync',
  'exists',
  'statSync',
  'stat',
  'lstatSync',
  'lstat',
  'accessSync',
  'access',
  'readdirSync',
  'readdir',
  'opendirSync',
  'opendir',
  'createReadStream',
  'watch',
  'watchFile',
] as const;
const PROMISES = ['readFile', 'open', 'stat', 'lstat', 'access', 'readdir', 'opendir'] as const;

type AnyFunction = (...args: unknown[]) => unknown;

function wrap(target: Record<string, unknown>, name: string): void {
  const original = target[name] as AnyFunction | undefined;
  if (typeof original !== 'function') return;
  target[name] = function guarded(this: unknown, first: PathLike, ...rest: unknown[]) {
    check(first);
    return original.call(this, first, ...rest);
  };
}

const MARK = Symbol.for('vigil.rootGuard');

/** Installs the guard once per process, and passes it on to child node processes. */
export function installRootGuard(): void {
  const global = globalThis as { [MARK]?: boolean };
  if (global[MARK]) return;
  global[MARK] = true;
  for (const name of SYNC_AND_CALLBACK) wrap(fs as unknown as Record<string, unknown>, name);
  for (const name of PROMISES) wrap(fs.promises as unknown as Record<string, unknown>, name);
  syncBuiltinESMExports();
  const flag = `--import=${GUARD_URL}`;
  if (!(process.env.NODE_OPTIONS ?? '').includes(flag)) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${flag}`.trim();
}

export const rootGuardInstalled = (): boolean => (globalThis as { [MARK]?: boolean })[MARK] === true;

installRootGuard();
