// Receives Alertmanager's webhook notifications (its JSON payload, version 4) and keeps them with their arrival time.
import { createServer, type Server } from 'node:http';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}

/** Alertmanager's webhook payload (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
export interface WebhookPayload {
  version: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

export interface Notification {
  /** The URL path it was posted to: one path per configured receiver. */
  path: string;
  receivedAt: number;
  payload: WebhookPayload;
}

export class WebhookSink {
  readonly notifications: Notification[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        try {
          const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookPayload;
          this.notifications.push({ path: request.url ?? '/', receivedAt: Date.now(), payload });
          response.writeHead(200).end();
        } catch {
          response.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Notifications to `path` whose alerts include one matching every given label. */
  matching(path: string, labels: Record<string, string> = {}): Notification[] {
    return this.notifications.filter(
      (n) => n.path === path && n.payload.alerts.some((alert) => Object.entries(labels).every(([k, v]) => alert.labels[k] === v)),
    );
  }

  /** One line per notification, for failure messages. */
  describe(): string {
    if (this.notifications.length === 0) return '(no webhook notifications)';
    return this.notifications
      .map((n) => {
        const alerts = n.payload.alerts.map(
          (a) => `${a.labels['alertname']}{subject=${a.labels['subject'] ?? ''},check=${a.labels['check'] ?? ''}}:${a.status}`,
        );
        return `${new Date(n.receivedAt).toISOString()} ${n.path} ${n.payload.status} [${alerts.join(', ')}]`;
      })
      .join('\n');
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
