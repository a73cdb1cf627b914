// Content negotiation for /metrics: Prometheus asks for gzip on every scrape. The body itself is built from
// kept gzip members (gzip-members.ts); bench/RESULTS.md has the measurements.

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
