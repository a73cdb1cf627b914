// The agents' own families (docs/metrics.md): open connections, connections accepted, and the on_available webhook.
// Small and unlabelled (the webhook result is a fixed set), rendered from counters the agents extension keeps.
import { D, familyEntry, NONE, type FamilyEntry } from '../../exporter/metrics/family-table.js';
import { family } from '../../exporter/metrics/families.js';
import { formatValue } from '../../exporter/metrics/text-format.js';
import { labelledSample, unlabelledSample, writtenText } from '../../exporter/metrics/whole-families.js';
import type { ExpositionWriter } from '../../exporter/metrics/writer.js';

export interface AgentMetricsInput {
  connected: number;
  connectionsTotal: number;
  /** Connections closed for exceeding the message rate or not reading replies. */
  connectionsCut?: number;
  /** Present when agents.on_available is configured. */
  webhook?: { delivered: number; failed: number; dropped: number; queued: number };
}

export const AGENT_FAMILIES = {
  connected: family('vigil_agents_connected', 'gauge', 'Agent websocket connections open now (one per machine).'),
  connections: family('vigil_agent_connections_total', 'counter', 'Agent websocket connections accepted since vigil started.'),
  cut: family(
    'vigil_agent_connections_cut_total',
    'counter',
    'Agent connections closed for exceeding agents.max_messages_per_second or not reading replies, since vigil started.',
  ),
  notifications: family('vigil_agent_webhook_notifications_total', 'counter', 'on_available notifications by outcome since vigil started.'),
  queue: family('vigil_agent_webhook_queue_length', 'gauge', 'on_available notifications waiting to be sent.'),
} as const;

/** Their rows of the family table (exporter/metrics/selection.ts): cost, defaults and what reads them. */
export const AGENT_FAMILY_ROWS: readonly FamilyEntry[] = [
  familyEntry('vigil_agents_connected', 'agents', 1, D, true),
  familyEntry('vigil_agent_connections_total', 'agents', 1, D, true),
  familyEntry('vigil_agent_webhook_notifications_total', 'agents', 3, NONE, true),
  familyEntry('vigil_agent_webhook_queue_length', 'agents', 1, NONE, true),
  familyEntry('vigil_agent_connections_cut_total', 'agents', 0, NONE, true, true),
];

export function writeAgentFamilies(w: ExpositionWriter, input: AgentMetricsInput, enabled: (family: string) => boolean = () => true): void {
  const f = AGENT_FAMILIES;
  const single = (def: (typeof f)[keyof typeof f], value: number): void => {
    if (!enabled(def.name)) return;
    w.put(def.header);
    unlabelledSample(w, def, formatValue(value));
  };
  single(f.connected, input.connected);
  single(f.connections, input.connectionsTotal);
  single(f.cut, input.connectionsCut ?? 0);
  const webhook = input.webhook;
  if (!webhook) return;
  if (enabled(f.notifications.name)) {
    w.put(f.notifications.header);
    labelledSample(w, f.notifications, 'result="delivered"', formatValue(webhook.delivered));
    labelledSample(w, f.notifications, 'result="failed"', formatValue(webhook.failed));
    labelledSample(w, f.notifications, 'result="dropped"', formatValue(webhook.dropped));
  }
  single(f.queue, webhook.queued);
}

/** The same families as text (tests). */
export const renderAgentMetrics = (input: AgentMetricsInput): string => writtenText((w) => writeAgentFamilies(w, input));
