// The agents extension: the websocket endpoint, the hub of open connections, the on_available webhook and the
// agents' metric families. Present when the config has an `agents:` section with `enabled: true`.
import { Router } from 'express';
import type { ExtensionFactory } from '../../extensions.js';
import { renderAgentMetrics } from '../../exporter/metrics/agents.js';
import { HttpProblem } from '../../exporter/problem.js';
import { AgentHub } from './hub.js';
import { CONNECT_PATH, attachAgentEndpoint } from './upgrade.js';
import { AvailableWebhook } from './webhook.js';

export const agentsExtension: ExtensionFactory = ({ config, vigil, auth, log, cluster }) => {
  const agents = config.agents;
  if (!agents?.enabled) return undefined;
  const hub = new AgentHub(vigil, agents, config.api.limits);
  hub.adoptAfterRestart();

  const webhook = agents.onAvailable
    ? new AvailableWebhook(agents.onAvailable, { warn: (fields, message) => log.warn(fields, message) })
    : undefined;
  const unsubscribe = webhook ? vigil.onCommittedEvents((events) => webhook.offer(events, vigil.state)) : undefined;

  // A plain GET (no upgrade) reaches express: say what to do instead of a 404.
  const routes = Router();
  routes.get(CONNECT_PATH.replace('/api/v1', ''), auth.require('agent'), (_req, res) => {
    res.setHeader('Upgrade', 'websocket');
    throw new HttpProblem(426, 'Upgrade Required', 'this endpoint is a websocket: connect with Upgrade: websocket (e.g. vigil agent --server URL)');
  });

  let detach: (() => void) | undefined;
  return {
    name: 'agents',
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
    metrics: () =>
      renderAgentMetrics({ connected: hub.connected, connectionsTotal: hub.connectionsTotal, connectionsCut: hub.connectionsCut, ...(webhook && { webhook: webhook.stats }) }),
    async stop() {
      detach?.();
      hub.stop();
      unsubscribe?.();
      await webhook?.stop();
    },
  };
};
