// Replicas on the real stack: two vigil replicas on a real PostgreSQL, scraped by Debian's prometheus as one job,
// alerting through prometheus-alertmanager with the generated rules. The replica owning a failing subject is
// killed (SIGKILL) after its alert fired: the survivor takes the subject over, and the alert neither resolves nor
// fires a second time (one notification, not two).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { startPostgres } from '../helpers/postgres.js';
import { CLI } from '../helpers/serve-process.js';
import { freePort, PROCESS_POLL, requireTool, sleep, startProcess, type ManagedProcess } from './helpers/processes.js';
import { until } from '../helpers/until.js';
import { WebhookSink } from './helpers/webhook-sink.js';

const TOKEN = 'e2e-replicas-token-0123456789';
const SUBJECTS = Array.from({ length: 12 }, (_, i) => `pend-${String(i).padStart(2, '0')}`);

test('e2e: killing the replica that owns a firing alert neither resolves it nor fires it again', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-replicas-'));
  mkdirSync(join(dir, 'logs'));
  const postgres = await startPostgres();
  const webhook = new WebhookSink();
  const processes: ManagedProcess[] = [];
  try {
    await webhook.start();
    const database = await postgres.createDatabase();
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    writeFileSync(join(dir, 'pg-password'), `${postgres.password}\n`);
    const config = join(dir, 'vigil.yml');
    writeFileSync(
      config,
      [
        `state: ${postgres.url(database)}`,
        'store: { flush_interval: 20ms, password_file: pg-password }',
        'cluster: { hold_ttl: 10s, renew_interval: 2s }',
        'api:',
        '  tokens:',
        '    - { name: e2e, token_file: token, scopes: [admin] }',
        'defaults: { startup_grace: 0s }',
        'subjects:',
        ...SUBJECTS.map((id) => `  - { id: ${id}, kind: experiment }`),
        'alerting:',
        '  evaluation_interval: 1s',
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  default_receiver: builtin',
        '  receivers:',
        `    builtin: { webhook: { url: "${webhook.url('/builtin')}" } }`,
        `    lab: { webhook: { url: "${webhook.url('/lab')}" } }`,
        '  policies:',
        '    - { name: labs, match: { kind: experiment }, notify: change, threshold: 2, receiver: lab }',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'generated');
    const generated = spawnSync(process.execPath, [CLI, 'generate-rules', '--config', config, '--out', out], { encoding: 'utf8' });
    assert.equal(generated.status, 0, generated.stderr);

    const [portA, portB, amPort, promPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const bases = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
    const start = (name: string, command: string, args: string[]) => {
      const started = startProcess(name, command, args, join(dir, 'logs', `${name}.log`), dir);
      processes.push(started);
      return started;
    };
    const ready = (url: string, what: string) =>
      // Bounded: a replica binds its port first and answers only once it has its shards.
      until(async () => (await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined))?.ok, what, {
        ...PROCESS_POLL,
        timeoutMs: 60_000,
      });

    start('alertmanager', requireTool('prometheus-alertmanager'), [
      `--config.file=${join(out, 'rules', 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'alertmanager')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ]);
    await ready(`http://127.0.0.1:${amPort}/-/ready`, 'alertmanager');
    const replicas = [portA, portB].map((port, i) =>
      start(`vigil-${i}`, process.execPath, [CLI, 'serve', '--config', config, '--listen', `127.0.0.1:${port}`]),
    );
    for (const base of bases) await ready(`${base}/-/ready`, base);

    const prometheusConfig = join(dir, 'prometheus.yml');
    writeFileSync(
      prometheusConfig,
      stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: [join(out, 'rules', 'vigil.rules.yml')],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
        // Every replica under the one job, as docs/scaling.md says.
        scrape_configs: [{ job_name: 'vigil', static_configs: [{ targets: [`127.0.0.1:${portA}`, `127.0.0.1:${portB}`] }] }],
      }),
    );
    start('prometheus', requireTool('prometheus'), [
      `--config.file=${prometheusConfig}`,
      `--storage.tsdb.path=${join(dir, 'prometheus')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--rules.alert.resend-delay=1s',
    ]);
    await ready(`http://127.0.0.1:${promPort}/-/ready`, 'prometheus');

    // Both replicas hold shards; find a subject the second one evaluates.
    const exposedBy = async (base: string) => (await (await fetch(`${base}/metrics`)).text()).match(/^vigil_subject_info\{subject="([^"]+)"/gm) ?? [];
    const subject = await until(
      async () => {
        const [a, b] = await Promise.all(bases.map(exposedBy));
        if (a.length + b.length !== SUBJECTS.length || a.length === 0 || b.length === 0) return undefined;
        return /subject="([^"]+)"/.exec(b[0]!)![1]!;
      },
      'both replicas to hold shards',
      { ...PROCESS_POLL, timeoutMs: 60_000 },
    );
    const push = async (status: 'ok' | 'crit') => {
      // Through the replica that does NOT own it: forwarded to the owner, answered once durable.
      const res = await fetch(`${bases[0]}/api/v1/subjects/${subject}/checks/camera`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status, message: 'no frames', period: '10m' }),
      });
      assert.equal(res.status, 200, await res.text());
    };
    await push('crit');
    await push('crit');
    const lab = () => webhook.matching('/lab', { alertname: 'VigilLabsCheckFailing', subject });
    await until(() => lab().length >= 1, `lab alert for ${subject}`, { ...PROCESS_POLL, timeoutMs: 60_000, intervalMs: 100 });
    assert.equal(lab()[0]!.payload.status, 'firing');

    replicas[1]!.child.kill('SIGKILL');
    const killedAt = Date.now();
    await until(async () => (await exposedBy(bases[0]!)).length === SUBJECTS.length, 'the survivor to take every subject over', {
      ...PROCESS_POLL,
      timeoutMs: 30_000,
    });
    const handoverMs = Date.now() - killedAt;
    assert.ok(handoverMs <= 15_000, `handover took ${handoverMs} ms`);
    const health = (await (await fetch(`${bases[0]}/api/v1/subjects/${subject}/health`)).json()) as {
      checks: Record<string, { consecutive_failures: number }>;
    };
    assert.equal(health.checks['camera']?.consecutive_failures, 2, 'the survivor carries on from the stored state');

    // Evaluations on the survivor's series for a while: the alert stays one firing notification.
    await sleep(15_000);
    const transitions = lab().flatMap((n) => n.payload.alerts.filter((a) => a.labels['subject'] === subject).map((a) => a.status));
    assert.deepEqual([...new Set(transitions)], ['firing'], `no resolve across the handover:\n${webhook.describe()}`);
    assert.equal(lab().length, 1, `one notification, not two:\n${webhook.describe()}`);
  } catch (error) {
    const logs = readdirSync(join(dir, 'logs')).map((file) => `===== ${file}\n${readFileSync(join(dir, 'logs', file), 'utf8').slice(-4000)}`);
    process.stderr.write(`${logs.join('\n')}\n${webhook.describe()}\n`);
    throw error;
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await webhook.stop();
    await postgres.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
