// The open agent connections, one per machine: connect makes the machine available at once, close makes it
// unavailable after the disconnect grace (a reconnect inside it cancels that and produces no event), and messages
// become observations and metadata. Nothing here changes health: connecting and disconnecting only touch connectivity.
import type { WebSocket } from 'ws';
import * as engine from '../../engine/index.js';
import type { EngineState, SubjectSpec } from '../../engine/types.js';
import type { AgentsConfig } from '../../config/agents.js';
import { DEFAULT_LIMITS, refuseBeyondLimits, type Limits } from '../../runtime/limits.js';
import { checkObservation } from '../../exporter/api/bodies.js';
import { BatchApplier, type Applier } from './batch.js';
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

export type HubSettings = Pick<AgentsConfig, 'kind' | 'labels' | 'autoRegister' | 'disconnectGrace' | 'appearanceTimeout' | 'freshness' | 'pingInterval' | 'stormWindow'> &
  Partial<Pick<AgentsConfig, 'maxMessagesPerSecond' | 'messageBurst' | 'sendBufferBytes'>>;

/** Per-connection token bucket: `burst` messages at once, refilled at `rate` per second. */
interface Bucket {
  tokens: number;
  at: number;
}

export class AgentHub {
  private readonly sockets = new Map<string, WebSocket>();
  /** Sockets that answered the last ping. */
  private readonly alive = new WeakSet<WebSocket>();
  private readonly batch: BatchApplier;
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
    private readonly vigil: Applier & { readonly state: EngineState; readonly admits?: (subjectId: string) => boolean },
    private readonly settings: HubSettings,
    private readonly limits: Limits = DEFAULT_LIMITS,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.rate = settings.maxMessagesPerSecond ?? 20;
    this.burst = settings.messageBurst ?? 200;
    this.sendBuffer = settings.sendBufferBytes ?? 256 * 1024;
    this.batch = new BatchApplier(vigil, { stormWindow: settings.stormWindow, stormThreshold: STORM_THRESHOLD });
    if (settings.pingInterval > 0) {
      this.pingTimer = setInterval(() => this.pingAll(), settings.pingInterval);
      this.pingTimer.unref();
    }
  }

  /** Machines with an open connection (vigil_agents_connected). */
  get connected(): number {
    return this.sockets.size;
  }

  /** Whether this process evaluates machine `id` (always, unless it is one of several replicas). */
  owns(id: string): boolean {
    return this.vigil.admits?.(id) ?? true;
  }

  /** Whether `id` may connect: an existing subject, or a new one when auto-registration is on. */
  mayConnect(id: string): boolean {
    return this.settings.autoRegister || this.vigil.state.subjects.has(id);
  }

  /** Takes over an upgraded websocket for machine `id`. */
  accept(id: string, socket: WebSocket): void {
    const previous = this.sockets.get(id);
    this.sockets.set(id, socket);
    this.alive.add(socket);
    this.connectionsTotal++;
    // The newer connection wins (a half-open old one may linger after a network change); its close is not a disconnect.
    if (previous) previous.close(CLOSE_REPLACED, 'replaced by a newer connection of the same machine');

    this.buckets.set(socket, { tokens: this.burst, at: this.clock() });
    this.batch.enqueue((state, now) => {
      if (!state.subjects.has(id) && this.settings.autoRegister) {
        refuseBeyondLimits(state, this.limits, [{ subject: id }]);
        // Created on first connect only: an existing subject (configured, Octopus, API) keeps its owner and spec.
        const created = engine.upsertSubject(state, this.specFor(id), now);
        const connected = engine.applyConnectivity(state, { subject: id, state: 'available', source: 'agents' }, now);
        return { events: [...created.events, ...connected.events], changed: new Set([...created.changed, ...connected.changed]) };
      }
      return engine.applyConnectivity(state, { subject: id, state: 'available', source: 'agents' }, now);
    }, (error) =>
      socket.close(CLOSE_NO_SUBJECT, error instanceof engine.EngineError && error.code === 'conflict' ? 'vigil holds its limit of subjects (api.max_subjects)' : 'the subject was removed and agents.auto_register is off'),
    );
    this.send(socket, { type: 'welcome', subject: id, kind: this.vigil.state.subjects.get(id)?.spec.kind ?? this.settings.kind, ping_interval_seconds: this.settings.pingInterval / 1000 });

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
  adoptAfterRestart(): void {
    for (const subject of this.vigil.state.subjects.values()) {
      if (subject.spec.source !== 'agents' || subject.connectivity !== 'available' || subject.pendingUnavailable) continue;
      if (this.sockets.has(subject.spec.id)) continue;
      this.disconnect(subject.spec.id, 'no agent connection since vigil started');
    }
    this.batch.flush();
  }

  /**
   * Closes every connection (shutdown). Each machine gets a pending disconnect with the usual grace, stored with the
   * state: agents reconnecting to the restarted vigil inside it cause no event, the others become unavailable.
   */
  stop(): void {
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
    const signal = { subject: id, state: 'unavailable' as const, reason, grace: this.settings.disconnectGrace ?? 0, source: 'agents' };
    // The subject may have been removed meanwhile (API DELETE): nothing to mark then.
    this.batch.enqueue((state, now) => engine.applyConnectivity(state, signal, now), () => undefined);
  }

  private specFor(id: string): SubjectSpec {
    const spec: SubjectSpec = { id, kind: this.settings.kind, labels: { ...this.settings.labels }, dependsOn: [], source: 'agents' };
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
        this.batch.enqueue((state, now) => engine.applyConnectivity(state, { subject: id, state: 'available', source: 'agents' }, now), refused);
        return;
      case 'check': {
        const observation = checkObservation(id, message.check, message, 'agents', this.settings.freshness);
        this.batch.enqueue((state, now) => {
          refuseBeyondLimits(state, this.limits, [{ subject: id, check: observation.check }]);
          return engine.applyObservation(state, observation, now);
        }, refused);
        return;
      }
      case 'metadata': {
        const entry = { level: message.level, message: message.message, ...(message.value !== undefined && { value: message.value }) };
        this.batch.enqueue((state, now) => {
          refuseBeyondLimits(state, this.limits, [{ subject: id, metadataKey: message.key }]);
          return engine.setMetadata(state, id, message.key, entry, now);
        }, refused);
        return;
      }
      case 'metadata_delete':
        this.batch.enqueue((state, now) => engine.deleteMetadata(state, id, message.key, now), refused);
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
