// A listener on a practable `stats` websocket (relay or jump): access POST with a fresh token, websocket to the
// one-time URI it returns (valid 30 s), frames to `onFrame`. It reconnects with exponential backoff and jitter,
// renews the token and the connection every `reconnectEvery` (as status does), and reconnects when the peer
// goes silent for `silenceLimit`. It never throws: problems become `onStatus(false, reason)`.
import WebSocket from 'ws';
import type { Backoff } from '../../util/backoff.js';
import { httpReason, sourceErrorReason, type SourceReason } from '../reasons.js';
import { call, PeerError, redact } from './http.js';

/** setTimeout's ceiling; longer periods are capped (a renewal a little early is harmless). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Frames above this are refused by ws (a relay report for a large deployment is a few hundred KiB). */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export interface StatsClientOptions {
  /** Source instance name, for logs. */
  source: string;
  accessUrl: string;
  /** A fresh token valid for at least `reconnectEvery` from `now`. */
  token(now: number): string;
  reconnectEvery: number;
  /** No frame for this long on an open connection: report the source down and reconnect. */
  silenceLimit: number;
  /** Deadline of the access POST and of the websocket handshake. */
  timeoutMs: number;
  backoff: Backoff;
  clock: () => number;
  onFrame(text: string): void;
  /** up=true on each frame (an open but silent socket is not up); up=false with a bounded reason on each failure. */
  onStatus(up: boolean, reason?: string): void;
  /** Frames that are not text. */
  onMalformed(reason: string): void;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export class StatsClient {
  private socket: WebSocket | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private closed: Promise<void> = Promise.resolve();

  constructor(private readonly options: StatsClientOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.clearConnectionTimers();
    this.socket?.terminate();
    await this.closed;
  }

  private clearConnectionTimers(): void {
    clearTimeout(this.renewTimer);
    clearTimeout(this.silenceTimer);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { options } = this;
    let uri: string;
    try {
      uri = await this.requestUri();
    } catch (error) {
      this.fail(error instanceof PeerError ? error.reason : sourceErrorReason(error), error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.stopped) return;

    const socket = new WebSocket(uri, { handshakeTimeout: options.timeoutMs, maxPayload: MAX_FRAME_BYTES });
    this.socket = socket;
    let opened = false;
    let renewing = false;
    let lastError: SourceReason = 'reset'; // closed without an error: the connection dropped
    let closedResolve!: () => void;
    this.closed = new Promise((resolve) => (closedResolve = resolve));

    const armSilence = (): void => {
      clearTimeout(this.silenceTimer);
      this.silenceTimer = setTimeout(
        () => {
          lastError = 'no_reports';
          socket.terminate();
        },
        Math.min(options.silenceLimit, MAX_TIMER_MS),
      );
    };

    socket.on('open', () => {
      opened = true;
      options.backoff.reset();
      // Not "up" yet: a relay that accepts the socket but never reports is down (the silence limit says so).
      // The first frame reports it up.
      options.log.info({ source: options.source, url: redact(uri) }, 'practable stats connected');
      this.renewTimer = setTimeout(
        () => {
          renewing = true;
          socket.close(1000, 'token renewal');
        },
        Math.min(options.reconnectEvery, MAX_TIMER_MS),
      );
      armSilence();
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        options.onMalformed('binary');
        return;
      }
      armSilence();
      options.onStatus(true);
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      try {
        options.onFrame(text);
      } catch (error) {
        // A bug in handling one frame must not take the connection (or the process) down.
        options.onMalformed('handler');
        options.log.warn({ source: options.source, err: error instanceof Error ? error.message : String(error) }, 'practable frame handling failed');
      }
    });
    socket.on('error', (error) => {
      const status = /Unexpected server response: (\d+)/.exec(error.message);
      lastError = status ? httpReason(Number(status[1])) : sourceErrorReason(error);
    });
    socket.on('close', () => {
      this.clearConnectionTimers();
      if (this.socket === socket) this.socket = undefined;
      closedResolve();
      if (this.stopped) return;
      if (renewing) {
        void this.connect();
        return;
      }
      this.fail(lastError, opened ? `connection lost (${lastError})` : `websocket failed (${lastError})`);
    });
  }

  /** The access POST: 200 with `{"uri": "wss://…?code=…"}`. */
  private async requestUri(): Promise<string> {
    const { options } = this;
    const { status, text } = await call(options.accessUrl, { method: 'POST', token: options.token(options.clock()), timeoutMs: options.timeoutMs });
    if (status !== 200) throw new PeerError(httpReason(status), `access ${redact(options.accessUrl)} answered ${status}`);
    let uri: unknown;
    try {
      uri = (JSON.parse(text) as { uri?: unknown })?.uri;
    } catch {
      uri = undefined;
    }
    if (typeof uri !== 'string' || !/^wss?:\/\//.test(uri)) {
      throw new PeerError('bad_response', `access ${redact(options.accessUrl)} answered without a websocket uri`);
    }
    return uri;
  }

  private fail(reason: string, message: string): void {
    if (this.stopped) return;
    this.options.onStatus(false, reason);
    const delay = this.options.backoff.next();
    this.options.log.warn({ source: this.options.source, reason, retryInMs: delay }, `practable stats: ${message}`);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }
}
