// The real stack on loopback: vigil (child process, a test config or the demo fleet), `vigil generate-rules` output in a temp dir,
// Debian's prometheus (1s scrape/eval, short resend delay) and prometheus-alertmanager (the generated config, its
// receivers pointed at a webhook sink and an SMTP sink). Logs are kept per process; `withStack` prints them and
// keeps the directory when a scenario fails, and removes everything when it passes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI } from '../../helpers/serve-process.js';
import { freePort, PROCESS_POLL, requireTool, startProcess, type ManagedProcess } from './processes.js';
import { until } from '../../helpers/until.js';
import { SmtpSink } from './smtp-sink.js';
import { WebhookSink } from './webhook-sink.js';

export const TOKEN = 'e2e-token-0123456789abcdef';
/** Scrape and rule evaluation interval of the test stack, in seconds. */
export const TICK_SECONDS = 1;
export const EXTERNAL_URL = 'https://status.e2e.example.org/lab';

/** The `alerting:` timing every scenario uses (1s evaluation and grouping), for scenarios to put under `alerting:`. */
export const FAST_ALERTING = `  evaluation_interval: ${TICK_SECONDS}s
  external_url: ${EXTERNAL_URL}
  group_wait: 1s
  group_interval: 1s`;

export interface Sinks {
  /** URL of the webhook sink for a receiver: each receiver posts to its own path. */
  hook: (path: string) => string;
  /** host:port of the SMTP sink. */
  smarthost: string;
}

/** What vigil runs: a scenario's config, or the demo fleet with its story timing (`vigil serve --demo`). */
export type StackSetup = ((sinks: Sinks) => string) | { demoTiming: string };

export interface PushOptions {
  message?: string;
  period?: string;
}

export class Stack {
  readonly webhook = new WebhookSink();
  readonly smtp = new SmtpSink();
  readonly processes = new Map<string, ManagedProcess>();
  vigilBase = '';
  prometheusBase = '';
  alertmanagerBase = '';
  private vigilPort = 0;
  private serveArgs: string[] = [];

  constructor(readonly dir: string) {}

  private log(name: string): string {
    return join(this.dir, 'logs', `${name}.log`);
  }

  async start(setup: StackSetup): Promise<void> {
    mkdirSync(join(this.dir, 'logs'));
    const prometheusBin = requireTool('prometheus');
    const alertmanagerBin = requireTool('prometheus-alertmanager');
    await this.webhook.start();
    await this.smtp.start();
    this.vigilPort = await freePort();
    const alertmanagerPort = await freePort();
    const prometheusPort = await freePort();
    this.vigilBase = `http://127.0.0.1:${this.vigilPort}`;
    this.alertmanagerBase = `http://127.0.0.1:${alertmanagerPort}`;
    this.prometheusBase = `http://127.0.0.1:${prometheusPort}`;

    const generateArgs = this.vigilArgs(setup);

    // Generated exactly as a user would: the CLI, into a directory of its own.
    const out = join(this.dir, 'generated');
    const generated = spawnSync(process.execPath, [CLI, 'generate-rules', ...generateArgs, '--out', out], { encoding: 'utf8' });
    assert.equal(generated.status, 0, `vigil generate-rules failed:\n${generated.stdout}${generated.stderr}`);

    const prometheusConfig = join(this.dir, 'prometheus.yml');
    writeFileSync(
      prometheusConfig,
      stringify({
        global: { scrape_interval: `${TICK_SECONDS}s`, scrape_timeout: `${TICK_SECONDS}s`, evaluation_interval: `${TICK_SECONDS}s` },
        rule_files: [join(out, 'rules', 'vigil.rules.yml')],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }] },
        scrape_configs: [{ job_name: 'vigil', static_configs: [{ targets: [`127.0.0.1:${this.vigilPort}`] }] }],
      }),
    );

    const alertmanager = startProcess(
      'alertmanager',
      alertmanagerBin,
      [
        `--config.file=${join(out, 'rules', 'alertmanager.yml')}`,
        `--storage.path=${join(this.dir, 'alertmanager')}`,
        `--web.listen-address=127.0.0.1:${alertmanagerPort}`,
        '--cluster.listen-address=', // no gossip: a single instance, no port of its own
        '--log.level=debug',
      ],
      this.log('alertmanager'),
    );
    this.processes.set('alertmanager', alertmanager);
    await this.waitReady(alertmanager, `${this.alertmanagerBase}/-/ready`);

    await this.startVigil();

    const prometheus = startProcess(
      'prometheus',
      prometheusBin,
      [
        `--config.file=${prometheusConfig}`,
        `--storage.tsdb.path=${join(this.dir, 'prometheus')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
        // Prometheus drops alerts that fire before it has discovered Alertmanager and resends only after this delay.
        `--rules.alert.resend-delay=${TICK_SECONDS}s`,
      ],
      this.log('prometheus'),
    );
    this.processes.set('prometheus', prometheus);
    await this.waitReady(prometheus, `${this.prometheusBase}/-/ready`);
    // Service discovery hands targets and Alertmanagers over every 5s: wait until both are in use.
    await until(
      async () => {
        const body = (await (await fetch(`${this.prometheusBase}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: unknown[] } };
        return body.data.activeAlertmanagers.length > 0;
      },
      'Prometheus to discover Alertmanager',
      { ...PROCESS_POLL, timeoutMs: 30_000 },
    );
    await until(async () => (await this.query('up{job="vigil"}')) === 1, 'Prometheus to scrape vigil successfully', {
      ...PROCESS_POLL,
      timeoutMs: 30_000,
    });
  }

  /** Writes the scenario's config, or picks the demo; sets the serve arguments and returns generate-rules'. */
  private vigilArgs(setup: StackSetup): string[] {
    if (typeof setup !== 'function') {
      const demo = ['--demo', '--demo-timing', setup.demoTiming];
      this.serveArgs = [...demo, '--listen', `127.0.0.1:${this.vigilPort}`, '--state', join(this.dir, 'vigil.db')];
      return [...demo, '--demo-webhook', this.webhook.url('/demo')];
    }
    writeFileSync(join(this.dir, 'token'), `${TOKEN}\n`);
    const configFile = join(this.dir, 'vigil.yml');
    const header = [
      `listen: 127.0.0.1:${this.vigilPort}`,
      `state: ${join(this.dir, 'vigil.db')}`,
      'store: { flush_interval: 20ms }',
      'api:',
      '  tokens:',
      '    - { name: e2e, token_file: token, scopes: [admin] }',
      '',
    ].join('\n');
    writeFileSync(configFile, header + setup({ hook: (path) => this.webhook.url(path), smarthost: `127.0.0.1:${this.smtp.port}` }));
    this.serveArgs = ['--config', configFile];
    return this.serveArgs;
  }

  private async waitReady(process: ManagedProcess, url: string): Promise<void> {
    await until(
      async () => {
        if (process.child.exitCode !== null) throw new Error(`${process.name} exited with ${process.child.exitCode}`);
        return (await fetch(url)).ok;
      },
      `${process.name} at ${url}`,
      { ...PROCESS_POLL, timeoutMs: 30_000 },
    );
  }

  async startVigil(): Promise<void> {
    const vigil = startProcess('vigil', process.execPath, [CLI, 'serve', ...this.serveArgs], this.log('vigil'), this.dir);
    this.processes.set('vigil', vigil);
    await this.waitReady(vigil, `${this.vigilBase}/-/ready`);
  }

  /** SIGKILL: no shutdown hook runs, only what the store acknowledged survives. */
  async killVigil(): Promise<void> {
    const vigil = this.processes.get('vigil')!;
    vigil.child.kill('SIGKILL');
    await vigil.exited;
  }

  /** PUT /subjects/{id}/checks/{check}; asserts it was acknowledged (answered after the durable commit). */
  async push(subject: string, check: string, status: 'ok' | 'crit' | 'warn', options: PushOptions = {}): Promise<void> {
    const response = await fetch(`${this.vigilBase}/api/v1/subjects/${subject}/checks/${check}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status, message: options.message ?? `${check} ${status}`, period: options.period ?? '10m' }),
    });
    assert.equal(response.status, 200, `push ${subject}/${check}=${status}: ${response.status} ${await response.text()}`);
  }

  /** The value of an instant query that yields one sample, or undefined when it yields none. */
  async query(promql: string): Promise<number | undefined> {
    const response = await fetch(`${this.prometheusBase}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: { value: [number, string] }[] } };
    assert.equal(body.status, 'success', `query ${promql}: ${body.error ?? ''}`);
    const [first] = body.data.result;
    return first === undefined ? undefined : Number(first.value[1]);
  }

  /** Waits until Prometheus has scraped a value satisfying `accept` (so the next step builds on what it saw). */
  async waitForQuery(promql: string, accept: (value: number | undefined) => boolean, timeoutMs = 15_000): Promise<void> {
    await until(async () => accept(await this.query(promql)), `Prometheus: ${promql}`, { ...PROCESS_POLL, timeoutMs });
  }

  /** Alertmanager's view of its alerts (API v2), including silenced and inhibited ones. */
  async alertmanagerAlerts(): Promise<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] }; fingerprint: string }[]> {
    const response = await fetch(`${this.alertmanagerBase}/api/v2/alerts`);
    return (await response.json()) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] }; fingerprint: string }[];
  }

  /** Every process's log plus what the sinks received: what a failed scenario prints. */
  report(): string {
    const sections = readdirSync(join(this.dir, 'logs')).map((file) => `===== ${file} =====\n${readFileSync(join(this.dir, 'logs', file), 'utf8')}`);
    sections.push(`===== webhook notifications =====\n${this.webhook.describe()}`);
    const emails = this.smtp.messages.map((m) => `${new Date(m.receivedAt).toISOString()} ${m.headers['subject'] ?? ''}`);
    sections.push(`===== e-mails =====\n${emails.join('\n') || '(none)'}`);
    return sections.join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map((process) => process.stop()));
    await this.webhook.stop();
    await this.smtp.stop();
  }
}

/**
 * Runs one scenario on a fresh stack. On failure the logs of every process are printed and the directory with them
 * is kept (its path is in the error); on success it is removed.
 */
export async function withStack(name: string, setup: StackSetup, scenario: (stack: Stack) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `vigil-e2e-${name}-`));
  const stack = new Stack(dir);
  try {
    await stack.start(setup);
    await scenario(stack);
  } catch (error) {
    await stack.stop().catch(() => {});
    process.stderr.write(`\n[e2e ${name}] failed; logs kept in ${dir}\n${stack.report()}\n`);
    if (error instanceof Error) error.message += `\n(e2e logs kept in ${dir})`;
    throw error;
  }
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}
