// Calls between the replicas of one cluster: they carry the key the replicas share through the database, are
// bounded in time, and their answers in size. One place for the mechanics every internal route and caller uses.
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem, sendProblem } from '../exporter/problem.js';

/** Carries the cluster key (shared by the replicas through the database) on internal calls. */
export const CLUSTER_KEY_HEADER = 'x-vigil-cluster-key';
/** How long one replica waits for another's answer. */
export const INTERNAL_TIMEOUT_MS = 10_000;

/** Lets through only calls that carry the cluster key: internal routes answer replicas of this cluster alone. */
export function requireClusterKey(key: string): RequestHandler {
  const expected = Buffer.from(key);
  return (req, res, next) => {
    const given = Buffer.from(req.get(CLUSTER_KEY_HEADER) ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    sendProblem(res, new HttpProblem(403, 'Forbidden', 'only replicas of this cluster may call this'), req.originalUrl);
  };
}

/**
 * POSTs `body` as JSON to an internal route (`path` under /api/v1) of `replica`, with the key. A POST, also for
 * reads: GETs may need the web config's read credentials, which replicas do not have.
 */
export function postToReplica(replica: string, path: string, key: string, body: unknown): Promise<globalThis.Response> {
  return fetch(new URL(`/api/v1${path}`, replica), {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CLUSTER_KEY_HEADER]: key },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(INTERNAL_TIMEOUT_MS),
  });
}

/** A replica's JSON answer, refused when it is not a 2xx or is larger than `maxBytes` (read no further than that). */
export async function boundedJson(answer: globalThis.Response, replica: string, maxBytes: number): Promise<unknown> {
  if (!answer.ok) throw new Error(`${replica} answered ${answer.status}`);
  const declared = Number(answer.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw new Error(`${replica} answered ${declared} bytes, above the limit of ${maxBytes}`);
  const reader = answer.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
    if (chunk.done) break;
    size += chunk.value.byteLength;
    if (size > maxBytes) {
      await reader?.cancel();
      throw new Error(`${replica} answered more than ${maxBytes} bytes`);
    }
    chunks.push(chunk.value);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Asks every live replica (this one included, answered by `local` without a request) and gives the answers in the
 * order of `replicas`; the first failure fails the whole (a list never silently lacks a replica's part).
 */
export async function askEveryReplica<T>(
  self: string,
  live: readonly string[],
  local: () => T,
  remote: (replica: string) => Promise<T>,
): Promise<{ replicas: string[]; answers: T[] }> {
  const replicas = [...new Set([...live, self])];
  const answers = await Promise.all(replicas.map((replica) => (replica === self ? local() : remote(replica))));
  return { replicas, answers };
}
