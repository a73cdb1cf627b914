// The agents extension: the websocket endpoint, the hub of open connections (the agents' source), the on_available
// webhook and the agents' metric families. Present when the config has an `agents:` section with `enabled: true`.
import { Router } from 'express';
import { HttpProblem } from '../../exporter/problem.js';
import type { ExtensionDefinition } from '../extension.js';
import { agentsSection, type AgentsConfig } from './config.js';
import { AgentHub } from './hub.js';
import { AGENT_FAMILY_ROWS, writeAgentFamilies } from './metrics.js';
import { CONNECT_PATH, attachAgentEndpoint } from './upgrade.js';
import { AvailableWebhook } from './webhook.js';

export const agentsExtension = {
  name: 'agents',
  routes: [{ path: /^\/api\/v1\/agents\/connect$/, methods: 'GET' }],
  section: agentsSection,
  // An agent may stay connected to any replica; one that does not own its machine relays it.
  placement: 'every-replica',
  families: AGENT_FAMILY_ROWS,
  create: ({ config, section: agents, sink, runtime, auth, log, cluster }) => {
    if (!agents?.enabled) return undefined;
    const hub = new AgentHub(agents, config.api.limits);

    const webhook = agents.onAvailable
      ? new AvailableWebhook(agents.onAvailable, { warn: (fields, message) => log.warn(fields, message) })
      : undefined;
    const unsubscribe = webhook ? runtime.onCommittedEvents((events) => webhook.offer(events, (id) => sink.subject(id))) : undefined;

    // A plain GET (no upgrade) reaches express: say what to do instead of a 404.
    const routes = Router();
    routes.get(CONNECT_PATH.replace('/api/v1', ''), auth.require('agent'), (_req, res) => {
      res.setHeader('Upgrade', 'websocket');
      throw new HttpProblem(426, 'Upgrade Required', 'this endpoint is a websocket: connect with Upgrade: websocket (e.g. vigil agent --server URL)');
    });

    let detach: (() => void) | undefined;
    return {
      sources: [hub],
      routes,
      attach(server) {
        detach = attachAgentEndpoint(server, {
          hub,
          auth,
          maxConnections: agents.maxConnections,
          maxMessageBytes: agents.maxMessageBytes,
          ...(cluster && { relay: cluster }),
        });
      },
      metrics: (w, enabled) =>
        writeAgentFamilies(
          w,
          {
            connected: hub.connected,
            connectionsTotal: hub.connectionsTotal,
            connectionsCut: hub.connectionsCut,
            ...(webhook && { webhook: webhook.stats }),
          },
          enabled,
        ),
      // After the hub stopped (a source): no more upgrades, then the notifications in flight.
      async stop() {
        detach?.();
        unsubscribe?.();
        await webhook?.stop();
      },
    };
  },
} satisfies ExtensionDefinition<AgentsConfig>;
