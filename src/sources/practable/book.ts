// The book admin calls status makes (reference §5): the resources manifest, and reading and setting an
// experiment's availability. Every call has a deadline (upstream has none) and a fresh admin token.
import type { Dispatcher } from 'undici';
import type { BookResource } from './model.js';
import { httpReason } from '../reasons.js';
import { call, PeerError, redact } from './http.js';
import { bookAdminToken } from './tokens.js';

/** Lifetime of each admin token: a call never takes longer than its timeout, so a short one suffices. */
const TOKEN_LIFETIME_MS = 5 * 60_000;
/** Book keeps the reason as text; keep it short. */
const MAX_REASON_LENGTH = 200;

export interface BookClientOptions {
  /** Base URL, e.g. https://app.practable.io/ed0/book (vigil appends /api/v1/admin/...). */
  url: string;
  audience: string;
  secret: string;
  timeoutMs: number;
  clock: () => number;
  dispatcher?: Dispatcher;
}

export class BookClient {
  constructor(private readonly options: BookClientOptions) {}

  private async admin(method: 'GET' | 'PUT', path: string): Promise<{ status: number; text: string }> {
    const { options } = this;
    const token = bookAdminToken(options.audience, options.secret, options.clock(), TOKEN_LIFETIME_MS);
    return call(`${options.url}/api/v1/admin/${path}`, {
      method,
      token,
      timeoutMs: options.timeoutMs,
      ...(options.dispatcher && { dispatcher: options.dispatcher }),
    });
  }

  /** `GET /admin/resources`: resource name → topic stub and stream keys. */
  async resources(): Promise<Map<string, BookResource>> {
    const { status, text } = await this.admin('GET', 'resources');
    if (status !== 200) throw new PeerError(httpReason(status), `book ${redact(this.options.url)} resources answered ${status}`);
    return parseManifest(text);
  }

  /** `GET /admin/resources/{name}` → its availability. */
  async availability(resource: string): Promise<boolean> {
    const { status, text } = await this.admin('GET', `resources/${encodeURIComponent(resource)}`);
    if (status !== 200) throw new PeerError(httpReason(status), `book availability of a resource answered ${status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const available = (parsed as { available?: unknown } | undefined)?.available;
    if (typeof available !== 'boolean') throw new PeerError('bad_response', 'book availability answer has no boolean "available"');
    return available;
  }

  /** `PUT /admin/resources/{name}?available=…&reason=…` → 204. */
  async setAvailability(resource: string, available: boolean, reason: string): Promise<void> {
    const query = new URLSearchParams({ available: String(available), reason: reason.slice(0, MAX_REASON_LENGTH) });
    const { status } = await this.admin('PUT', `resources/${encodeURIComponent(resource)}?${query}`);
    if (status !== 204) throw new PeerError(httpReason(status), `book set availability answered ${status}`);
  }
}

/** The manifest: a JSON object keyed by resource name; entries without a topic stub are skipped. */
export function parseManifest(text: string): Map<string, BookResource> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PeerError('bad_response', 'book resources answer is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new PeerError('bad_response', 'book resources answer is not an object');
  const resources = new Map<string, BookResource>();
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'object' || value === null) continue;
    const { topic_stub: topicStub, streams } = value as { topic_stub?: unknown; streams?: unknown };
    if (typeof topicStub !== 'string' || topicStub === '') continue;
    const streamKeys = Array.isArray(streams) ? streams.filter((s): s is string => typeof s === 'string' && s !== '') : [];
    resources.set(name, { topicStub, streams: streamKeys });
  }
  return resources;
}
