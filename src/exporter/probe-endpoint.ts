// GET /probe?target=…&module=… — blackbox_exporter's interface, so a scrape config written for it (relabelling
// __param_target) works against vigil unchanged. Stateless, like blackbox: no subject, no engine, no store; the
// probe runs with vigil's own probe code and answers the families blackbox users alert on. Each request counts in
// vigil_probe_requests_total{module,result}.
import express, { type Request, type Response } from 'express';
import { Counter, type Registry } from 'prom-client';
import { BUILTIN_MODULES, requestTarget, type ProbeEndpointConfig, type ProbeModule } from '../config/probe-modules.js';
import { AgentPool } from '../sources/targets/download.js';
import type { ProbeResult } from '../sources/targets/probe.js';
import { createProbeRunner } from '../sources/targets/registry.js';
import { familyHeader, formatValue, TEXT_CONTENT_TYPE } from './metrics/text-format.js';
import { HttpProblem, sendProblem } from './problem.js';

/** blackbox_exporter's default: answer this much before Prometheus's scrape timeout. */
const TIMEOUT_OFFSET_MS = 500;
const DEFAULT_TIMEOUT_MS = 10_000;

export function probeRoutes(config: ProbeEndpointConfig, registry: Registry, now: () => number = Date.now): express.Router {
  const router = express.Router();
  const modules: Record<string, ProbeModule> = { ...BUILTIN_MODULES, ...(config.modules as Record<string, ProbeModule>) };
  const requests = new Counter({
    name: 'vigil_probe_requests_total',
    help: 'Requests to the blackbox-compatible /probe endpoint by module and result (success, failure).',
    labelNames: ['module', 'result'],
    registers: [registry],
  });
  let inFlight = 0;

  router.get('/probe', async (req: Request, res: Response) => {
    const problem = (status: number, title: string, detail: string): void => sendProblem(res, new HttpProblem(status, title, detail), '/probe');
    if (!config.enabled) return problem(404, 'Not Found', '/probe is disabled (probe.enabled: false)');
    const moduleName = typeof req.query['module'] === 'string' ? req.query['module'] : 'http_2xx';
    const module = Object.hasOwn(modules, moduleName) ? modules[moduleName] : undefined;
    if (!module) return problem(400, 'Bad Request', `unknown module "${moduleName.slice(0, 64)}"; known: ${Object.keys(modules).join(', ')}`);
    const targetParam = req.query['target'];
    if (typeof targetParam !== 'string' || targetParam === '') return problem(400, 'Bad Request', 'target parameter is missing');
    const built = requestTarget(module, targetParam, scrapeTimeoutMs(req));
    if ('problem' in built) return problem(400, 'Bad Request', `target "${targetParam.slice(0, 200)}": ${built.problem}`);
    if (inFlight >= config.max_concurrent)
      return problem(503, 'Service Unavailable', `${config.max_concurrent} probes already in flight (probe.max_concurrent)`);

    const target = { ...built.target, timeout: Math.min(built.target.timeout, scrapeTimeoutMs(req)) };
    const agents = new AgentPool();
    inFlight++;
    let result: ProbeResult;
    try {
      result = await createProbeRunner(target, { agents }, now)(AbortSignal.timeout(target.timeout));
    } catch (error) {
      result = { reached: false, status: 'crit', reason: 'internal', message: (error as Error).message, metrics: {} };
    } finally {
      inFlight--;
      void agents.close();
    }
    const success = result.status !== 'crit';
    requests.inc({ module: moduleName, result: success ? 'success' : 'failure' });
    const exposition = blackboxExposition(result, success);
    if (req.query['debug'] === 'true') {
      // Like blackbox's debug=true: what happened, for a person, then the metrics.
      return res
        .type('text/plain')
        .send(
          `Module ${moduleName}, target ${targetParam.slice(0, 200)}\n` +
            `Result: ${result.status}${result.reason ? ` (${result.reason})` : ''}: ${result.message}\n\n` +
            `Metrics that would have been returned:\n${exposition}`,
        );
    }
    res.setHeader('Content-Type', TEXT_CONTENT_TYPE);
    res.send(exposition);
  });
  return router;
}

/** Prometheus tells how long it waits; answer before that, as blackbox_exporter does. */
function scrapeTimeoutMs(req: Request): number {
  const header = Number(req.get('x-prometheus-scrape-timeout-seconds'));
  if (!Number.isFinite(header) || header <= 0) return DEFAULT_TIMEOUT_MS;
  return Math.max(100, header * 1000 - TIMEOUT_OFFSET_MS);
}

/** The families blackbox_exporter's probers expose under the same names and meanings. */
export function blackboxExposition(result: ProbeResult, success: boolean): string {
  const families: [name: string, help: string, value: number | undefined][] = [
    ['probe_success', 'Displays whether or not the probe was a success', success ? 1 : 0],
    ['probe_duration_seconds', 'Returns how long the probe took to complete in seconds', result.metrics.duration_seconds ?? 0],
    ['probe_http_status_code', 'Response HTTP status code', result.metrics.http_status_code],
    ['probe_http_content_length', 'Length of http content response', result.metrics.response_bytes],
    ['probe_ssl_earliest_cert_expiry', 'Returns last SSL chain expiry in unixtime', result.metrics.tls_cert_expiry_timestamp_seconds],
  ];
  let text = '';
  for (const [name, help, value] of families) {
    if (value === undefined) continue;
    text += `${familyHeader(name, 'gauge', help)}${name} ${formatValue(value)}\n`;
  }
  return text;
}
