// The open agent connections, one per machine: connect makes the machine available at once, close makes it
// unavailable after the disconnect grace (a reconnect inside it cancels that and produces no event), and messages
// become observations and metadata. Nothing here changes health: connecting and disconnecting only touch connectivity.
// A source like the others: started with the sink (everything it reports goes through its batches), stopped at shutdown.
import type { WebSocket } from 'ws';
import { EngineError, type SubjectSpec } from '../../engine/types.js';
import type { AgentsConfig } from './config.js';
import { DEFAULT_LIMITS, type Limits } from '../../runtime/limits.js';
import { checkObservation } from '../../exporter/api/bodies.js';
import type { Source, SourceSink } from '../types.js';
import { BatchApplier } from './batch.js';
import { parseAgentMessage, type AgentMessage, type ServerMessage } from './protocol.js';

/** Close code for a connection pushed out by a newer one of the same machine. */
export const CLOSE_REPLACED = 4000;
export const CLOSE_SHUTDOWN = 1001;
/** Close code when the subject vanished between the upgrade and the connect (auto_register off). */
export const CLOSE_NO_SUBJECT = 4004;
/** The machine's subject is owned by another replica now (its shard moved): reconnect, possibly elsewhere. */
export const CLOSE_MOVED = 4009;
/** Close code for a connection that sent faster than its rate limit or did not read its replies (RFC 6455 policy violation). */
export const CLOSE_POLICY = 1008;
/** Calls per storm window applied at once before the rest of the window is gathered. */
const STORM_THRESHOLD = 200;
/** The owner (`spec.source`) of subjects agents create, and the source of their connectivity. */
export const AGENTS_SOURCE = 'agents';

export type HubSettings = Pick<
  AgentsConfig,
  'kind' | 'labels' | 'autoRegister' | 'disconnectGrace' | 'appearanceTimeout' | 'freshness' | 'pingInterval' | 'stormWindow'
> &
  Partial<Pick<AgentsConfig, 'maxMessagesPerSecond' | 'messageBurst' | 'sendBufferBytes'>>;

/** Per-connection token bucket: `burst` messages at once, refilled at `rate` per second. */
interface Bucket {
  tokens: number;
  at: number;
}

export class AgentHub implements Source {
  readonly name = AGENTS_SOURCE;
  private readonly sockets = new Map<string, WebSocket>();
  private sink: SourceSink | undefined;
  private stopped = false;
  /** Sockets that answered the last ping. */
  private readonly alive = new WeakSet<WebSocket>();
  private readonly batch: BatchApplier<SourceSink>;
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly buckets = new WeakMap<WebSocket, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly sendBuffer: number;
  /** Connections accepted since start (vigil_agent_connections_total). */
  connectionsTotal = 0;
  /** Connections closed for sending too fast or not reading their replies, since start. */
  connectionsCut = 0;

  constructor(
    private readonly settings: HubSettings,
    private readonly limits: Limits = DEFAULT_LIMITS,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.rate = settings.maxMessagesPerSecond ?? 20;
    this.burst = settings.messageBurst ?? 200;
    this.sendBuffer = settings.sendBufferBytes ?? 256 * 1024;
    this.batch = new BatchApplier(
      { batch: (fill) => this.sink?.batch(fill) },
      { stormWindow: settings.stormWindow, stormThreshold: STORM_THRESHOLD },
    );
  }

  /** Starts reporting through `sink`: first the machines left available by a previous run, then pings. */
  start(sink: SourceSink): void {
    this.sink = sink;
    this.adoptAfterRestart();
    if (this.settings.pingInterval > 0) {
      this.pingTimer = setInterval(() => this.pingAll(), this.settings.pingInterval);
      this.pingTimer.unref();
    }
  }

  /** Machines with an open connection (vigil_agents_connected). */
  get connected(): number {
    return this.sockets.size;
  }

  /** Whether this process evaluates machine `id` (always, unless it is one of several replicas). */
  owns(id: string): boolean {
    return this.sink?.owns(id) ?? true;
  }

  /** Whether `id` may connect: an existing subject, or a new one when auto-registration is on. */
  mayConnect(id: string): boolean {
    return this.settings.autoRegister || this.sink?.subject(id) !== undefined;
  }

  /** Takes over an upgraded websocket for machine `id`. */
  accept(id: string, socket: WebSocket): void {
    if (this.stopped) return void socket.close(CLOSE_SHUTDOWN, 'vigil is shutting down');
    const previous = this.sockets.get(id);
    this.sockets.set(id, socket);
    this.alive.add(socket);
    this.connectionsTotal++;
    // The newer connection wins (a half-open old one may linger after a network change); its close is not a disconnect.
    if (previous) previous.close(CLOSE_REPLACED, 'replaced by a newer connection of the same machine');

    this.buckets.set(socket, { tokens: this.burst, at: this.clock() });
    this.batch.enqueue(
      (sink) => {
        if (!sink.subject(id) && this.settings.autoRegister) {
          sink.refuseBeyondLimits(this.limits, [{ subject: id }]);
          // Created on first connect only: an existing subject (configured, Octopus, API) keeps its owner and spec.
          sink.defineSubject(this.specFor(id));
        }
        sink.connectivity({ subject: id, state: 'available', source: AGENTS_SOURCE });
      },
      (error) =>
        socket.close(
          CLOSE_NO_SUBJECT,
          error instanceof EngineError && error.code === 'conflict'
            ? 'vigil holds its limit of subjects (api.max_subjects)'
            : 'the subject was removed and agents.auto_register is off',
        ),
    );
    this.send(socket, {
      type: 'welcome',
      subject: id,
      kind: this.sink?.subject(id)?.spec.kind ?? this.settings.kind,
      ping_interval_seconds: this.settings.pingInterval / 1000,
    });

    socket.on('pong', () => this.alive.add(socket));
    socket.on('message', (data, isBinary) => {
      if (!this.withinRate(socket)) return;
      if (isBinary) return this.send(socket, { type: 'error', detail: 'messages are JSON text frames' });
      this.handle(id, socket, data.toString());
    });
    socket.on('close', () => this.closed(id, socket));
    socket.on('error', () => undefined); // 'close' follows and does the bookkeeping
  }

  /** Applies whatever is queued now (tests, shutdown). */
  flush(): void {
    this.batch.flush();
  }

  /**
   * After a start: machines that were available through agents have no connection now. They get the disconnect
   * grace to come back (most reconnect within seconds), then become unavailable; so a crash leaves nobody available forever.
   */
  private adoptAfterRestart(): void {
    const sink = this.sink;
    if (!sink) return;
    for (const id of sink.subjectsOf(AGENTS_SOURCE)) {
      const subject = sink.subject(id);
      if (subject?.connectivity !== 'available' || subject.pendingUnavailable) continue;
      if (this.sockets.has(id)) continue;
      this.disconnect(id, 'no agent connection since vigil started');
    }
    this.batch.flush();
  }

  /**
   * Closes every connection (shutdown). Each machine gets a pending disconnect with the usual grace, stored with the
   * state: agents reconnecting to the restarted vigil inside it cause no event, the others become unavailable.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    const sockets = [...this.sockets];
    this.sockets.clear();
    for (const [id, socket] of sockets) {
      this.disconnect(id, 'vigil restarted');
      socket.close(CLOSE_SHUTDOWN, 'vigil is shutting down');
      // An agent that does not answer the close frame must not hold the shutdown up.
      setTimeout(() => socket.terminate(), 1_000).unref();
    }
    this.batch.flush();
  }

  private disconnect(id: string, reason: string): void {
    const signal = { subject: id, state: 'unavailable' as const, reason, grace: this.settings.disconnectGrace ?? 0, source: AGENTS_SOURCE };
    // The subject may have been removed meanwhile (API DELETE): nothing to mark then.
    this.batch.enqueue(
      (sink) => sink.connectivity(signal),
      () => undefined,
    );
  }

  private specFor(id: string): SubjectSpec {
    const spec: SubjectSpec = { id, kind: this.settings.kind, labels: { ...this.settings.labels }, dependsOn: [], source: AGENTS_SOURCE };
    if (this.settings.appearanceTimeout !== undefined) spec.appearanceTimeout = this.settings.appearanceTimeout;
    return spec;
  }

  private closed(id: string, socket: WebSocket): void {
    if (this.sockets.get(id) !== socket) return; // replaced, or vigil is stopping
    this.sockets.delete(id);
    this.disconnect(id, 'agent disconnected');
  }

  private handle(id: string, socket: WebSocket, text: string): void {
    if (!this.owns(id)) {
      // Its shard moved to another replica: nothing may change it here. Its reconnect finds the owner (or waits).
      this.sockets.delete(id);
      socket.close(CLOSE_MOVED, 'this machine is now served by another vigil replica; reconnect');
      return;
    }
    let message: AgentMessage;
    try {
      message = parseAgentMessage(text);
    } catch (error) {
      return this.send(socket, { type: 'error', detail: (error as Error).message });
    }
    const refused = (error: unknown) => this.send(socket, { type: 'error', detail: error instanceof Error ? error.message : String(error) });
    switch (message.type) {
      case 'heartbeat':
        this.batch.enqueue((sink) => sink.connectivity({ subject: id, state: 'available', source: AGENTS_SOURCE }), refused);
        return;
      case 'check': {
        const observation = checkObservation(id, message.check, message, AGENTS_SOURCE, this.settings.freshness);
        this.batch.enqueue((sink) => {
          sink.refuseBeyondLimits(this.limits, [{ subject: id, check: observation.check }]);
          sink.observe(observation);
        }, refused);
        return;
      }
      case 'metadata': {
        const entry = { level: message.level, message: message.message, ...(message.value !== undefined && { value: message.value }) };
        this.batch.enqueue((sink) => {
          sink.refuseBeyondLimits(this.limits, [{ subject: id, metadataKey: message.key }]);
          sink.metadata(id, message.key, entry);
        }, refused);
        return;
      }
      case 'metadata_delete':
        this.batch.enqueue((sink) => sink.metadata(id, message.key, null), refused);
        return;
    }
  }

  /**
   * Takes one token from the connection's bucket. A connection out of tokens (past its burst at the sustained rate)
   * is closed: an agent sends a heartbeat and a few checks a minute, so this is a broken or hostile client.
   */
  private withinRate(socket: WebSocket): boolean {
    const bucket = this.buckets.get(socket);
    if (!bucket) return false;
    const now = this.clock();
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.rate) / 1000);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    this.cut(socket, `more than ${this.rate} messages per second beyond a burst of ${this.burst} (agents.max_messages_per_second)`);
    return false;
  }

  /** Closes a misbehaving connection once; it stops costing anything at once (no more reads, no replies). */
  private cut(socket: WebSocket, reason: string): void {
    if (!this.buckets.has(socket)) return;
    this.buckets.delete(socket);
    this.connectionsCut++;
    socket.close(CLOSE_POLICY, reason.slice(0, 120));
    // Stop reading at once: what a flooder has still queued must not cost parsing. A client that reads nothing
    // never answers the close frame, so the connection goes for good a second later.
    socket.pause();
    setTimeout(() => socket.terminate(), 1_000).unref();
  }

  /** Replies only to a client that reads them: past the send buffer the connection is closed instead of growing. */
  private send(socket: WebSocket, message: ServerMessage): void {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > this.sendBuffer) return this.cut(socket, 'replies are not being read (agents.send_buffer)');
    socket.send(JSON.stringify(message));
  }

  /** Closes connections that did not answer the previous ping: a silent network loss becomes a disconnect. */
  private pingAll(): void {
    for (const socket of this.sockets.values()) {
      if (!this.alive.has(socket)) {
        socket.terminate();
        continue;
      }
      this.alive.delete(socket);
      socket.ping();
    }
  }
}
