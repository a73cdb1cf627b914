// filewrite: write a small random file, fsync it, read it back, compare, remove it.
// Full disk, read-only file system, permission and missing directory each have their own reason.
// The file system is always "reached" (it is vigil's own machine): every failure, a hung disk included, is crit.
import { randomBytes } from 'node:crypto';
import { open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { FilewriteTarget } from '../../config/targets.js';
import { raceAbort } from '../../util/abort.js';
import { errorCode, type ProbeReason } from '../reasons.js';
import { formatSeconds, secondsSince, type ProbeFactory, type ProbeResult } from './probe.js';

/** The file operations the probe needs; injectable so tests can produce EROFS/ENOSPC without privileges. */
export interface FilewriteFs {
  /** Creates or truncates `file`, writes `data` and fsyncs it. */
  writeSynced(file: string, data: Uint8Array): Promise<void>;
  readFile(file: string): Promise<Uint8Array>;
  unlink(file: string): Promise<void>;
}

export const nodeFilewriteFs: FilewriteFs = {
  async writeSynced(file, data) {
    const handle = await open(file, 'w', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  readFile: (file) => readFile(file),
  unlink: (file) => unlink(file),
};

/** Name of the file the probe writes in the target's directory: fixed, so a crash leaves one file, not many. */
export function filewritePath(target: Pick<FilewriteTarget, 'name' | 'directory'>): string {
  return path.join(target.directory, `.vigil-filewrite-${target.name.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
}

const FS_REASONS: Record<string, ProbeReason> = {
  ENOSPC: 'enospc',
  EDQUOT: 'enospc',
  EROFS: 'erofs',
  EACCES: 'eacces',
  EPERM: 'eacces',
  ENOENT: 'enoent',
  ENOTDIR: 'enoent',
  EMFILE: 'internal',
  ENFILE: 'internal',
};

const FS_WORDS: Partial<Record<ProbeReason, string>> = {
  enospc: 'no space left on the file system',
  erofs: 'file system is read-only',
  eacces: 'permission denied',
  enoent: 'directory does not exist',
};

type FilewriteProbeTarget = Pick<FilewriteTarget, 'name' | 'directory' | 'size'>;

/** Writes through `filewriteFs` (default: the real file system, synced). */
export const createFilewriteProbe: ProbeFactory<FilewriteProbeTarget, { filewriteFs?: FilewriteFs | undefined }> = (
  target,
  { filewriteFs: fs = nodeFilewriteFs },
) => {
  return async function probeFilewrite(signal: AbortSignal): Promise<ProbeResult> {
    const startedAt = performance.now();
    const file = filewritePath(target);
    const data = randomBytes(target.size);
    let step = 'write';
    const steps = async (): Promise<ProbeResult> => {
      await fs.writeSynced(file, data);
      step = 'read back';
      const back = await fs.readFile(file);
      step = 'remove';
      await fs.unlink(file);
      const seconds = secondsSince(startedAt);
      if (!Buffer.from(data).equals(back)) {
        return crit('mismatch', `read back ${back.length} bytes that differ from the ${data.length} written`, seconds, target.size);
      }
      return {
        reached: true,
        status: 'ok',
        message: `wrote, synced, read back and removed ${data.length} bytes in ${formatSeconds(seconds)}`,
        metrics: { duration_seconds: seconds, response_bytes: data.length },
      };
    };
    try {
      // File system calls cannot be cancelled: on abort the probe answers at once and the call finishes in the background.
      return await raceAbort(steps(), signal, () =>
        crit('timeout', `${step} did not finish within ${formatSeconds(secondsSince(startedAt))}`, secondsSince(startedAt), 0),
      );
    } catch (error) {
      const reason = FS_REASONS[errorCode(error) ?? ''] ?? 'io';
      // Leave nothing behind when the write half-succeeded (e.g. ENOSPC after create).
      if (step !== 'remove') await fs.unlink(file).catch(() => {});
      const what = FS_WORDS[reason] ?? errorCode(error) ?? 'I/O error';
      return crit(reason, `${step} failed in ${target.directory}: ${what}`, secondsSince(startedAt), 0);
    }
  };
};

function crit(reason: ProbeReason, message: string, seconds: number, bytes: number): ProbeResult {
  return { reached: true, status: 'crit', reason, message, metrics: { duration_seconds: seconds, response_bytes: bytes } };
}
