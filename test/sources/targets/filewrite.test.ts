import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createFilewriteProbe, filewritePath, nodeFilewriteFs, type FilewriteFs } from '../../../src/sources/targets/filewrite.js';

const root = mkdtempSync(path.join(tmpdir(), 'vigil-filewrite-'));
after(() => rmSync(root, { recursive: true, force: true }));
const signal = (): AbortSignal => new AbortController().signal;

test('writes, syncs, reads back and removes the file: ok, nothing left behind', async () => {
  const result = await createFilewriteProbe({ name: 'disk', directory: root, size: 4096 }, {})(signal());
  assert.equal(result.status, 'ok', result.message);
  assert.equal(result.reached, true);
  assert.equal(result.metrics.response_bytes, 4096);
  assert.deepEqual(readdirSync(root), []);
});

test('a missing directory is crit, reason "enoent"', async () => {
  const result = await createFilewriteProbe({ name: 'gone', directory: path.join(root, 'missing'), size: 16 }, {})(signal());
  assert.deepEqual([result.reached, result.status, result.reason], [true, 'crit', 'enoent']);
  assert.match(result.message, /directory does not exist/);
});

function failingFs(code: string, failAt: 'write' | 'read' | 'unlink'): FilewriteFs {
  const fail = (): never => {
    throw Object.assign(new Error(code), { code });
  };
  return {
    writeSynced: (file, data) => (failAt === 'write' ? Promise.reject(fail()) : nodeFilewriteFs.writeSynced(file, data)),
    readFile: (file) => (failAt === 'read' ? Promise.reject(fail()) : nodeFilewriteFs.readFile(file)),
    unlink: (file) => (failAt === 'unlink' ? Promise.reject(fail()) : nodeFilewriteFs.unlink(file)),
  };
}

// Root ignores file modes, so EROFS/EACCES/ENOSPC are produced through the injected fs layer here and, where
// this process may mount, on real tmpfs mounts below.
for (const [code, reason] of [
  ['EROFS', 'erofs'],
  ['ENOSPC', 'enospc'],
  ['EDQUOT', 'enospc'],
  ['EACCES', 'eacces'],
  ['EPERM', 'eacces'],
  ['EIO', 'io'],
] as const) {
  test(`${code} while writing is crit, reason "${reason}"`, async () => {
    const result = await createFilewriteProbe({ name: 'x', directory: root, size: 16 }, { filewriteFs: failingFs(code, 'write') })(signal());
    assert.deepEqual([result.reached, result.status, result.reason], [true, 'crit', reason]);
  });
}

test('a failure after the write still removes the file', async () => {
  const target = { name: 'cleanup', directory: root, size: 16 };
  const result = await createFilewriteProbe(target, { filewriteFs: failingFs('EIO', 'read') })(signal());
  assert.equal(result.reason, 'io');
  assert.match(result.message, /read back failed/);
  assert.equal(existsSync(filewritePath(target)), false);
});

test('data read back different from what was written is crit, reason "mismatch"', async () => {
  const corrupting: FilewriteFs = { ...nodeFilewriteFs, readFile: async (file) => Buffer.from(await nodeFilewriteFs.readFile(file)).fill(0) };
  const result = await createFilewriteProbe({ name: 'bitrot', directory: root, size: 64 }, { filewriteFs: corrupting })(signal());
  assert.deepEqual([result.status, result.reason], ['crit', 'mismatch']);
});

test('a hung file system answers at the timeout: crit, reason "timeout"', async () => {
  const hung: FilewriteFs = { ...nodeFilewriteFs, writeSynced: () => new Promise(() => {}) };
  const controller = new AbortController();
  const pending = createFilewriteProbe({ name: 'nfs', directory: root, size: 16 }, { filewriteFs: hung })(controller.signal);
  controller.abort();
  const result = await pending;
  assert.deepEqual([result.reached, result.status, result.reason], [true, 'crit', 'timeout']);
});

/** Mounts a tmpfs with `options`; false when this process may not mount (not root, no CAP_SYS_ADMIN). */
function tryMount(directory: string, options: string): boolean {
  mkdirSync(directory, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', directory], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('a real read-only tmpfs gives "erofs" and a real full tmpfs gives "enospc"', async (t) => {
  const readOnly = path.join(root, 'ro');
  const full = path.join(root, 'full');
  if (!tryMount(readOnly, 'ro,size=64k')) {
    t.skip('this process may not mount tmpfs (needs root with CAP_SYS_ADMIN); the injected-fs tests above cover the mapping');
    return;
  }
  try {
    const result = await createFilewriteProbe({ name: 'ro', directory: readOnly, size: 16 }, {})(signal());
    assert.deepEqual([result.status, result.reason], ['crit', 'erofs']);
  } finally {
    execFileSync('umount', [readOnly]);
  }
  assert.ok(tryMount(full, 'size=16k'));
  try {
    const result = await createFilewriteProbe({ name: 'big', directory: full, size: 64 * 1024 }, {})(signal());
    assert.deepEqual([result.status, result.reason], ['crit', 'enospc']);
    assert.deepEqual(readdirSync(full), []); // the partial file was removed
  } finally {
    execFileSync('umount', [full]);
  }
});
