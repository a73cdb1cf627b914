// Sends heartbeat CloudEvents into the mesh (reference §7.2): through an application's HTTPSource (the path real
// applications use; one event fans out to every bound namespace) or straight into each namespace's broker.
// Binary mode, JSON data `{application, namespace?, sent_at}`, signed in the `vigilsignature` extension.
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import type { HeartbeatConfig } from '../config.js';
import { binaryHeaders } from './cloudevent.js';
import { signHeartbeat, type HeartbeatMonitor, type HeartbeatPair, type HeartbeatPayload } from './monitor.js';

/** Words for the check message; other codes are shown as they are. */
const SEND_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  UND_ERR_SOCKET: 'connection lost',
  ECONNRESET: 'connection lost',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
};

export interface HeartbeatSenderOptions {
  config: HeartbeatConfig;
  integrationNamespace: string;
  key: string;
  monitor: HeartbeatMonitor;
  now?: () => number;
  newId?: () => string;
}

export class HeartbeatSender {
  private readonly agent = new Agent({ connections: 8 });
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly options: HeartbeatSenderOptions) {
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? randomUUID;
  }

  /** One round: every expected pair gets a heartbeat (httpsource mode: one per application). */
  async sendRound(pairs: readonly HeartbeatPair[]): Promise<void> {
    const { config, monitor } = this.options;
    if (config.via === 'httpsource') {
      const byApplication = new Map<string, string[]>();
      for (const pair of pairs) byApplication.set(pair.application, [...(byApplication.get(pair.application) ?? []), pair.namespace]);
      await Promise.all(
        [...byApplication].map(async ([application, namespaces]) => {
          const error = await this.send({ application }, this.url(config.httpsource_url, application));
          for (const namespace of namespaces) monitor.recordSent(application, namespace, error);
        }),
      );
      return;
    }
    await Promise.all(
      pairs.map(async ({ application, namespace }) => {
        const error = await this.send({ application, namespace }, this.url(config.broker_url, application, namespace));
        monitor.recordSent(application, namespace, error);
      }),
    );
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private url(template: string, application: string, namespace = ''): string {
    return template
      .replaceAll('{application}', application)
      .replaceAll('{namespace}', namespace)
      .replaceAll('{integration_namespace}', this.options.integrationNamespace);
  }

  /** Posts one heartbeat; resolves to a short error description, or undefined when the mesh accepted it. */
  private async send(target: { application: string; namespace?: string }, url: string): Promise<string | undefined> {
    const { config, key } = this.options;
    const sentAt = this.now();
    const payload: HeartbeatPayload = { id: this.newId(), application: target.application, sentAt };
    if (target.namespace !== undefined) payload.namespace = target.namespace;
    const data: Record<string, unknown> = { application: target.application, sent_at: sentAt };
    if (target.namespace !== undefined) data['namespace'] = target.namespace;
    const headers = binaryHeaders({
      specversion: '1.0',
      id: payload.id,
      // Kyma's HTTPSource adapter sets the source to the application name itself; the broker keeps ours.
      source: target.application,
      type: config.type,
      time: new Date(sentAt).toISOString(),
      extensions: { eventtypeversion: config.event_type_version, vigilsignature: signHeartbeat(key, payload) },
    });
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(data),
        dispatcher: this.agent,
        signal: AbortSignal.timeout(config.timeout),
      });
      await response.body.dump();
      return response.statusCode >= 200 && response.statusCode < 300 ? undefined : `HTTP ${response.statusCode}`;
    } catch (error) {
      const code = (error as { code?: string }).code;
      const name = (error as Error).name;
      if (name === 'TimeoutError') return 'timeout';
      return SEND_ERRORS[code ?? ''] ?? code ?? 'network error';
    }
  }
}
