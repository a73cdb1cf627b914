// HTTP calls to practable's services with undici. Upstream's clients have no timeouts (book) or 10 s (relay,
// jump); here every call has a whole-request deadline, and failures come back as short bounded reason words
// for vigil_source_errors_total{reason}.
import { request, type Dispatcher } from 'undici';
import { sourceErrorReason, type SourceReason } from '../reasons.js';

export class PeerError extends Error {
  constructor(
    /** A word of the shared vocabulary (sources/reasons.ts): timeout, refused, http_401, http_5xx, bad_response, … */
    readonly reason: SourceReason,
    message: string,
  ) {
    super(message);
  }
}

export interface CallOptions {
  method: 'GET' | 'POST' | 'PUT';
  /** The bare JWT. */
  token: string;
  timeoutMs: number;
  dispatcher?: Dispatcher;
}

/** One request with a whole-call deadline. Resolves with status and body text; throws PeerError on network failure. */
export async function call(url: string, options: CallOptions): Promise<{ status: number; text: string }> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await request(url, {
      method: options.method,
      headers: { authorization: options.token, accept: 'application/json' },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal,
      ...(options.dispatcher && { dispatcher: options.dispatcher }),
    });
    const text = await response.body.text();
    return { status: response.statusCode, text };
  } catch (error) {
    const reason = sourceErrorReason(error);
    throw new PeerError(reason, `${options.method} ${redact(url)}: ${reason === 'timeout' ? `no answer within ${options.timeoutMs} ms` : reason}`);
  }
}

/** A URL for logs and messages: no query (the websocket URL's one-time `code`), no credentials. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
