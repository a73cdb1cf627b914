// Web config benchmark (npm run bench:web): what basic auth and TLS cost a scrape. (a) one bcrypt comparison at
// cost 10, as htpasswd -nBC 10 makes them, against (b) a cached verification; then /metrics of a small vigil over
// (c) plain HTTP, (d) TLS + basic auth on a kept-alive connection (Prometheus's way), (e) TLS + basic auth with a new
// handshake per request. Prints a markdown table for bench/RESULTS.md. Bounded: a few hundred requests.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import { startVigil } from '../src/serve.js';
import { BasicAuthUsers } from '../src/web/basic-auth.js';
import { issueCert, makeCa } from '../test/helpers/certs.js';

const REQUESTS = 300;

const median = (times: number[]): number => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;

async function timeEach(count: number, run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return median(times);
}

function get(url: string, options: Record<string, unknown>): Promise<number> {
  const request = url.startsWith('https') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-web-'));
  try {
    const hash = bcrypt.hashSync('scrape-password', 10);
    const bcryptMs = await timeEach(5, () => bcrypt.compare('scrape-password', hash));
    const users = new BasicAuthUsers(new Map([['prometheus', hash]]));
    const cachedMs = await timeEach(10_000, () => users.verify({ user: 'prometheus', password: 'scrape-password' }));

    const ca = makeCa(dir, 'bench');
    const server = issueCert(dir, ca, 'server');
    const config = (name: string, web: string | undefined) => {
      if (web) writeFileSync(join(dir, `${name}.web.yml`), web);
      writeFileSync(
        join(dir, `${name}.yml`),
        `listen: 127.0.0.1:0\nstate: ${join(dir, `${name}.db`)}\nlog: { level: silent }\nsubjects: []\n` +
          (web ? `web_config_file: ${name}.web.yml\n` : ''),
      );
      return join(dir, `${name}.yml`);
    };
    const plain = await startVigil({ configPath: config('plain', undefined) });
    const secured = await startVigil({
      configPath: config(
        'secured',
        `tls_server_config:\n  cert_file: ${server.cert}\n  key_file: ${server.key}\nbasic_auth_users:\n  prometheus: ${hash}\n`,
      ),
    });
    const caPem = readFileSync(ca.cert, 'utf8');
    const authorization = `Basic ${Buffer.from('prometheus:scrape-password').toString('base64')}`;
    const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: caPem });
    const plainMs = await timeEach(REQUESTS, () => get(`http://127.0.0.1:${plain.address.port}/metrics`, { agent: httpAgent }));
    const keptMs = await timeEach(REQUESTS, () =>
      get(`https://127.0.0.1:${secured.address.port}/metrics`, { agent: httpsAgent, headers: { authorization } }),
    );
    const freshMs = await timeEach(REQUESTS / 3, () =>
      get(`https://127.0.0.1:${secured.address.port}/metrics`, { agent: false, ca: caPem, headers: { authorization } }),
    );
    httpAgent.destroy();
    httpsAgent.destroy();
    await plain.stop();
    await secured.stop();

    const rows: [string, number, string][] = [
      ['bcrypt comparison, cost 10 (uncached verification)', bcryptMs, 'ms'],
      ['cached verification (HMAC of the credentials, map lookup)', cachedMs * 1000, 'µs'],
      ['GET /metrics, plain HTTP, kept-alive', plainMs, 'ms'],
      ['GET /metrics, TLS + basic auth, kept-alive (cached)', keptMs, 'ms'],
      ['GET /metrics, TLS + basic auth, new handshake each', freshMs, 'ms'],
    ];
    console.log(`Node ${process.version}; median of each; ${REQUESTS} requests (new handshakes: ${REQUESTS / 3})\n`);
    console.log('| what | median |\n|---|---|');
    for (const [what, value, unit] of rows) console.log(`| ${what} | ${value.toFixed(unit === 'µs' ? 1 : 2)} ${unit} |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
