// vigil's listening socket: plain HTTP, or HTTPS from a web config's tls_server_config. Certificates, keys and the
// client CA are read from their files and re-read whenever a file changed, checked as each connection arrives, so
// the next handshake after a rotation presents the new certificate without a restart (as exporter-toolkit does).
import { readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type Server, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { PemSource, TlsServerSettings, WebConfig } from './web-config.js';
import { CIPHER_SUITES, CURVES, TLS13_SUITES, TLS_VERSIONS } from './tls-names.js';

export interface ListenerLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface WebListener {
  server: Server;
  tls: boolean;
  /**
   * Takes a re-read web config's TLS settings; the next handshake uses them. Throws, changing nothing, when its files
   * cannot be loaded or it would swap plain HTTP and HTTPS.
   */
  update(config: WebConfig): void;
}

type ServerTlsOptions = SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };

const signatureOf = (source: PemSource | undefined): string => {
  if (source === undefined) return '-';
  if ('inline' in source) return `inline:${source.inline.length}:${source.inline.slice(-64)}`;
  try {
    const stat = statSync(source.file);
    return `${source.file}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return `${source.file}:missing`;
  }
};

const readPem = (source: PemSource): string => ('inline' in source ? source.inline : readFileSync(source.file, 'utf8'));

/** The settings as Node's TLS options; throws when a file cannot be read or the key does not fit the certificate. */
export function tlsOptions(tls: TlsServerSettings): ServerTlsOptions {
  return {
    cert: readPem(tls.cert),
    key: readPem(tls.key),
    ...(tls.clientCa && { ca: readPem(tls.clientCa) }),
    // Only RequireAndVerifyClientCert fails the handshake itself; the weaker policies are enforced once it completed.
    requestCert: tls.clientAuth !== 'NoClientCert',
    rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
    minVersion: TLS_VERSIONS[tls.minVersion].node,
    maxVersion: TLS_VERSIONS[tls.maxVersion].node,
    ...(tls.cipherSuites && { ciphers: [...tls.cipherSuites.map((name) => CIPHER_SUITES[name]!), ...TLS13_SUITES].join(':') }),
    honorCipherOrder: tls.preferServerCipherSuites,
    ...(tls.curvePreferences && { ecdhCurve: tls.curvePreferences.map((name) => CURVES[name]!).join(':') }),
  };
}

/** Why a completed handshake must still be dropped under the client auth policy, or undefined when it may stay. */
export function clientPolicyViolation(tls: TlsServerSettings, socket: TLSSocket): string | undefined {
  const peer = socket.getPeerCertificate();
  const presented = peer !== null && Object.keys(peer).length > 0;
  switch (tls.clientAuth) {
    case 'RequireAnyClientCert':
      if (!presented) return 'no client certificate';
      break;
    case 'VerifyClientCertIfGiven':
      if (presented && !socket.authorized) return `client certificate not verified: ${String(socket.authorizationError)}`;
      break;
    default:
      break;
  }
  if (tls.clientAllowedSans) {
    const sans = (presented ? (peer.subjectaltname ?? '') : '').split(', ').map((entry) => entry.slice(entry.indexOf(':') + 1));
    if (!tls.clientAllowedSans.some((allowed) => sans.includes(allowed))) return 'client certificate SAN not in client_allowed_sans';
  }
  return undefined;
}

/** `serverOptions`: timeouts and the like for either server (see exporter/connections.ts, httpServerOptions). */
export function createWebListener(config: WebConfig, log: ListenerLog, serverOptions: ServerOptions = {}): WebListener {
  if (!config.tls) {
    return {
      server: createHttpServer(serverOptions),
      tls: false,
      update(next) {
        if (next.tls) throw new Error('the web config now has tls_server_config, but vigil started on plain HTTP: restart vigil to switch');
      },
    };
  }
  let settings = config.tls;
  let signature = sourcesSignature(settings);
  // Read once up front: a start with unreadable or mismatched files fails loudly instead of serving nothing.
  const server: HttpsServer = createHttpsServer({ ...serverOptions, ...tlsOptions(settings) });

  const apply = (options: ServerTlsOptions): void => {
    server.setSecureContext(options);
    // setSecureContext leaves these two alone; each new connection reads them from the server.
    Object.assign(server, { requestCert: options.requestCert, rejectUnauthorized: options.rejectUnauthorized });
  };
  const refresh = (): void => {
    const current = sourcesSignature(settings);
    if (current === signature) return;
    try {
      apply(tlsOptions(settings));
      signature = current;
      log.info({ cert: describe(settings.cert), key: describe(settings.key) }, 'TLS certificate and key (re)loaded');
    } catch (error) {
      // Half-written files (certificate replaced, key not yet): keep serving the old pair; the next change retries.
      signature = current;
      log.error(
        { err: (error as Error).message, cert: describe(settings.cert) },
        'TLS files changed but cannot be loaded; keeping the previous certificate',
      );
    }
  };
  // Before Node's own connection listener, so the handshake that follows already uses a fresh context.
  server.prependListener('connection', refresh);
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const violation = clientPolicyViolation(settings, socket);
    if (violation) {
      log.info({ remote: socket.remoteAddress, reason: violation }, 'TLS client refused by client_auth_type');
      socket.destroy();
    }
  });
  return {
    server,
    tls: true,
    update(next) {
      if (!next.tls) throw new Error('the web config no longer has tls_server_config, but vigil started with TLS: restart vigil to switch');
      const nextSignature = sourcesSignature(next.tls); // before reading, so a change while reading is seen next time
      apply(tlsOptions(next.tls));
      settings = next.tls;
      signature = nextSignature;
    },
  };
}

const sourcesSignature = (tls: TlsServerSettings): string => [tls.cert, tls.key, tls.clientCa].map(signatureOf).join('|');
const describe = (source: PemSource): string => ('inline' in source ? '(inline)' : source.file);
