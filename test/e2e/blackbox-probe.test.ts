// A Prometheus scrape config written for blackbox_exporter works against vigil unchanged: the classic relabelling
// of blackbox's README (targets → __param_target, instance; __address__ → the exporter) pointed at vigil's
// /probe, scraped by Debian's real Prometheus. One target answers, one is down: probe_success 1 and 0 per instance.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { startVigil } from '../../src/serve.js';
import { freePort, PROCESS_POLL, requireTool, startProcess } from './helpers/processes.js';
import { until } from '../helpers/until.js';

test('Prometheus with blackbox-style relabelling scrapes vigil /probe: probe_success per target', async (t) => {
  const prometheusBin = requireTool('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-blackbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const web = http.createServer((request, response) => {
    response.statusCode = request.url === '/broken' ? 500 : 200;
    response.end('ok');
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => web.close(() => resolve())));
  const webBase = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;

  writeFileSync(join(dir, 'vigil.yml'), ['listen: 127.0.0.1:0', 'state: vigil.db', 'log: { level: silent }'].join('\n'));
  const vigil = await startVigil({ configPath: join(dir, 'vigil.yml') });
  t.after(() => vigil.stop());
  const vigilAddress = `127.0.0.1:${vigil.address.port}`;

  const prometheusPort = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s' },
      scrape_configs: [
        {
          job_name: 'blackbox',
          metrics_path: '/probe',
          params: { module: ['http_2xx'] },
          static_configs: [{ targets: [`${webBase}/`, `${webBase}/broken`] }],
          relabel_configs: [
            { source_labels: ['__address__'], target_label: '__param_target' },
            { source_labels: ['__param_target'], target_label: 'instance' },
            { target_label: '__address__', replacement: vigilAddress },
          ],
        },
      ],
    }),
  );
  const prometheus = startProcess(
    'prometheus',
    prometheusBin,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${prometheusPort}`],
    join(dir, 'prometheus.log'),
  );
  t.after(() => prometheus.stop());

  const query = async (expr: string): Promise<Record<string, number>> => {
    const response = await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { data: { result: { metric: { instance: string }; value: [number, string] }[] } };
    return Object.fromEntries(body.data.result.map((sample) => [sample.metric.instance, Number(sample.value[1])]));
  };
  const success = await until(
    async () => {
      const values = await query('probe_success{job="blackbox"}');
      return Object.keys(values).length === 2 ? values : undefined;
    },
    `Prometheus to scrape both probes (log: ${join(dir, 'prometheus.log')})`,
    { ...PROCESS_POLL, timeoutMs: 30_000 },
  );
  assert.deepEqual(success, { [`${webBase}/`]: 1, [`${webBase}/broken`]: 0 });
  assert.deepEqual(await query('probe_http_status_code{job="blackbox"}'), { [`${webBase}/`]: 200, [`${webBase}/broken`]: 500 });
  const up = await query('up{job="blackbox"}');
  assert.deepEqual(Object.values(up), [1, 1], 'both scrapes succeed whatever the probe says, as with blackbox_exporter');
});
