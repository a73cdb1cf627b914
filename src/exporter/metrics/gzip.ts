// Content negotiation for /metrics: Prometheus asks for gzip on every scrape, and an exposition of
// 10k subjects is tens of megabytes of very repetitive text. bench/RESULTS.md has the level measurements.
import { promisify } from 'node:util';
import { constants, gzip, gzipSync } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Level 1: on exposition text it is several times faster than the default 6 for a few percent more bytes. */
export const METRICS_GZIP_LEVEL = constants.Z_BEST_SPEED;
/** Below this, compressing costs more than it saves. */
const MIN_GZIP_BYTES = 1024;

export interface MaybeGzipped {
  body: Buffer | string;
  encoding?: 'gzip';
}

/** Whether an Accept-Encoding header allows gzip (`gzip`, `x-gzip` or `*`, and not with `q=0`). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  let wildcard: boolean | undefined;
  for (const part of acceptEncoding.split(',')) {
    const [rawName, ...params] = part.split(';');
    const name = rawName!.trim().toLowerCase();
    const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)).find((m) => m !== null);
    const allowed = q ? Number(q[1]) > 0 : true;
    if (name === 'gzip' || name === 'x-gzip') return allowed;
    if (name === '*') wildcard = allowed;
  }
  return wildcard === true;
}

/** Gzips the body when the client accepts it and it is worth it; otherwise returns it unchanged. */
export function maybeGzip(body: Buffer | string, acceptEncoding: string | undefined): MaybeGzipped {
  const size = typeof body === 'string' ? body.length : body.byteLength;
  if (size < MIN_GZIP_BYTES || !acceptsGzip(acceptEncoding)) return { body };
  return { body: gzipSync(body, { level: METRICS_GZIP_LEVEL }), encoding: 'gzip' };
}

/**
 * maybeGzip on libuv's thread pool: at 10k subjects compressing the body takes about as long as rendering
 * it, and this keeps the event loop (API, agents, store flushes) running meanwhile.
 */
export async function maybeGzipAsync(body: Buffer | string, acceptEncoding: string | undefined): Promise<MaybeGzipped> {
  const size = typeof body === 'string' ? body.length : body.byteLength;
  if (size < MIN_GZIP_BYTES || !acceptsGzip(acceptEncoding)) return { body };
  return { body: await gzipAsync(body, { level: METRICS_GZIP_LEVEL }), encoding: 'gzip' };
}
