// Connection settings for the PostgreSQL store: a libpq-style URL plus an optional password kept out of it.
//
// TLS follows libpq (`sslmode=disable|prefer|require|verify-ca|verify-full`, `sslrootcert`, `sslcert`, `sslkey`):
// node-postgres' libpq compatibility mode (`uselibpqcompat=true`, added unless the URL sets it) gives `require`
// libpq's meaning (encrypt, verify only when a root certificate is named) instead of node-postgres' stricter default.
import pg from 'pg';
import { StoreError, errorMessage } from '../errors.js';

export interface PostgresConnectOptions {
  /** Password from `store.password_file`; overrides one in the URL. */
  password?: string;
  /** Connections kept open: one flushes while the others answer reads. */
  poolSize?: number;
}

const INT8_OID = 20;

/** The URL with any password replaced, fit for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

export function poolConfig(url: string, options: PostgresConnectOptions): pg.PoolConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new StoreError(`state ${redactUrl(url)} is not a usable PostgreSQL URL: ${errorMessage(error)}`, { cause: error });
  }
  // In the URL, not beside it: node-postgres lets every field of a connection string win over the plain options.
  if (options.password !== undefined) parsed.password = encodeURIComponent(options.password);
  if (!parsed.searchParams.has('uselibpqcompat')) parsed.searchParams.set('uselibpqcompat', 'true');
  const config: pg.PoolConfig = {
    connectionString: parsed.toString(),
    max: options.poolSize ?? 3,
    application_name: 'vigil',
    // bigint columns (seq, at) hold JavaScript-safe integers: read them as numbers, not strings.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  };
  return config;
}

/** Turns a connection failure into words the operator can act on, without the password. */
export function describeConnectFailure(location: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  const message = errorMessage(error);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    return new StoreError(
      `cannot reach PostgreSQL state database ${location} (${message}); check that the server runs and the host and port are right`,
      { cause: error },
    );
  }
  if (code === '28P01' || code === '28000') {
    return new StoreError(`PostgreSQL refused the login to ${location} (${message}); check the user and store.password_file`, { cause: error });
  }
  if (code === '3D000') return new StoreError(`PostgreSQL database of ${location} does not exist (${message}); create it first`, { cause: error });
  return new StoreError(`cannot open PostgreSQL state database ${location}: ${message}`, { cause: error });
}
