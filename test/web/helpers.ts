// A real `vigil serve` (startVigil, in-process) behind a web config, and an HTTPS client that trusts a given CA.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import bcrypt from 'bcryptjs';
import { startVigil, type RunningVigil } from '../../src/serve.js';
import { issueCert, makeCa, type CertFiles } from '../helpers/certs.js';

export const READ_TOKEN = 'reader-token-0123456789';
export const WRITE_TOKEN = 'writer-token-0123456789';
export const AGENT_TOKEN = 'agent-token-0123456789';
/** Low cost: the tests hash and verify often; vigil does not care which cost a hash was made with. */
export const hash = (password: string): string => bcrypt.hashSync(password, 4);

export interface TlsWorld {
  dir: string;
  ca: CertFiles;
  server: CertFiles;
  client: CertFiles;
  /** A CA that signed nothing of vigil's, and a client certificate from it. */
  otherCa: CertFiles;
  otherClient: CertFiles;
  cleanup(): void;
}

export function makeTlsWorld(): TlsWorld {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
  const ca = makeCa(dir, 'vigil');
  const otherCa = makeCa(dir, 'other');
  return {
    dir,
    ca,
    otherCa,
    server: issueCert(dir, ca, 'server'),
    client: issueCert(dir, ca, 'client'),
    otherClient: issueCert(dir, otherCa, 'other-client'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Starts vigil from `vigil.yml` + `web.yml` in `dir`; the config's extra lines are appended. */
export async function startWithWebConfig(dir: string, webYaml: string, extraConfig: string[] = []): Promise<RunningVigil & { base: string }> {
  writeFileSync(join(dir, 'web.yml'), webYaml);
  writeFileSync(
    join(dir, 'vigil.yml'),
    [
      'listen: 127.0.0.1:0',
      `state: ${join(dir, `state-${Math.random().toString(36).slice(2)}.db`)}`,
      'log: { level: silent }',
      'web_config_file: web.yml',
      'api:',
      '  tokens:',
      `    - { name: reader, token: ${READ_TOKEN}, scopes: [read] }`,
      `    - { name: writer, token: ${WRITE_TOKEN}, scopes: [observe] }`,
      `    - { name: agent, token: ${AGENT_TOKEN}, scopes: [agent] }`,
      'subjects: []',
      ...extraConfig,
      '',
    ].join('\n'),
  );
  const running = await startVigil({ configPath: join(dir, 'vigil.yml') });
  return { ...running, base: `${running.tls ? 'https' : 'http'}://127.0.0.1:${running.address.port}` };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/** One HTTPS request on a fresh connection (so each one is a new handshake). */
export function httpsRequest(
  url: string,
  tls: ClientTls,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false, ...tls }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Completes a TLS handshake (and sends one request line) and returns the certificate vigil presented, or rejects. */
export function handshake(port: number, tls: ClientTls): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...tls });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      // With TLS 1.3 a refused client certificate shows only after the server read the client's Finished: ask
      // for something and see whether an answer or a reset comes back.
      socket.write('GET /-/healthy HTTP/1.1\r\nHost: vigil\r\nConnection: close\r\n\r\n');
      let answered = '';
      socket.on('data', (chunk: Buffer) => (answered += chunk.toString()));
      socket.once('end', () => (answered.startsWith('HTTP/1.1 200') ? resolve(peer) : reject(new Error(`no answer: ${answered.slice(0, 80)}`))));
    });
    socket.once('error', reject);
  });
}
