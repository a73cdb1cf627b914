// A real Prometheus (Debian's) scrapes vigil over TLS with a client certificate and basic auth, configured with the
// scrape snippet `vigil generate-rules` wrote; a copy of that job with a wrong password gets 401 and `up` 0. Then
// vigil's web config changes the password and vigil gets SIGHUP: the two jobs swap, without a restart.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { CLI } from '../helpers/serve-process.js';
import { basic, hash, httpsRequest, makeTlsWorld } from '../web/helpers.js';
import { freePort, PROCESS_POLL, requireTool, startProcess, type ManagedProcess } from './helpers/processes.js';
import { until } from '../helpers/until.js';

test('Prometheus scrapes vigil over TLS with basic auth from the generated snippet; a wrong password is up 0', async (t) => {
  const prometheusBin = requireTool('prometheus');
  const world = makeTlsWorld();
  const dir = world.dir;
  mkdirSync(join(dir, 'logs'));
  const processes: ManagedProcess[] = [];
  let passed = false;
  t.after(async () => {
    await Promise.all(processes.map((process) => process.stop()));
    if (passed) world.cleanup();
    else process.stderr.write(`\n[e2e tls-scrape] logs kept in ${dir}\n${processes.map((p) => `===== ${p.name} =====\n${p.logs()}`).join('\n')}\n`);
  });

  // Prometheus's side: its own copies of the CA, its client certificate and the passwords.
  const promDir = join(dir, 'prometheus-files');
  mkdirSync(promDir);
  cpSync(world.ca.cert, join(promDir, 'vigil-ca.crt'));
  cpSync(world.client.cert, join(promDir, 'client.crt'));
  cpSync(world.client.key, join(promDir, 'client.key'));
  writeFileSync(join(promDir, 'password'), 'right-horse-battery\n');
  writeFileSync(join(promDir, 'wrong-password'), 'wrong-horse-battery\n');

  const webConfig = (password: string) =>
    [
      'tls_server_config:',
      `  cert_file: ${world.server.cert}`,
      `  key_file: ${world.server.key}`,
      '  client_auth_type: RequireAndVerifyClientCert',
      `  client_ca_file: ${world.ca.cert}`,
      'basic_auth_users:',
      `  prometheus: ${hash(password)}`,
      '',
    ].join('\n');
  writeFileSync(join(dir, 'web.yml'), webConfig('right-horse-battery'));
  const vigilPort = await freePort();
  writeFileSync(
    join(dir, 'vigil.yml'),
    [
      `listen: 127.0.0.1:${vigilPort}`,
      `state: ${join(dir, 'vigil.db')}`,
      'web_config_file: web.yml',
      'scrape:',
      `  ca_file: ${join(promDir, 'vigil-ca.crt')}`,
      `  cert_file: ${join(promDir, 'client.crt')}`,
      `  key_file: ${join(promDir, 'client.key')}`,
      `  password_file: ${join(promDir, 'password')}`,
      'subjects: []',
      '',
    ].join('\n'),
  );

  const out = join(dir, 'generated');
  const generated = spawnSync(process.execPath, [CLI, 'generate-rules', '--config', join(dir, 'vigil.yml'), '--out', out], { encoding: 'utf8' });
  assert.equal(generated.status, 0, generated.stdout + generated.stderr);
  const snippet = parse(readFileSync(join(out, 'rules', 'vigil.scrape.yml'), 'utf8')) as { scrape_configs: Record<string, unknown>[] };
  const job = snippet.scrape_configs[0]!;
  assert.equal(job['scheme'], 'https');
  assert.doesNotMatch(readFileSync(join(out, 'rules', 'vigil.scrape.yml'), 'utf8'), /right-horse-battery|\$2[aby]\$/, 'no secret in generated files');
  const wrongJob = {
    ...job,
    job_name: 'vigil-wrong-password',
    basic_auth: { username: 'prometheus', password_file: join(promDir, 'wrong-password') },
  };

  const vigil = startProcess(
    'vigil',
    process.execPath,
    [CLI, 'serve', '--config', join(dir, 'vigil.yml'), '--web.config.file', join(dir, 'web.yml')],
    join(dir, 'logs', 'vigil.log'),
    dir,
  );
  processes.push(vigil);
  const tls = { ca: readFileSync(world.ca.cert, 'utf8'), cert: readFileSync(world.client.cert, 'utf8'), key: readFileSync(world.client.key, 'utf8') };
  const vigilBase = `https://127.0.0.1:${vigilPort}`;
  await until(async () => (await httpsRequest(`${vigilBase}/-/ready`, tls)).status === 200, 'vigil ready over TLS', {
    ...PROCESS_POLL,
    timeoutMs: 20_000,
  });
  assert.equal(
    (await httpsRequest(`${vigilBase}/metrics`, tls, { headers: { authorization: basic('prometheus', 'wrong-horse-battery') } })).status,
    401,
  );

  const prometheusPort = await freePort();
  const prometheusConfig = join(dir, 'prometheus.yml');
  writeFileSync(prometheusConfig, stringify({ global: { scrape_interval: '1s', scrape_timeout: '1s' }, scrape_configs: [job, wrongJob] }));
  const prometheus = startProcess(
    'prometheus',
    prometheusBin,
    [`--config.file=${prometheusConfig}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${prometheusPort}`],
    join(dir, 'logs', 'prometheus.log'),
  );
  processes.push(prometheus);
  const up = async (jobName: string): Promise<number | undefined> => {
    const response = await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/query?query=${encodeURIComponent(`up{job="${jobName}"}`)}`);
    const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
    const first = body.data.result[0];
    return first === undefined ? undefined : Number(first.value[1]);
  };
  const waitUp = (jobName: string, value: number) =>
    until(async () => (await up(jobName)) === value, `up{job="${jobName}"} == ${value}`, { ...PROCESS_POLL, timeoutMs: 40_000 });

  await waitUp('vigil', 1);
  await waitUp('vigil-wrong-password', 0);
  const targets = (await (await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/targets`)).json()) as {
    data: { activeTargets: { labels: { job: string }; lastError: string; scrapeUrl: string }[] };
  };
  const wrong = targets.data.activeTargets.find((target) => target.labels.job === 'vigil-wrong-password');
  assert.match(wrong?.lastError ?? '', /401/, 'Prometheus saw 401 Unauthorized');
  assert.match(targets.data.activeTargets.find((target) => target.labels.job === 'vigil')!.scrapeUrl, /^https:\/\//);

  // The operator changes the password: the web config now holds the hash of what was the wrong one; SIGHUP.
  writeFileSync(join(dir, 'web.yml'), webConfig('wrong-horse-battery'));
  vigil.child.kill('SIGHUP');
  await waitUp('vigil-wrong-password', 1);
  await waitUp('vigil', 0);
  assert.equal(vigil.child.exitCode, null, 'still the same process');
  passed = true;
  rmSync(join(dir, 'tsdb'), { recursive: true, force: true });
});
