// HTTP calls to practable's services with undici. Upstream's clients have no timeouts (book) or 10 s (relay,
// jump); here every call has a whole-request deadline, and failures come back as short bounded reason words
// for vigil_source_errors_total{reason}.
import { request, type Dispatcher } from 'undici';

export class PeerError extends Error {
  constructor(
    /** Bounded word: timeout, refused, dns, reset, tls, http_401, http_5xx, bad_response, error. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Maps a thrown network error to a bounded reason word. */
export function networkReason(error: unknown): string {
  const code = (error as { code?: unknown; cause?: { code?: unknown } })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  const name = (error as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'reset';
    default:
      return typeof code === 'string' && code.startsWith('ERR_TLS') ? 'tls' : 'error';
  }
}

/** `http_401`, `http_404`, and `http_5xx` for server errors (so the label set stays small). */
export const httpReason = (status: number): string => (status >= 500 ? 'http_5xx' : `http_${status}`);

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
    const reason = networkReason(error);
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
