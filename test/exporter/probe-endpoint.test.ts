// GET /probe through a running vigil, as blackbox_exporter answers it (prometheus/blackbox_exporter prober/http.go
// and prober/tcp.go name the families): built-in and configured modules, the scrape-timeout header, bad requests
// as problem+json, the self-metric, and module errors at config load with their key path.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { startVigil, type RunningVigil } from '../../src/serve.js';

let running: RunningVigil;
let base = '';
let web: http.Server;
let webBase = '';
let tcpPort = 0;
const tcp = net.createServer((socket) => socket.on('error', () => {}).end('+OK ready\r\n'));
const dir = mkdtempSync(join(tmpdir(), 'vigil-probe-'));

before(async () => {
  web = http.createServer((request, response) => {
    if (request.url === '/down') response.statusCode = 503;
    if (request.url === '/slow') return void setTimeout(() => response.end('late'), 2_000);
    response.end(request.method === 'POST' ? 'posted' : '{"status":"up"}');
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webBase = `127.0.0.1:${(web.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  tcpPort = (tcp.address() as AddressInfo).port;
  writeFileSync(
    join(dir, 'vigil.yml'),
    [
      'listen: 127.0.0.1:0',
      'state: vigil.db',
      'log: { level: silent }',
      'probe:',
      '  modules:',
      '    json_up: { type: download, expect_body: [ { json_path: $.status, equals: up } ] }',
      '    pop_banner: { type: tcp, query_response: [ { expect: "^\\\\+OK" } ] }',
    ].join('\n'),
  );
  running = await startVigil({ configPath: join(dir, 'vigil.yml') });
  base = `http://127.0.0.1:${running.address.port}`;
});

after(async () => {
  await running.stop();
  tcp.close();
  await new Promise<void>((resolve) => web.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const probe = (query: string, headers: Record<string, string> = {}) => fetch(`${base}/probe?${query}`, { headers });
const value = (body: string, family: string): number | undefined => {
  const match = new RegExp(`^${family} (\\S+)$`, 'm').exec(body);
  return match ? Number(match[1]) : undefined;
};

test('http_2xx (the default module) on a healthy URL: probe_success 1 with the status code and duration', async () => {
  const response = await probe(`target=${encodeURIComponent(`http://${webBase}/`)}`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  const body = await response.text();
  assert.equal(value(body, 'probe_success'), 1, body);
  assert.equal(value(body, 'probe_http_status_code'), 200);
  assert.ok(value(body, 'probe_duration_seconds')! > 0);
  assert.match(body, /^# TYPE probe_success gauge$/m);
});

test('a target without a scheme gets http://, as blackbox does; a 503 is probe_success 0', async () => {
  const body = await (await probe(`module=http_2xx&target=${webBase}/down`)).text();
  assert.equal(value(body, 'probe_success'), 0);
  assert.equal(value(body, 'probe_http_status_code'), 503);
});

test('http_post_2xx sends a POST; tcp_connect and a configured banner module use host:port', async () => {
  for (const query of [
    `module=http_post_2xx&target=http://${webBase}/`,
    `module=tcp_connect&target=127.0.0.1:${tcpPort}`,
    `module=pop_banner&target=127.0.0.1:${tcpPort}`,
    `module=json_up&target=http://${webBase}/`,
  ]) {
    const body = await (await probe(query)).text();
    if (value(body, 'probe_success') !== 1) assert.fail(await (await probe(`${query}&debug=true`)).text());
  }
});

test("the probe answers before Prometheus's scrape timeout (header minus 0.5 s)", async () => {
  const started = Date.now();
  const body = await (await probe(`target=http://${webBase}/slow`, { 'X-Prometheus-Scrape-Timeout-Seconds': '1' })).text();
  assert.equal(value(body, 'probe_success'), 0);
  assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`);
});

test('bad requests are 400 problem+json: unknown module, missing target, tcp target without a port', async () => {
  for (const [query, detail] of [
    ['module=nope&target=x', /unknown module "nope"; known: http_2xx, http_post_2xx, tcp_connect, icmp, json_up, pop_banner/],
    ['module=http_2xx', /target parameter is missing/],
    ['module=tcp_connect&target=example.org', /must be host:port/],
  ] as const) {
    const response = await probe(query);
    assert.equal(response.status, 400, query);
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.match(((await response.json()) as { detail: string }).detail, detail);
  }
});

test('every probe counts in vigil_probe_requests_total by module and result', async () => {
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^vigil_probe_requests_total\{module="http_2xx",result="success"\} 1$/m);
  assert.match(metrics, /^vigil_probe_requests_total\{module="http_2xx",result="failure"\} 2$/m);
  assert.match(metrics, /^vigil_probe_requests_total\{module="tcp_connect",result="success"\} 1$/m);
});

test('a module with a bad option or a target key is a config error at its key path', async () => {
  const file = join(dir, 'bad.yml');
  writeFileSync(
    file,
    ['probe:', '  modules:', '    web: { type: download, expected_status: [700], url: "http://x/" }', '    odd: { type: filewrite }'].join('\n'),
  );
  await assert.rejects(loadConfig(file), (error: Error) => {
    assert.match(error.message, /probe\.modules\.web\.expected_status\[0\]/);
    assert.match(error.message, /probe\.modules\.web\.url: url comes from the request's target parameter/);
    assert.match(error.message, /probe\.modules\.odd\.type: a probe module type is one of download, tcp, hostport, ping, dns, grpc/);
    return true;
  });
});
