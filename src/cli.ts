#!/usr/bin/env node
// vigil's command line (the README's command table). Each command loads only what it needs, so `check-config` and
// `config-schema` start fast and work without the server's or the generator's modules.
import { Command, Option } from 'commander';
import { ConfigError } from './config/errors.js';
import { VERSION } from './version.js';

/** Exit codes: 0 fine, 1 vigil failed, 2 the config is invalid. */
const EXIT_FAILURE = 1;
const EXIT_INVALID_CONFIG = 2;

/** Prints what went wrong: config problems as `file:line:col: path: message` lines, anything else as one line. */
function fail(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_INVALID_CONFIG);
  }
  process.stderr.write(`vigil: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(EXIT_FAILURE);
}

const run =
  <Args extends unknown[]>(action: (...args: Args) => Promise<void>) =>
  async (...args: Args): Promise<void> => {
    try {
      await action(...args);
    } catch (error) {
      fail(error);
    }
  };

const program = new Command('vigil')
  .description('Prometheus exporter and alert generator for the health of things')
  .version(VERSION, '-V, --version', 'print the version')
  .showHelpAfterError();

const configOption = (): Option => new Option('-c, --config <file>', 'config file (default: ./vigil.yml if it exists, else the embedded default)');
// The demo drives vigil over plain HTTP on loopback with a config of its own: no --config, no web config.
const demoOption = (what: string): Option => new Option('--demo', what).conflicts(['config', 'web.config.file']);
const demoTimingOption = (): Option =>
  new Option(
    '--demo-timing <spec>',
    'story timing of the demo, e.g. tick=1s,fail=15s,silence=75s,gap=12s (default tick=5s,fail=40s,silence=1m30s,gap=1m)',
  );

program
  .command('serve')
  .description('watch the configured subjects and serve /metrics and the API')
  .addOption(configOption())
  .option('--listen <addr>', 'listen address host:port, overrides the config (e.g. 127.0.0.1:9977, [::1]:9977)')
  .option('--state <file>', 'SQLite state file, overrides the config')
  .option(
    '--web.config.file <file>',
    'exporter-toolkit web config (TLS, client certificates, basic auth), overrides web_config_file; re-read on SIGHUP',
  )
  .addOption(demoOption('run a simulated fleet (labelled demo: simulated) and its scripted story instead of a config'))
  .addOption(demoTimingOption())
  .action(
    run(async (options: { config?: string; listen?: string; state?: string; 'web.config.file'?: string; demo?: boolean; demoTiming?: string }) => {
      const { serve } = await import('./serve.js');
      const demo = options.demo ? { timing: (await import('./demo/story.js')).parseTiming(options.demoTiming) } : undefined;
      await serve({ configPath: options.config, listen: options.listen, state: options.state, webConfigFile: options['web.config.file'], demo });
    }),
  );

program
  .command('check-config')
  .description('validate the config; exit 0 when valid, 2 with file:line:col: path: message lines when not')
  .addOption(configOption())
  .option('--web.config.file <file>', 'also validate this web config (default: the config key web_config_file)')
  .action(
    run(async (options: { config?: string; 'web.config.file'?: string }) => {
      const { loadConfig } = await import('./config/load.js');
      const { file, raw, config } = await loadConfig(options.config);
      const webConfigFile = options['web.config.file'] ?? config.webConfigFile;
      if (webConfigFile !== undefined) {
        const { loadWebConfig } = await import('./web/web-config.js');
        await loadWebConfig(webConfigFile);
        process.stdout.write(`${webConfigFile}: OK\n`);
      }
      process.stdout.write(`${file}: OK (${raw.subjects.length} subjects, ${raw.targets.length} targets)\n`);
    }),
  );

program
  .command('config-schema')
  .description('print the JSON Schema of the config file (for editors)')
  .action(
    run(async () => {
      const { configJsonSchema } = await import('./config/json-schema.js');
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    }),
  );

program
  .command('generate-rules')
  .description('write Prometheus rules, Alertmanager config and Grafana dashboards from the config')
  .addOption(configOption())
  .option('-o, --out <dir>', 'output directory', '.')
  .addOption(new Option('--format <format>', 'rule file format').choices(['prometheus', 'prometheus-operator']).default('prometheus'))
  .option('--web.config.file <file>', "vigil serve's web config, for the scrape snippet (https, tls_config, basic_auth); overrides web_config_file")
  .addOption(demoOption('generate for the demo fleet of `vigil serve --demo` instead of a config'))
  .addOption(demoTimingOption())
  .option('--demo-webhook <url>', "with --demo: the webhook receiving the demo's notifications (default http://127.0.0.1:5001/vigil-demo)")
  .addHelpText(
    'after',
    '\nReplicas: scrape every vigil replica under one job (alerting.scrape_job), never a load-balanced address, and run\n' +
      'Alertmanager as a gossiping pair (--cluster.peer) that Prometheus sends to directly; the rules work unchanged\n' +
      '(they aggregate by subject, not instance). Scrape and HA examples: docs/alerting.md and docs/scaling.md.\n',
  )
  .action(
    run(
      async (options: {
        config?: string;
        out: string;
        format: 'prometheus' | 'prometheus-operator';
        'web.config.file'?: string;
        demo?: boolean;
        demoTiming?: string;
        demoWebhook?: string;
      }) => {
        const { generateRulesCommand } = await import('./generate/index.js');
        const demo = options.demo
          ? { timing: (await import('./demo/story.js')).parseTiming(options.demoTiming), webhookUrl: options.demoWebhook }
          : undefined;
        // It reports its own problems and answers with the exit code.
        process.exitCode = await generateRulesCommand({
          configPath: options.config,
          out: options.out,
          format: options.format,
          webConfigFile: options['web.config.file'],
          demo,
        });
      },
    ),
  );

program
  .command('agent')
  .description('reference agent: hold a websocket to vigil as machine ID, send heartbeats and optional check-script results')
  .requiredOption('--server <url>', "vigil's URL, e.g. https://vigil.example.org:9977")
  .requiredOption('--id <id>', 'machine id (the subject id in vigil)')
  .requiredOption('--token-file <file>', 'file holding a bearer token with the agent scope')
  .option(
    '--check-script <path>',
    'script run every --check-interval: exit 0 ok, 1 warn, 2 crit, else unknown; first output line is the message; ' +
      'lines "metadata: Key=value" (or "metadata[warning]: Key=value") set metadata',
  )
  .option('--check-interval <duration>', 'how often to run the check script', '30s')
  .option('--check-name <name>', 'check name of the script result', 'script')
  .option('--heartbeat-interval <duration>', 'how often to send a heartbeat', '30s')
  .option('--ca-file <file>', "PEM file of the CA(s) that signed vigil's certificate (default: the system roots)")
  .option('--cert-file <file>', 'client certificate (PEM) to present, when vigil requires one')
  .option('--key-file <file>', 'key (PEM) of --cert-file')
  .option('--insecure', 'allow plain ws:// (http://) to a host other than loopback: the token travels unencrypted')
  .action(
    run(
      async (options: {
        server: string;
        id: string;
        tokenFile: string;
        checkScript?: string;
        checkInterval: string;
        checkName: string;
        heartbeatInterval: string;
        caFile?: string;
        certFile?: string;
        keyFile?: string;
        insecure?: boolean;
      }) => {
        const { runAgent } = await import('./agent/index.js');
        await runAgent(options);
      },
    ),
  );

const importCommand = program.command('import').description("convert another tool's configuration into a vigil config on stdout");
importCommand
  .command('clowder <file>')
  .description('convert a Clowder healthmonitor config (checks and notifiers) into a vigil config')
  .action(
    run(async (file: string) => {
      const { importClowderCommand } = await import('./import/clowder.js');
      process.exitCode = await importClowderCommand(file);
    }),
  );
importCommand
  .command('blackbox <file>')
  .description('convert a blackbox_exporter modules file into vigil probe modules for GET /probe')
  .action(
    run(async (file: string) => {
      const { importBlackboxCommand } = await import('./import/blackbox.js');
      process.exitCode = await importBlackboxCommand(file);
    }),
  );
importCommand
  .command('practable-env')
  .description("convert practable status's STATUS_* environment variables into a vigil config (secrets stay ${ENV} references)")
  .action(
    run(async () => {
      const { importPractableEnvCommand } = await import('./import/practable-env.js');
      process.exitCode = await importPractableEnvCommand(process.env);
    }),
  );

await program.parseAsync(process.argv);
