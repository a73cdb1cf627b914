// Families of the bounds vigil keeps on its clients (docs/config.md, `api:` and `http:`): how close it runs to each
// limit and how often a client was cut off, so an operator sees an attack or a mis-sized limit.
import { familyHeader, formatValue } from './text-format.js';

export interface BoundsMetricsInput {
  streamsOpen: number;
  streamsDropped: number;
  /** Absent where vigil does not own the listener (tests that mount the app on their own server). */
  connections?: { open: number; cap: number; evicted: number };
}

const sample = (name: string, type: 'gauge' | 'counter', help: string, value: number): string =>
  `${familyHeader(name, type, help)}${name} ${formatValue(value)}\n`;

export function renderBoundsMetrics(input: BoundsMetricsInput): string {
  let text =
    sample('vigil_event_streams_open', 'gauge', 'Event streams (SSE) and waiting long-polls open now (limit api.max_streams).', input.streamsOpen) +
    sample(
      'vigil_event_streams_dropped_total',
      'counter',
      'Event streams closed because their client stopped reading, since vigil started.',
      input.streamsDropped,
    );
  const connections = input.connections;
  if (connections) {
    text +=
      sample('vigil_http_connections_open', 'gauge', 'Client connections open now.', connections.open) +
      sample(
        'vigil_http_connections_limit',
        'gauge',
        'Client connections allowed at once (http.max_connections, capped below the open-file limit).',
        connections.cap,
      ) +
      sample(
        'vigil_http_connections_evicted_total',
        'counter',
        'Idle or half-sent connections closed to make room for new ones, since vigil started.',
        connections.evicted,
      );
  }
  return text;
}
