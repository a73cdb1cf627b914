// The agents' own families (docs/metrics.md): open connections, connections accepted, and the on_available webhook.
// Small and unlabelled (the webhook result is a fixed set), rendered from counters the agents extension keeps.
import { formatValue } from './text-format.js';

export interface AgentMetricsInput {
  connected: number;
  connectionsTotal: number;
  /** Connections closed for exceeding the message rate or not reading replies. */
  connectionsCut?: number;
  /** Present when agents.on_available is configured. */
  webhook?: { delivered: number; failed: number; dropped: number; queued: number };
}

function family(name: string, type: 'gauge' | 'counter', help: string, samples: [labels: string, value: number][]): string {
  let text = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  for (const [labels, value] of samples) text += `${name}${labels} ${formatValue(value)}\n`;
  return text;
}

export function renderAgentMetrics(input: AgentMetricsInput): string {
  let text =
    family('vigil_agents_connected', 'gauge', 'Agent websocket connections open now (one per machine).', [['', input.connected]]) +
    family('vigil_agent_connections_total', 'counter', 'Agent websocket connections accepted since vigil started.', [['', input.connectionsTotal]]) +
    family('vigil_agent_connections_cut_total', 'counter', 'Agent connections closed for exceeding agents.max_messages_per_second or not reading replies, since vigil started.', [
      ['', input.connectionsCut ?? 0],
    ]);
  const webhook = input.webhook;
  if (webhook) {
    text += family('vigil_agent_webhook_notifications_total', 'counter', 'on_available notifications by outcome since vigil started.', [
      ['{result="delivered"}', webhook.delivered],
      ['{result="failed"}', webhook.failed],
      ['{result="dropped"}', webhook.dropped],
    ]);
    text += family('vigil_agent_webhook_queue_length', 'gauge', 'on_available notifications waiting to be sent.', [['', webhook.queued]]);
  }
  return text;
}
