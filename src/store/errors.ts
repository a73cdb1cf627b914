// Errors of the state database, phrased for the operator who has to act on them.

/** A state database problem vigil cannot work around; the message says what to do. */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** better-sqlite3 throws `SqliteError` with a `code` such as `SQLITE_NOTADB` or `SQLITE_CORRUPT_INDEX`. */
export function sqliteCode(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function corruptDatabase(path: string, reason: string, cause?: unknown): StoreError {
  return new StoreError(`state database ${path} is corrupt (${reason}); move it away or restore a backup`, { cause });
}

/**
 * Turns a SQLite failure during open or load into an operator-facing StoreError.
 * Corruption gets the "move it away or restore a backup" advice; anything else keeps SQLite's own words.
 */
export function describeOpenFailure(path: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = sqliteCode(error) ?? '';
  const message = errorMessage(error);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) return corruptDatabase(path, message, error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError(`state database ${path} is locked by another process (${message}); stop the other vigil or use another --state file`, {
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) {
    return new StoreError(`cannot open state database ${path} for writing (${message}); check that the path and its directory are writable`, {
      cause: error,
    });
  }
  return new StoreError(`cannot open state database ${path}: ${message}`, { cause: error });
}
